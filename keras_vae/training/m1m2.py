"""M1+M2 from one command: when `--dataset m1_codes` is given images instead of an M1 run, the
M1 VAE is trained first, in OUT/m1, and M2 then learns from its codes.

`keras-vae train --preset m1m2-mnist --data mnist.npz --out runs/m1m2` trains M1 with the
`m1-mnist` preset's settings (`--set m1.OPTION=VALUE` changes any of them, e.g.
`m1.epochs=30`) on those images, then M2 on its codes. Run again, the same command resumes an
unfinished M1 and reuses a finished one, so an interrupted M1 loses nothing.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from keras_vae.component_options import ComponentOption, parse_options, parse_settings
from keras_vae.run_directory import RunDirectory
from keras_vae.training.components import M1 as ROLE
from keras_vae.training.config import TrainingConfig, option_of
from keras_vae.training.presets import PRESETS

M1_DIRECTORY = "m1"
M1_PRESET = "m1-mnist"
# What the M1 run takes from the M2 command instead: where it writes, the images it reads, and
# what has no text form.
_NOT_M1_OPTIONS = frozenset({"out", "data", "component_options", "distribution", "verbose"})


def trains_m1_first(config: TrainingConfig) -> bool:
    """Whether `config` is M2 on the codes of an M1 that is not trained yet: `--dataset
    m1_codes` given images (a file or directory that is not a run, or no --data: MNIST)."""
    return config.dataset == "m1_codes" and (
        config.data is None or not RunDirectory(Path(config.data)).config.exists()
    )


def m1_config(config: TrainingConfig) -> TrainingConfig:
    """Returns the config of the M1 run that M2's `config` learns from: the `m1-mnist` preset
    on `config.data` in OUT/m1, with `config`'s seed, and the `--set m1.OPTION=VALUE` given.

    Raises:
        ValueError: an `m1.*` setting names no training option or does not read as one.
    """
    fields = {f.name: f for f in dataclasses.fields(TrainingConfig)}
    hints = typing.get_type_hints(TrainingConfig)
    options = {
        name: ComponentOption(name, hints[name], field.default)
        for name, field in fields.items()
        if name not in _NOT_M1_OPTIONS and option_of(field).command_line
    }
    given = parse_settings(config.component_options).get(ROLE, {})
    settings = parse_options(ROLE, "the M1 run (a training run)", options, given)
    for name, value in settings.items():
        lowest = option_of(fields[name]).min
        if lowest is not None and isinstance(value, (int, float)) and value < lowest:
            raise ValueError(f"--set {ROLE}.{name}={value}: the least allowed is {lowest}.")
    return TrainingConfig(
        **{
            **PRESETS[M1_PRESET],
            "seed": config.seed,
            **settings,
            "out": Path(config.out) / M1_DIRECTORY,
            "data": config.data,
        }
    )


def train_m1_first(config: TrainingConfig, overwrite: bool = False) -> TrainingConfig:
    """Trains the M1 run of `m1_config(config)` unless it is trained already (an unfinished
    one is resumed), and returns `config` reading that run's codes.

    Args:
        config: M2's config, whose `data` holds images (`trains_m1_first`).
        overwrite: train M1 afresh even where OUT/m1 holds a run.
    """
    from keras_vae.training.resume import check_resumable
    from keras_vae.training.run import train

    m1 = m1_config(config)
    run = RunDirectory(m1.out)
    if not overwrite and RunDirectory(Path(config.out)).has_files(besides=run.path):
        raise FileExistsError(
            f"{config.out} is not empty; choose another --out, or pass --resume (continue that "
            "run) or --overwrite (replace its files)."
        )
    if overwrite or not run.config.exists():
        train(m1, overwrite=overwrite)
        return dataclasses.replace(config, data=run.path)
    try:
        check_resumable(m1, run)
    except ValueError as error:
        raise ValueError(
            f"{run.path} holds an M1 run of other settings: {error} Pass --overwrite to train M1 "
            "afresh."
        ) from None
    trained = len(run.read_log().get("epoch", [])) if run.log.exists() else 0
    if trained < m1.epochs or not run.model.exists():
        train(m1, resume=True)
    return dataclasses.replace(config, data=run.path)
