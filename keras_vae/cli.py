"""The `keras-vae` command line: parse, call the library, print."""

from __future__ import annotations

import contextlib
import dataclasses
import time
import typing
from pathlib import Path

import click
import numpy as np

import keras_vae
from keras_vae.training.config import TrainingConfig, option_of, read_config
from keras_vae.training.distribution import DataParallel
from keras_vae.training.presets import PRESETS
from keras_vae.training.run_directory import RunDirectory


class BadInput(click.ClickException):
    """A problem with what the user gave (a file, a dataset, a value): one line, exit code 2."""

    exit_code = 2


class Diverged(click.ClickException):
    """Training stopped on a NaN or infinite loss: exit code 3."""

    exit_code = 3


def _integers(minimum: int, example: str):
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


def _registry(kind: str) -> tuple:
    """Returns the (list, get) functions of the registry of `kind`."""
    if kind == "architecture":
        return keras_vae.list_architectures, keras_vae.get_architecture
    if kind == "prior":
        return keras_vae.list_priors, keras_vae.get_prior
    return keras_vae.list_losses, keras_vae.get_loss


def _registered(kind: str):
    def check(ctx, param, value: str) -> str:
        names, lookup = _registry(kind)
        if value not in names():
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
    """List registered architectures, loss terms, priors and objectives, plugins included.

    Example: keras-vae list
    """
    click.echo("architectures: " + ", ".join(keras_vae.list_architectures()))
    click.echo("losses: " + ", ".join(keras_vae.list_losses()))
    click.echo("priors: " + ", ".join(keras_vae.list_priors()))
    click.echo("objectives: " + ", ".join(keras_vae.list_objectives()))


def _none_for_none(ctx, param, value):
    """The config's value of a choice: None where the command line says "none"."""
    return None if value == "none" else value


def _training_options(command):
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
        if option.registry:
            kwargs["callback"] = _registered(option.registry)
        elif option.choices:
            kwargs["type"] = click.Choice(["none" if c is None else c for c in option.choices])
            kwargs["default"] = "none" if field.default is None else field.default
            kwargs["callback"] = _none_for_none
        elif kind == (tuple[int, ...] | None):
            minimum = int(option.min) if option.min is not None else 1
            kwargs["callback"] = _integers(minimum, "9 or 0,6" if minimum == 0 else "512,256")
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
        command = click.option(f"--{field.name.replace('_', '-')}", **kwargs)(command)
    return command


@main.command()
@_training_options
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
    **options,
) -> None:
    """Train a VAE and write the model, checkpoints, CSV log and figures to --out.

    \b
    Example: KERAS_BACKEND=jax keras-vae train --architecture conv --epochs 10 --out runs/conv
    Later:   keras-vae train --out runs/conv --resume --epochs 20
    Preset:  keras-vae train --preset vamp-mnist --out runs/vamp
    """
    given = {
        name: value
        for name, value in options.items()
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    }
    if preset is not None:
        if resume:
            raise BadInput("--resume takes the run's own settings; drop --preset.")
        options = {**options, **PRESETS[preset], **given}
    distribution = None
    if distribute == "data-parallel":
        distribution = DataParallel(coordinator_address, num_processes, process_id)
    elif coordinator_address or num_processes or process_id is not None:
        raise BadInput("--coordinator-address, --num-processes and --process-id need "
                       "--distribute data-parallel.")  # fmt: skip
    from keras_vae.training.run import TrainingDiverged
    from keras_vae.training.run import train as run_training

    if resume:
        if out is None or not RunDirectory(out).config.exists():
            raise BadInput(
                f"--resume needs --out DIR of an earlier run (with its {RunDirectory.CONFIG})."
            )
        with _user_errors():
            config = read_config(RunDirectory(out).config)
        # The run's saved config gives every option not on this command line; train() refuses
        # any given one that would change the model, the data or the objective.
        config = dataclasses.replace(config, out=out, distribution=distribution, **given)
    else:
        if out is None:
            out = Path("runs") / f"{time.strftime('%Y%m%d-%H%M%S')}-{options['architecture']}"
        config = TrainingConfig(out=out, distribution=distribution, **options)
    with _user_errors():
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
        click.echo(f"{label:<20} {value:.2f} nats")
    if result.best_epoch is not None:
        figure = "-ELBO" if result.chosen_by == "val_loss" else result.chosen_by[4:]
        click.echo(f"{'model kept':<20} epoch {result.best_epoch} (lowest validation {figure})")
    outputs = RunDirectory(result.out)
    written = ", ".join(p.name for p in (outputs.model, outputs.log, outputs.checkpoints))
    click.echo(f"{'outputs':<20} {result.out}/ ({written}, *.png)")


@contextlib.contextmanager
def _user_errors():
    """Turns the library's errors about user input into a one-line message and exit code 2."""
    try:
        yield
    except (ValueError, TypeError, FileNotFoundError, FileExistsError) as error:
        raise BadInput(str(error)) from None


MODEL = click.argument("model", type=click.Path(path_type=Path))


def _load(model_path: Path):
    from keras_vae.saving import load_vae

    with _user_errors():
        return load_vae(model_path)


def _data_options(command):
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
        help="Test images from this .npz or IDX directory [the run's data, else MNIST].",
    )(command)


@dataclasses.dataclass(frozen=True)
class _TestSet:
    images: np.ndarray  # as the model saw data in training (binarised where it was)
    labels: np.ndarray | None
    grey_images: np.ndarray  # before binarisation: what decoder means are compared with
    mnist: bool  # MNIST digits, the only images classifier FID and IS describe


def _test_set(model_path: Path, model, data: Path | None, binarize: str) -> _TestSet:
    """Returns the test images for `model`: those of the run that trained it unless told."""
    from keras_vae import data as datasets

    run = RunDirectory.of_model(model_path)
    config = read_config(run.config) if run else None
    given_data = data is not None
    data = data or (config.data if config else None)
    seed = config.seed if config else 0
    if binarize == "auto":
        mode = config.binarize if config else ("dynamic" if model.dynamic_binarization else None)
    else:
        mode = None if binarize == "none" else binarize
    with _user_errors():
        grey = datasets.load_images(data) if data is not None else datasets.load_mnist()
        _, (x_test, y_test) = datasets.binarize_splits(grey, mode, seed)
    if tuple(x_test.shape[1:]) != model.image_shape:
        raise BadInput(
            f"The model takes images of shape {model.image_shape} but the test images are "
            f"{tuple(x_test.shape[1:])}; pass the dataset it was trained on with --data."
        )
    grey_test = grey[1][0]
    mnist = data is None or datasets.is_mnist_test_set(grey_test)
    # A run trained with --limit N validated on the first N test images: score those.
    limit = config.limit if config and not given_data else None
    if limit:
        x_test, grey_test = x_test[:limit], grey_test[:limit]
        y_test = None if y_test is None else y_test[:limit]
    return _TestSet(x_test, y_test, grey_test, mnist)


def _label_option(help: str):
    return click.option("--label", type=click.IntRange(min=0), help=help)


def _check_label(vae, label: int | None) -> None:
    """Raises BadInput for a --label an unconditional model, or the model's classes, cannot
    take."""
    if label is None:
        return
    if not vae.conditional:
        raise BadInput("--label applies to a conditional model (train --conditional); this one "
                       "is not.")  # fmt: skip
    if label >= vae.num_classes:
        raise BadInput(f"--label {label} is not a class of this model: it has "
                       f"{vae.num_classes} (0 to {vae.num_classes - 1}).")  # fmt: skip


def _test_labels(vae, test: _TestSet) -> np.ndarray | None:
    """Returns the test labels a conditional model needs (None for another model), or raises
    BadInput where the data has none."""
    if not vae.conditional:
        return None
    if test.labels is None:
        raise BadInput("This conditional model needs the test images' labels, and the data has "
                       "none; pass --data with y_test (or y_train/y_test in an .npz).")  # fmt: skip
    return np.asarray(test.labels)


def _latent_sampler_options(command):
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


def _fitted_latent_sampler(model_path: Path, vae, name: str, components: int):
    """Returns None for the prior, else the run's Gaussian-mixture sampler: the one saved beside
    the model if it is newer than the model and has `components`, else one fitted now to the
    run's training images (without its validation split) and saved."""
    if name == "prior":
        return None
    from keras_vae.gmm_sampler import ClassConditionalSampler, load_latent_sampler
    from keras_vae.inference import fit_latent_sampler

    run = RunDirectory.of_model(model_path)
    if run is None:
        raise BadInput(
            f"--latent-sampler gmm fits the codes of the model's training images, which the "
            f"run's {RunDirectory.CONFIG} names; {model_path} is not in a run directory."
        )
    model_file = model_path if model_path.is_file() else run.model
    if run.gmm_sampler.exists() and run.gmm_sampler.stat().st_mtime >= model_file.stat().st_mtime:
        with _user_errors():
            sampler = load_latent_sampler(run.gmm_sampler)
        per_class = isinstance(sampler, ClassConditionalSampler)
        first = sampler.mixtures[0] if per_class else sampler
        if per_class == vae.conditional and len(first.weights) == components:
            return sampler
    from keras_vae.data.binarize import binarize_stochastic
    from keras_vae.training.start import load_data

    config = read_config(run.config)
    with _user_errors():
        (x_train, y_train), _ = load_data(config)
        x_train = x_train[: len(x_train) - config.validation_images(len(x_train))]
        if config.binarize == "dynamic":  # as the model saw them: binary
            x_train = binarize_stochastic(np.asarray(x_train), config.seed)
        labels = y_train[: len(x_train)] if vae.conditional else None
        sampler = fit_latent_sampler(vae, np.asarray(x_train), components, config.seed, labels)
    sampler.save(run.gmm_sampler)
    what = "one per class " if vae.conditional else ""
    click.echo(f"fitted a {components}-component mixture {what}to {len(x_train)} training "
               f"codes: {run.gmm_sampler}", err=True)  # fmt: skip
    return sampler


def _output_file(path: Path) -> Path:
    if path.is_dir():
        raise BadInput(f"--out {path} is a directory; give a file name such as grid.png.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@main.command()
@MODEL
@click.option("-n", "--count", default=64, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--out",
    default=RunDirectory.SAMPLES,
    show_default=True,
    type=click.Path(path_type=Path),
    help="The PNG grid to write.",
)
@click.option("--npz", type=click.Path(path_type=Path), help="Also save the images (key 'x').")
@click.option(
    "--temperature",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Scale of the prior's standard deviation.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@_label_option("Conditional model: draw every image of this class [every class, in order].")
@_latent_sampler_options
def generate(
    model: Path,
    count: int,
    out: Path,
    npz: Path | None,
    temperature: float,
    seed: int,
    label: int | None,
    latent_sampler: str,
    gmm_components: int,
) -> None:
    """Draw images from the prior of a trained model (or a mixture fitted to training codes).

    \b
    Example: keras-vae generate runs/conv -n 64 --out grid.png --npz samples.npz
    Conditional: keras-vae generate runs/cvae -n 100 --label 7 --out sevens.png
    """
    from keras_vae import plots

    vae = _load(model)
    _check_label(vae, label)
    sampler = _fitted_latent_sampler(model, vae, latent_sampler, gmm_components)
    labels = None if label is None else np.full(count, label)
    images = plots.write_samples(vae, _output_file(out), count, seed, temperature, sampler, labels)
    if npz is not None:
        np.savez_compressed(_output_file(npz), x=images)
    click.echo(f"wrote {out}" + (f" and {npz} ({images.shape})" if npz else ""))


@main.command()
@MODEL
@click.option(
    "--out",
    default=RunDirectory.RECONSTRUCTIONS,
    show_default=True,
    type=click.Path(path_type=Path),
)
@click.option("-n", "--count", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--first", default=0, show_default=True, type=click.IntRange(min=0))
@_data_options
def reconstruct(
    model: Path, out: Path, count: int, first: int, data: Path | None, binarize: str
) -> None:
    """Show test images over their reconstructions.

    Example: keras-vae reconstruct runs/conv --out recon.png -n 16
    """
    from keras_vae import plots

    vae = _load(model)
    test = _test_set(model, vae, data, binarize)
    x, labels = test.images, _test_labels(vae, test)
    if first >= len(x):
        raise BadInput(f"--first {first} is past the last of the {len(x)} test images.")
    part = slice(first, first + count)
    plots.write_reconstructions(
        vae, x[part], _output_file(out), None if labels is None else labels[part]
    )
    click.echo(f"wrote {out}")


@main.command()
@MODEL
@click.option("--from", "first", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--to", "last", default=1, show_default=True, type=click.IntRange(min=0))
@click.option("--steps", default=10, show_default=True, type=click.IntRange(min=2))
@click.option(
    "--out", default="interpolation.png", show_default=True, type=click.Path(path_type=Path)
)
@_label_option("Conditional model: decode the path as this class [the first image's].")
@_data_options
def interpolate(
    model: Path,
    first: int,
    last: int,
    steps: int,
    out: Path,
    label: int | None,
    data: Path | None,
    binarize: str,
) -> None:
    """Decode the straight line between two test images' posterior means.

    Example: keras-vae interpolate runs/conv --from 3 --to 7 --steps 10 --out i.png
    """
    from keras_vae import plots

    vae = _load(model)
    _check_label(vae, label)
    test = _test_set(model, vae, data, binarize)
    with _user_errors():
        plots.write_interpolation(
            vae, test.images, first, last, steps, _output_file(out), _test_labels(vae, test), label
        )
    click.echo(f"wrote {out}")


@main.command()
@MODEL
@click.option(
    "--out",
    default="plots",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Directory for latent_space.png, manifold.png, {RunDirectory.TRAINING_CURVES}.",
)
@_label_option("Conditional model: decode the manifold as this class [0].")
@_data_options
def plot(model: Path, out: Path, label: int | None, data: Path | None, binarize: str) -> None:
    """Plot the latent space of the test set, a decoded latent grid, the training curves, and
    a VampPrior's pseudo-inputs.

    Example: keras-vae plot runs/conv --out runs/conv/plots
    """
    from keras_vae import plots

    vae = _load(model)
    _check_label(vae, label)
    test = _test_set(model, vae, data, binarize)
    _test_labels(vae, test)
    out.mkdir(parents=True, exist_ok=True)
    with _user_errors():
        written = plots.write_latent_plots(vae, test.images, test.labels, out, label=label)
        pseudo_inputs = plots.write_prior_images(vae, out / "pseudo_inputs.png")
    if pseudo_inputs is not None:
        written.append(pseudo_inputs)
    run = RunDirectory.of_model(model)
    if run and run.log.exists():
        curves = out / run.training_curves.name
        plots.plot_training_curves(run.read_log(), curves)
        written.append(curves)
    else:
        click.echo(f"no {RunDirectory.LOG} beside {model}: training curves skipped", err=True)
    click.echo("wrote " + ", ".join(str(path) for path in written))


@main.command()
@MODEL
@click.option(
    "--k",
    default=5000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Importance samples per image for the IWAE bound.",
)
@click.option(
    "--iwae-images",
    type=click.IntRange(min=1),
    help="Score the IWAE bound on the first N test images only [all]; it costs k decoder "
    "passes per image.",
)
@click.option(
    "--generated",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=10),
    help="Prior samples for classifier FID and IS.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write JSON.")
@click.option("--seed", default=0, show_default=True, type=int)
@_data_options
@_latent_sampler_options
def evaluate(
    model: Path,
    k: int,
    iwae_images: int | None,
    generated: int,
    json_path: Path | None,
    seed: int,
    data: Path | None,
    binarize: str,
    latent_sampler: str,
    gmm_components: int,
) -> None:
    """Score a model on the test set: -ELBO, IWAE NLL, active units, classifier FID and IS.

    \b
    Example: keras-vae evaluate runs/conv --k 5000 --json runs/conv/eval.json
    """
    from keras_vae.evaluation import evaluate as run_evaluation

    vae = _load(model)
    test = _test_set(model, vae, data, binarize)
    sampler = _fitted_latent_sampler(model, vae, latent_sampler, gmm_components)
    with _user_errors():
        report = run_evaluation(
            vae,
            test.images,
            k=k,
            iwae_images=iwae_images,
            generated_images=generated,
            fid_reference=test.grey_images,
            seed=seed,
            mnist=test.mnist,
            latent_sampler=sampler,
            labels=_test_labels(vae, test),
        )
    click.echo(report.table())
    if json_path is not None:
        report.to_json(_output_file(json_path))
        click.echo(f"wrote {json_path}")


@main.command()
@MODEL
@click.option(
    "--out",
    default="scores.csv",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The CSV to write: one row per image (index, label, the score and its parts).",
)
@click.option(
    "--score",
    "score_name",
    type=click.Choice(["nll", "elbo", "complexity"]),
    default="nll",
    show_default=True,
    help="nll: the IWAE bound on -log p(x); elbo: the negative ELBO (fast, looser); "
    "complexity: the NLL less the image's PNG length (Serra et al., 2020), which undoes the "
    "likelihood's preference for simple images. Higher is more unusual.",
)
@click.option("--k", type=click.IntRange(min=1), help="Posterior draws per image [1000; elbo: 1].")
@click.option(
    "--anomalous-labels",
    callback=_integers(0, "9 or 0,6"),
    metavar="LABELS",
    help="Comma-separated labels that count as anomalies (e.g. 9): print the AUROC of the "
    "score (and of the NLL beside the complexity score) against the other labels.",
)
@click.option(
    "--roc",
    type=click.Path(path_type=Path),
    help="With --anomalous-labels: also draw the ROC curves to this PNG.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@_data_options
def score(
    model: Path,
    out: Path,
    score_name: str,
    k: int | None,
    anomalous_labels: tuple[int, ...] | None,
    roc: Path | None,
    seed: int,
    data: Path | None,
    binarize: str,
) -> None:
    """Score every test image for how unusual the model finds it (anomaly scores).

    \b
    Example: keras-vae score runs/no9 --anomalous-labels 9 --roc roc.png --out scores.csv
    """
    from keras_vae.evaluation.anomaly import anomaly_scores, auroc, roc_curve

    if roc is not None and anomalous_labels is None:
        raise BadInput("--roc draws the ROC of --anomalous-labels; pass them too (e.g. 9).")
    vae = _load(model)
    test = _test_set(model, vae, data, binarize)
    anomalous = None
    if anomalous_labels is not None:
        if test.labels is None:
            raise BadInput("--anomalous-labels needs the test images' labels, and the data has "
                           "none; pass --data with y_test.")  # fmt: skip
        anomalous = np.isin(np.asarray(test.labels), anomalous_labels)
        if anomalous.all() or not anomalous.any():
            raise BadInput(
                f"--anomalous-labels {','.join(map(str, anomalous_labels))} marks "
                f"{int(anomalous.sum())} of {len(anomalous)} test images; an AUROC needs "
                "anomalies and normal images both."
            )
    with _user_errors():
        scores = anomaly_scores(vae, test.images, score_name, k, seed, _test_labels(vae, test))
    scores.to_csv(_output_file(out), test.labels)
    click.echo(
        f"scored {len(scores.values)} images by {score_name} ({scores.draws} posterior "
        f"draw{'s' if scores.draws > 1 else ''} each): mean {scores.values.mean():.2f} nats; "
        f"wrote {out}"
    )
    if anomalous is None:
        return
    ranked = [name for name in scores.columns if name != "png_nats"]
    curves = {}
    for name in ranked:
        fpr, tpr = roc_curve(scores.columns[name], anomalous)
        curves[name] = (fpr, tpr, auroc(scores.columns[name], anomalous))
    labels = ",".join(map(str, anomalous_labels))
    click.echo(
        f"AUROC of labels {labels} ({int(anomalous.sum())} images) against the rest "
        f"({int((~anomalous).sum())}): "
        + ", ".join(f"{name} {area:.4f}" for name, (_, _, area) in curves.items())
    )
    if roc is not None:
        from keras_vae.plots import plot_roc_curves

        plot_roc_curves(curves, _output_file(roc), title=f"labels {labels} against the rest")
        click.echo(f"wrote {roc}")


@main.command(name="export")
@MODEL
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["onnx", "tf_saved_model"]),
    default="onnx",
    show_default=True,
    help="onnx: from every backend; tf_saved_model: from the TensorFlow backend.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the encoder, the decoder and vae.json (created if missing).",
)
def export_command(model: Path, export_format: str, out: Path) -> None:
    """Export the encoder (image -> z_mean, z_log_var) and decoder (z -> mean image) for serving.

    \b
    Example: keras-vae export runs/conv --format onnx --out served/
    """
    from keras_vae.export import MissingExporter, check_exporter, export_vae

    try:  # before loading the model: a missing converter is known in a moment
        check_exporter(export_format)
    except MissingExporter as error:
        raise BadInput(str(error)) from None
    vae = _load(model)
    with _user_errors():  # e.g. --out names a file
        files = export_vae(vae, out, export_format)
    click.echo(f"wrote {files.encoder}, {files.decoder}, {files.metadata}")


@main.command()
@MODEL
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=0,
    type=click.IntRange(0, 65535),
    help="Port to listen on [a free one, printed].",
)
@click.option(
    "--points",
    default=2000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Test images shown in the latent plane (the first N).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@_data_options
def explore(
    model: Path,
    host: str,
    port: int,
    points: int,
    open_browser: bool,
    data: Path | None,
    binarize: str,
) -> None:
    """Explore the latent space in the browser: a pad, sliders, the test set's codes,
    interpolations and samples, decoded live.

    \b
    Example: keras-vae explore runs/conv --port 8000
    """
    from keras_vae.explorer import check_installed

    try:
        check_installed()
    except ImportError as error:
        raise BadInput(str(error)) from None
    from keras_vae.explorer.latent_space import LatentSpace
    from keras_vae.explorer.server import ExplorerServer

    vae = _load(model)
    test = _test_set(model, vae, data, binarize)
    labels = None if test.labels is None else np.asarray(test.labels)[:points]
    with _user_errors():
        space = LatentSpace(vae, test.images[:points], labels, test.grey_images[:points])
    space.warm_up()
    try:
        server = ExplorerServer(space, host, port)
    except OSError as error:
        raise BadInput(str(error)) from None
    click.echo(f"keras-vae explore: {server.url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    server.run()
