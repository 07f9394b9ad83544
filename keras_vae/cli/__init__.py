"""The `keras-vae` command line: parse, call the library, print.

`main` is the group; each module holds a few commands (training.py, images.py, scoring.py,
serving.py), errors.py the exit codes, options.py the shared options, inputs.py what commands
read. Nothing here imports a backend before a command runs, so `--help` and `list` stay fast.
"""

from __future__ import annotations

import click

import keras_vae
from keras_vae.cli.errors import BadInput, Diverged
from keras_vae.cli.images import generate, interpolate, plot, reconstruct
from keras_vae.cli.scoring import evaluate, score
from keras_vae.cli.serving import explore, export_command
from keras_vae.cli.training import train

__all__ = ["BadInput", "Diverged", "generate", "main", "train"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(keras_vae.__version__, prog_name="keras-vae")
def main() -> None:
    """Variational Autoencoders in Keras 3 on TensorFlow, PyTorch and JAX (KERAS_BACKEND)."""


@main.command(name="list")
def list_registered() -> None:
    """List registered architectures, loss terms, priors and objectives, plugins included.

    Example: keras-vae list
    """
    for kind in keras_vae.list_registries():
        registry = keras_vae.get_registry(kind)
        click.echo(f"{registry.plural}: " + ", ".join(registry.names()))


for command in (train, generate, reconstruct, interpolate, plot, evaluate, score, export_command,
                explore):  # fmt: skip
    main.add_command(command)
