"""The `keras-vae` command line: parse, call the library, print."""

from __future__ import annotations

import time
from pathlib import Path

import click

import keras_vae
from keras_vae.training import TrainingConfig

DEFAULTS = TrainingConfig()  # one source for every default


class BadInput(click.ClickException):
    """A problem with what the user gave (a file, a dataset, a value): one line, exit code 2."""

    exit_code = 2


def _widths(ctx, param, value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        widths = tuple(int(w) for w in value.split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise click.BadParameter(
            f"expected positive comma-separated integers like 512,256, got {value!r}"
        )
    return widths


def _registered(kind: str):
    def check(ctx, param, value: str) -> str:
        names = (
            keras_vae.list_architectures() if kind == "architecture" else keras_vae.list_losses()
        )
        if value not in names:
            lookup = keras_vae.get_architecture if kind == "architecture" else keras_vae.get_loss
            try:
                lookup(value)
            except ValueError as error:
                raise click.BadParameter(str(error)) from None
        return value

    return check


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(keras_vae.__version__, prog_name="keras-vae")
def main() -> None:
    """Variational Autoencoders in Keras 3 on TensorFlow, PyTorch and JAX (KERAS_BACKEND)."""


@main.command(name="list")
def list_registered() -> None:
    """List registered architectures and loss terms, plugins included.

    Example: keras-vae list
    """
    click.echo("architectures: " + ", ".join(keras_vae.list_architectures()))
    click.echo("losses: " + ", ".join(keras_vae.list_losses()))


@main.command()
@click.option(
    "--architecture",
    default=DEFAULTS.architecture,
    show_default=True,
    callback=_registered("architecture"),
    help="A registered architecture (keras-vae list).",
)
@click.option(
    "--latent-dim", default=DEFAULTS.latent_dim, show_default=True, type=click.IntRange(min=1)
)
@click.option("--hidden-units", callback=_widths, help="dense: comma-separated widths [512,256].")
@click.option("--filters", callback=_widths, help="conv/resnet: comma-separated channels [32,64].")
@click.option(
    "--likelihood",
    default=DEFAULTS.likelihood,
    show_default=True,
    callback=_registered("loss"),
    help="bernoulli, gaussian (the original MSE+KL), laplace, continuous_bernoulli.",
)
@click.option(
    "--beta",
    default=DEFAULTS.beta,
    show_default=True,
    type=click.FloatRange(min=0),
    help="KL weight.",
)
@click.option(
    "--warmup-steps",
    default=DEFAULTS.warmup_steps,
    show_default=True,
    type=click.IntRange(min=0),
    help="Linear KL warm-up over this many optimizer steps.",
)
@click.option(
    "--free-bits",
    default=DEFAULTS.free_bits,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Nats per latent dimension not penalised.",
)
@click.option(
    "--batch-size", default=DEFAULTS.batch_size, show_default=True, type=click.IntRange(min=1)
)
@click.option(
    "--learning-rate",
    default=DEFAULTS.learning_rate,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
)
@click.option("--epochs", default=DEFAULTS.epochs, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=DEFAULTS.seed, show_default=True, type=int)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory [runs/<time>-<architecture>].",
)
@click.option("--overwrite", is_flag=True, help="Allow writing into a non-empty --out.")
@click.option(
    "--data",
    type=click.Path(exists=True, path_type=Path),
    help="A dataset .npz (x_train, x_test) or a directory of IDX files [MNIST].",
)
@click.option(
    "--binarize",
    type=click.Choice(["none", "static", "dynamic"]),
    default="none",
    show_default=True,
    help="dynamic: a fresh Bernoulli draw of every training batch.",
)
@click.option(
    "--checkpoint-every",
    default=DEFAULTS.checkpoint_every,
    show_default=True,
    type=click.IntRange(min=1),
    help="Save a checkpoint every N epochs.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), help="Use only the first N train and test images."
)
def train(out: Path | None, overwrite: bool, binarize: str, **options) -> None:
    """Train a VAE and write the model, checkpoints, CSV log and figures to --out.

    Example: KERAS_BACKEND=jax keras-vae train --architecture conv --epochs 10
    """
    from keras_vae.training import train as run_training

    if out is None:
        out = Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{options['architecture']}"
    elif out.exists() and any(out.iterdir()) and not overwrite:
        raise click.UsageError(f"{out} is not empty; choose another --out or pass --overwrite.")
    config = TrainingConfig(out=out, binarize=None if binarize == "none" else binarize, **options)
    try:
        result = run_training(config)
    except (ValueError, FileNotFoundError) as error:
        raise BadInput(str(error)) from None

    import keras

    click.echo(f"\nbackend            {keras.backend.backend()}")
    click.echo(f"training images/s  {result.train_images_per_second:,.0f}")
    for name, value in sorted(result.test_metrics.items(), key=lambda item: item[0] != "loss"):
        label = "test -ELBO" if name == "loss" else f"test {name}"
        click.echo(f"{label:<18} {value:.2f} nats")
    click.echo(f"outputs            {result.out}/ (model.keras, log.csv, *.png, checkpoints/)")
