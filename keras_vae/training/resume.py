"""Resuming a run: the newest intact model in its directory, damaged files set aside, and the
options a resumed run may not change."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

from keras_vae.models.vae import VAE
from keras_vae.run_directory import RunDirectory
from keras_vae.saving import load_vae
from keras_vae.training.checkpoints import checkpoints_newest_first, point_latest_at
from keras_vae.training.config import TrainingConfig, flag_of, option_of, read_config


def resume_point(
    out: Path, steps_per_epoch: int, set_aside_damaged: bool = True
) -> tuple[VAE, int]:
    """Returns the newest intact model saved in the run directory `out` and the epochs it has
    trained.

    The candidates are the final model and the newest checkpoint that loads; the one with the
    most optimizer steps wins, and its step count gives the epoch. A model file that does not
    load (truncated by a full disk, say) is skipped with a warning naming it, and renamed to
    `NAME.damaged` for inspection; `latest` is pointed at the checkpoint resumed from.

    Args:
        set_aside_damaged: rename damaged files (the chief does; other processes only read).
    """
    run = RunDirectory(out)
    candidates = ([run.model] if run.model.exists() else []) + checkpoints_newest_first(
        run.checkpoints
    )
    if not candidates:
        raise FileNotFoundError(
            f"Nothing to resume in {out}: no {run.model.name} and no checkpoint in "
            f"{run.checkpoints}."
        )
    models = []
    for path in candidates:
        try:
            model = load_vae(path)
        except ValueError as error:
            _set_aside_damaged(path, error, set_aside_damaged)
            continue
        models.append((int(model.optimizer.iterations), path, model))
        if path != run.model:
            break  # the newest intact checkpoint; older ones have fewer steps
    if not models:
        raise ValueError(
            f"No model in {out} could be loaded (each was damaged, see the warnings); start "
            "the run again with --overwrite."
        )
    steps, path, model = max(models, key=lambda entry: entry[0])
    if set_aside_damaged and path.parent == run.checkpoints:
        point_latest_at(path)
    return model, steps // steps_per_epoch


def _set_aside_damaged(path: Path, error: Exception, rename: bool) -> None:
    kept = path.with_name(path.name + ".damaged")
    if rename:
        path.replace(kept)
    warnings.warn(
        f"Skipping the damaged model file {path} ({error}); "
        + (f"kept as {kept} for inspection. " if rename else "")
        + "Resuming from the newest intact one.",
        stacklevel=3,
    )


def check_resumable(config: TrainingConfig, run: RunDirectory) -> None:
    """Raises a ValueError naming every option of `config` that differs from the one the run
    in `run` was started with, other than those a resumed run may change (their `Option` is
    `resumable`): the rest define its model, data and objective."""
    if not run.config.exists():
        raise FileNotFoundError(
            f"Nothing to resume in {run.path}: it has no {run.config.name} of an earlier run."
        )
    started = read_config(run.config)
    differing = [
        f"{flag_of(field)} {_option_text(getattr(config, field.name))} (the run "
        f"has {_option_text(getattr(started, field.name))})"
        for field in dataclasses.fields(TrainingConfig)
        if not option_of(field).resumable
        and getattr(config, field.name) != getattr(started, field.name)
    ]
    if differing:
        changeable = ", ".join(
            flag_of(field)
            for field in dataclasses.fields(TrainingConfig)
            if option_of(field).resumable and option_of(field).command_line
        )
        raise ValueError(
            f"A resumed run keeps the model, data and objective it was started with, but "
            f"{', '.join(differing)} differ from {run.config}. Drop them (only {changeable} "
            "and the distribution options may change), or start a new run with another --out."
        )


def _option_text(value) -> str:
    if value is None:
        return "unset"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)
