"""`RunDirectory`: the files a training run writes, by name, and how a run is replaced.

runs/mnist/
  model.keras            the final model
  checkpoints/           epoch_NNN.keras every N epochs; `latest` names the newest
  config.json            the TrainingConfig, to resume and to find the run's data
  log.csv                one row of metrics per epoch
  samples.png, reconstructions.png, training_curves.png
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunDirectory:
    """The directory of one training run and the paths of its files."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def model(self) -> Path:
        return self.path / "model.keras"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def log(self) -> Path:
        return self.path / "log.csv"

    @property
    def samples(self) -> Path:
        return self.path / "samples.png"

    @property
    def reconstructions(self) -> Path:
        return self.path / "reconstructions.png"

    @property
    def training_curves(self) -> Path:
        return self.path / "training_curves.png"

    def run_files(self) -> list[Path]:
        """The files and directories a run writes, models first: what `clear` removes."""
        return [
            self.model,
            self.checkpoints,
            self.log,
            self.config,
            self.samples,
            self.reconstructions,
            self.training_curves,
        ]

    def clear(self) -> None:
        """Removes an earlier run's files (other files in the directory are kept).

        Each is first renamed into one hidden directory beside them, models first, and only then
        deleted: a kill part-way leaves no model of the old run beside another run's config, so
        `--resume` can never continue the old weights under a new configuration.
        """
        if not self.path.is_dir():
            return
        aside = self.path / f".replaced-{os.getpid()}"
        aside.mkdir(exist_ok=True)
        for path in self.run_files():
            if path.exists():
                os.replace(path, aside / path.name)
        shutil.rmtree(aside, ignore_errors=True)
        for stale in self.path.glob(".replaced-*"):  # left by an earlier kill mid-delete
            shutil.rmtree(stale, ignore_errors=True)

    @classmethod
    def of_model(cls, model_path: str | os.PathLike) -> RunDirectory | None:
        """Returns the run that wrote `model_path` (its model.keras, or one of its checkpoints),
        found by the run's config.json; None for a model saved elsewhere."""
        model_path = Path(model_path)
        for directory in (model_path.parent, model_path.parent.parent):
            if cls(directory).config.exists():
                return cls(directory)
        return None
