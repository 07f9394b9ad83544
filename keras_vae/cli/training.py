"""`keras-vae train`."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import click

from keras_vae.cli.backend import KerasCommand
from keras_vae.cli.config_file import with_config_file
from keras_vae.cli.errors import BadInput, Diverged, user_errors
from keras_vae.cli.options import training_options
from keras_vae.component_options import parse_settings
from keras_vae.run_directory import RunDirectory
from keras_vae.training.components import M1
from keras_vae.training.config import TrainingConfig, read_config
from keras_vae.training.distribution import DataParallel
from keras_vae.training.m1m2 import M1_DIRECTORY, train_m1_first, trains_m1_first
from keras_vae.training.presets import PRESETS, with_preset


class TrainCommand(KerasCommand):
    """`train`, whose `--config FILE` gives arguments that the command line's own override."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, with_config_file(list(args)))


@click.command(cls=TrainCommand)
@training_options
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, path_type=Path),
    help='A TOML file of settings, a table per component ([prior] name = "vamp", '
    f"components = 50), or a run's directory (its {RunDirectory.CONFIG}) to replay it; flags "
    "given beside it win.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Output directory [runs/<time>-<architecture>].",
)
@click.option("--overwrite", is_flag=True, help="Allow writing into a non-empty --out.")
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS)),
    help="The settings of a row of the README's likelihood table; flags given beside it win.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue the run in --out from its newest model to --epochs; the run's saved "
    "config gives every other option.",
)
@click.option(
    "--distribute",
    type=click.Choice(["none", "data-parallel"]),
    default="none",
    show_default=True,
    help="data-parallel: JAX over all devices, TensorFlow MirroredStrategy, PyTorch under "
    "torchrun; --batch-size is the global batch.",
)
@click.option(
    "--coordinator-address", help="JAX multi-host: host:port of process 0.", metavar="HOST:PORT"
)
@click.option("--num-processes", type=click.IntRange(min=1), help="JAX multi-host: processes.")
@click.option("--process-id", type=click.IntRange(min=0), help="JAX multi-host: this process.")
@click.pass_context
def train(
    ctx: click.Context,
    out: Path | None,
    overwrite: bool,
    preset: str | None,
    resume: bool,
    distribute: str,
    coordinator_address: str | None,
    num_processes: int | None,
    process_id: int | None,
    config_file: Path | None,
    **options,
) -> None:
    """Train a VAE and write the model, checkpoints, CSV log and figures to --out.

    \b
    Example: KERAS_BACKEND=jax keras-vae train --architecture conv --epochs 10 --out runs/conv
    Later:   keras-vae train --out runs/conv --resume --epochs 20
    Preset:  keras-vae train --preset vamp-mnist --out runs/vamp
    File:    keras-vae train --config run.toml --epochs 5
    Replay:  keras-vae train --config runs/conv --out runs/conv-again
    """
    given = {
        name: value
        for name, value in options.items()
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    }
    if preset is not None:
        if resume:
            raise BadInput("--resume takes the run's own settings; drop --preset.")
        options = with_preset(preset, options, given)
    distribution = None
    if distribute == "data-parallel":
        distribution = DataParallel(coordinator_address, num_processes, process_id)
    elif coordinator_address or num_processes or process_id is not None:
        raise BadInput("--coordinator-address, --num-processes and --process-id need "
                       "--distribute data-parallel.")  # fmt: skip
    from keras_vae.training.run import TrainingDiverged
    from keras_vae.training.run import train as run_training

    if resume:
        if out is not None and RunDirectory(out / M1_DIRECTORY).config.exists():
            if not RunDirectory(out).config.exists():
                raise BadInput(
                    f"M2 has not started in {out}: its M1 ({out / M1_DIRECTORY}) is unfinished. "
                    "Run the command that started it again, without --resume: it resumes M1."
                )
        if out is None or not RunDirectory(out).config.exists():
            raise BadInput(
                f"--resume needs --out DIR of an earlier run (with its {RunDirectory.CONFIG})."
            )
        with user_errors():
            config = read_config(RunDirectory(out).config)
        # The run's saved config gives every option not on this command line; train() refuses
        # any given one that would change the model, the data or the objective.
        config = dataclasses.replace(config, out=out, distribution=distribution, **given)
    else:
        if out is None:
            out = Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{options['architecture']}"
        config = TrainingConfig(out=out, distribution=distribution, **options)
    with user_errors():
        if not resume and trains_m1_first(config):
            images = config.data or "MNIST"
            click.echo(f"M1+M2: training M1 on {images} in {out / M1_DIRECTORY} first")
            config = train_m1_first(config, overwrite=overwrite)
            click.echo(f"M1+M2: training M2 on the codes of {config.data}")
        elif not resume and parse_settings(config.component_options).get(M1):
            raise BadInput(
                f"--set {M1}.*: options of the M1 run that --dataset m1_codes trains first when "
                "--data holds images; this run trains no M1."
            )
        try:
            result = run_training(config, resume=resume, overwrite=overwrite)
        except TrainingDiverged as error:
            raise Diverged(str(error)) from None

    import keras

    click.echo(f"\n{'backend':<20} {keras.backend.backend()}")
    click.echo(f"{'training images/s':<20} {result.train_images_per_second:,.0f}")
    split = result.validated_on
    for name, value in sorted(result.test_metrics.items(), key=lambda item: item[0] != "loss"):
        label = f"{split} -ELBO" if name == "loss" else f"{split} {name}"
        if name == "bits_per_dim":
            click.echo(f"{split + ' -ELBO bits/dim':<20} {value:.3f}")
        elif name == "error":  # a semi-supervised model's classification error
            click.echo(f"{split + ' error':<20} {value:.2%}")
        else:
            click.echo(f"{label:<20} {value:.2f} nats")
    if result.best_epoch is not None:
        figure = "-ELBO" if result.chosen_by == "val_loss" else result.chosen_by[4:]
        click.echo(f"{'model kept':<20} epoch {result.best_epoch} (lowest validation {figure})")
    outputs = RunDirectory(result.out)
    written = ", ".join(p.name for p in (outputs.model, outputs.log, outputs.checkpoints))
    click.echo(f"{'outputs':<20} {result.out}/ ({written}, *.png)")
