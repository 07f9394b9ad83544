"""The `keras-vae` command line: parse, call the library, print.

`main` is the group; each module holds a few commands (training.py, images.py, scoring.py,
serving.py), errors.py the exit codes, options.py the shared options, inputs.py what commands
read. Nothing here imports a backend before a command runs, so `--help` and `list` stay fast.
"""

from __future__ import annotations

import click

import keras_vae
from keras_vae.cli.backend import ready_backend
from keras_vae.cli.errors import BadInput, Diverged
from keras_vae.cli.images import generate, interpolate, plot, reconstruct
from keras_vae.cli.scoring import classify, evaluate, score
from keras_vae.cli.serving import explore, export_command
from keras_vae.cli.training import train

__all__ = ["BadInput", "Diverged", "generate", "main", "train"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(keras_vae.__version__, prog_name="keras-vae")
def main() -> None:
    """Variational Autoencoders in Keras 3 on TensorFlow, PyTorch and JAX (KERAS_BACKEND)."""


@main.command(name="list")
@click.option(
    "--options",
    "with_options",
    is_flag=True,
    help="Also each component's options, with their types and defaults (`train --set`).",
)
def list_registered(with_options: bool) -> None:
    """List registered architectures, loss terms, priors and objectives, plugins included.

    \b
    Example: keras-vae list
             keras-vae list --options
    """
    if with_options:
        ready_backend()  # reading the options imports each component, and Keras; `list` does not
    for kind in keras_vae.list_registries():
        registry = keras_vae.get_registry(kind)
        if not with_options:
            click.echo(f"{registry.plural}: " + ", ".join(registry.names()))
            continue
        from keras_vae.component_options import component_options

        click.echo(f"{registry.plural}:")
        for name in registry.names():
            options = component_options(registry.get(name)).values()
            click.echo(f"  {name}" + ("" if options else "  (no options)"))
            for option in options:
                click.echo(f"    {option.describe()}")


for command in (train, generate, reconstruct, interpolate, plot, evaluate, score, classify,
                export_command, explore):  # fmt: skip
    main.add_command(command)
