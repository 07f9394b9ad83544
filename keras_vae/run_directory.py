"""`RunDirectory`: the files a training run writes, by name (the only place that spells them),
how a run's directory is prepared and replaced, and its per-epoch log.

runs/mnist/
  model.keras            the final model (with a validation split: the best by validation loss)
  best.keras             the best model by validation loss so far (with a validation split)
  checkpoints/           a checkpoint every N epochs and a pointer to the newest
                         (their names: `keras_vae.training.checkpoints`)
  config.json            the TrainingConfig, to resume and to find the run's data
  log.csv                one row of metrics per epoch (Keras's CSVLogger)
  samples.png, reconstructions.png, training_curves.png
  gmm_sampler.npz        the Gaussian mixture fitted to the training codes (`--latent-sampler gmm`)
"""

from __future__ import annotations

import csv
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from keras_vae.atomic_files import write_text_atomically


@dataclass(frozen=True)
class RunDirectory:
    """The directory of one training run and the paths of its files."""

    path: Path

    # The file names: spelled here and nowhere else.
    MODEL: ClassVar[str] = "model.keras"
    BEST_MODEL: ClassVar[str] = "best.keras"
    GMM_SAMPLER: ClassVar[str] = "gmm_sampler.npz"
    CHECKPOINTS: ClassVar[str] = "checkpoints"
    CONFIG: ClassVar[str] = "config.json"
    LOG: ClassVar[str] = "log.csv"
    SAMPLES: ClassVar[str] = "samples.png"
    RECONSTRUCTIONS: ClassVar[str] = "reconstructions.png"
    TRAINING_CURVES: ClassVar[str] = "training_curves.png"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def model(self) -> Path:
        return self.path / self.MODEL

    @property
    def best_model(self) -> Path:
        return self.path / self.BEST_MODEL

    @property
    def gmm_sampler(self) -> Path:
        return self.path / self.GMM_SAMPLER

    @property
    def checkpoints(self) -> Path:
        return self.path / self.CHECKPOINTS

    @property
    def config(self) -> Path:
        return self.path / self.CONFIG

    @property
    def log(self) -> Path:
        return self.path / self.LOG

    @property
    def samples(self) -> Path:
        return self.path / self.SAMPLES

    @property
    def reconstructions(self) -> Path:
        return self.path / self.RECONSTRUCTIONS

    @property
    def training_curves(self) -> Path:
        return self.path / self.TRAINING_CURVES

    def run_files(self) -> list[Path]:
        """The files and directories a run writes, models first: what `clear` removes."""
        return [
            self.model,
            self.best_model,
            self.gmm_sampler,
            self.checkpoints,
            self.log,
            self.config,
            self.samples,
            self.reconstructions,
            self.training_curves,
        ]

    def has_files(self, besides: Path | None = None) -> bool:
        """Whether the directory exists and holds anything other than `besides` (the M1 run
        inside an M1+M2 run's directory, `keras_vae.training.m1m2`)."""
        if not self.path.is_dir():
            return False
        kept = None if besides is None else Path(besides).resolve()
        return any(path.resolve() != kept for path in self.path.iterdir())

    def prepare(self, replace: bool = False) -> None:
        """Makes the directory ready for a run to write to, after `clear()` if `replace`.

        Raises:
            ValueError: the directory cannot be created or written.
        """
        if replace:
            self.clear()
        try:
            self.checkpoints.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.path):
                pass
        except OSError as error:
            raise ValueError(
                f"Cannot write to the output directory {self.path} ({error.strerror or error}); "
                "choose a writable --out."
            ) from None

    def read_log(self) -> dict[str, list[float]]:
        """Returns the run's per-epoch metrics, {column: values}."""
        return read_training_log(self.log)

    def truncate_log(self, epochs: int) -> None:
        """Keeps the header and the first `epochs` rows of the log: later rows belong to epochs
        that a model resumed from an earlier checkpoint has not trained."""
        if self.log.exists():
            lines = self.log.read_text().splitlines(keepends=True)
            write_text_atomically(self.log, "".join(lines[: epochs + 1]))

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
        """Returns the run that wrote `model_path` (the run directory itself, its final model,
        or one of its checkpoints), found by the run's config; None for a model saved
        elsewhere."""
        model_path = Path(model_path)
        for directory in (model_path, model_path.parent, model_path.parent.parent):
            if cls(directory).config.exists():
                return cls(directory)
        return None


def read_training_log(path: str | os.PathLike) -> dict[str, list[float]]:
    """Reads a Keras `CSVLogger` file into {column: values}."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        return {}
    return {key: [float(row[key]) for row in rows] for key in rows[0]}
