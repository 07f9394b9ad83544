"""Options that several commands share, and `train`'s options generated from TrainingConfig."""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

import click

import keras_vae
from keras_vae.run_directory import RunDirectory
from keras_vae.training.checkpoints import LATEST, latest_checkpoint
from keras_vae.training.config import TrainingConfig, flag_of, option_of


def _newest_checkpoint(ctx, param, path: Path) -> Path:
    """Returns the checkpoint that a run's `checkpoints/latest` pointer, or its checkpoints
    directory, names; any other path as given."""
    pointer = path.name == LATEST and path.is_file()
    if not pointer and not (path.is_dir() and path.name == RunDirectory.CHECKPOINTS):
        return path
    # The pointer is a line of text, not a model: the checkpoint it names is what was meant.
    named = latest_checkpoint(path.parent if pointer else path)
    if named is None:
        raise click.BadParameter(
            f"{path} names no checkpoint that exists: the run saved no epoch_NNN.keras there. "
            f"Pass a .keras file (the run's {RunDirectory.MODEL} once training finishes), or "
            "train with `keras-vae train ... --out RUN` first."
        )
    return named


MODEL = click.argument("model", type=click.Path(path_type=Path), callback=_newest_checkpoint)


def integers(minimum: int, example: str):
    """Returns a click callback that parses comma-separated integers >= `minimum`."""

    def parse(ctx, param, value: str | None) -> tuple[int, ...] | None:
        if value is None:
            return None
        try:
            numbers = tuple(int(number) for number in value.split(","))
        except ValueError:
            numbers = ()
        if not numbers or min(numbers) < minimum:
            raise click.BadParameter(
                f"expected comma-separated integers >= {minimum} like {example}, got {value!r}"
            )
        return numbers

    return parse


def _registered(kind: str):
    """Returns a click callback that accepts the names registered in the registry of `kind`."""
    registry = keras_vae.get_registry(kind)

    def check(ctx, param, value: str | None) -> str | None:
        if value is not None and value not in registry.names():
            try:
                registry.get(value)
            except ValueError as error:
                raise click.BadParameter(str(error)) from None
        return value

    return check


def _objective(ctx, param, value: str) -> str:
    """Accepts a registered objective or a loss term that shapes the ELBO."""
    from keras_vae.training.components import objective_parts

    try:
        objective_parts(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def _none_for_none(ctx, param, value):
    """The config's value of a choice: None where the command line says "none"."""
    return None if value == "none" else value


def training_options(command):
    """Adds one flag per `TrainingConfig` field (its name, type, default, help and allowed
    values from the field and its `Option`), so that the CLI takes every option the config
    has."""
    types = typing.get_type_hints(TrainingConfig)
    for field in reversed(dataclasses.fields(TrainingConfig)):
        option = option_of(field)
        if not option.command_line:
            continue
        kind = types[field.name]
        kwargs = {"help": option.help, "default": field.default, "show_default": True}
        if option.registry == "objective":
            kwargs["callback"] = _objective  # an objective, or a loss term shaping the ELBO
        elif option.registry:
            kwargs["callback"] = _registered(option.registry)
        elif option.choices:
            kwargs["type"] = click.Choice(["none" if c is None else c for c in option.choices])
            kwargs["default"] = "none" if field.default is None else field.default
            kwargs["callback"] = _none_for_none
        elif kind == (tuple[int, ...] | None):
            minimum = int(option.min) if option.min is not None else 1
            example = {"exclude_labels": "9 or 0,6", "image_size": "64 or 64,48"}
            kwargs["callback"] = integers(minimum, example.get(field.name, "512,256"))
        elif kind == tuple[str, ...]:
            kwargs["multiple"] = True
            kwargs["metavar"] = "ROLE.OPTION=VALUE"
            kwargs["show_default"] = False
        elif kind is bool:
            kwargs["is_flag"] = True
            kwargs["show_default"] = False
        elif kind in (Path, Path | None):
            kwargs["type"] = click.Path(exists=True, path_type=Path)
        elif kind in (int, int | None):
            kwargs["type"] = click.IntRange(min=option.min) if option.min is not None else int
        elif kind in (float, float | None):
            kwargs["type"] = click.FloatRange(min=option.min, min_open=option.min_open)
        elif kind not in (str, str | None):
            raise TypeError(
                f"TrainingConfig.{field.name} is a {kind}, which has no command-line form yet: "
                "add one here, or give the field Option(command_line=False)."
            )
        if field.default is None and not option.choices:
            kwargs["show_default"] = False
        command = click.option(flag_of(field), field.name, **kwargs)(command)
    return command


def data_options(command):
    command = click.option(
        "--binarize",
        type=click.Choice(["auto", "none", "static", "dynamic"]),
        default="auto",
        show_default=True,
        help="How to binarise the test images; auto: as the run that trained the model did.",
    )(command)
    return click.option(
        "--data",
        type=click.Path(exists=True, path_type=Path),
        help="Test images from this .npz, IDX directory or image folder [the run's data, else "
        "MNIST].",
    )(command)


def label_option(help: str):
    return click.option("--label", type=click.IntRange(min=0), help=help)


def latent_sampler_options(command):
    command = click.option(
        "--gmm-components",
        default=10,
        show_default=True,
        type=click.IntRange(min=1),
        help="gmm: components of the mixture (of each class's, for a conditional model).",
    )(command)
    return click.option(
        "--latent-sampler",
        type=click.Choice(["prior", "gmm"]),
        default="prior",
        show_default=True,
        help="Decode draws of the model's prior, or of a Gaussian mixture fitted to the "
        "training set's posterior means (one per class, for a conditional model; fitted once, "
        f"kept as {RunDirectory.GMM_SAMPLER} beside the model).",
    )(command)
