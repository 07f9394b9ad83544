"""One training run, from data to saved model, logs and figures: `TrainingConfig` and `train`."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from keras_vae import datasets, plots, visualize
from keras_vae.atomic_files import save_atomically, write_text_atomically
from keras_vae.backend import Replicas
from keras_vae.batches import ImageBatches, steps_per_epoch
from keras_vae.build import build_vae
from keras_vae.callbacks import Checkpoint, EpochTimer, StopOnNonFiniteLoss
from keras_vae.checkpoints import checkpoints_newest_first, latest_checkpoint, point_latest_at
from keras_vae.distribution import DataParallel, distribution_scope
from keras_vae.images import check_images
from keras_vae.losses import GaussianKL, Likelihood, get_loss
from keras_vae.model import VAE
from keras_vae.run_directory import RunDirectory
from keras_vae.saving import load_vae
from keras_vae.shards import ShardedImages

# What a resumed run may change; every other field defines the model, the data or the objective.
RESUMABLE_CHANGES = ("epochs", "checkpoint_every", "distribution", "verbose", "out")


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a run. Defaults follow the original project (batch 128, Adam
    1e-3, 50 epochs) with a Bernoulli likelihood; `likelihood="gaussian"` is its MSE + KL."""

    architecture: str = "dense"
    latent_dim: int = 16
    hidden_units: tuple[int, ...] | None = None  # dense widths; the architecture's default if None
    filters: tuple[int, ...] | None = (
        None  # conv/resnet channels; the architecture's default if None
    )
    likelihood: str = "bernoulli"
    beta: float = 1.0
    warmup_steps: int = 0
    free_bits: float = 0.0
    batch_size: int = 128
    learning_rate: float = 1e-3
    epochs: int = 50
    seed: int = 0
    out: Path = Path("runs/mnist")
    data: Path | None = None
    binarize: str | None = None
    checkpoint_every: int = 5
    limit: int | None = None  # use only the first N training and test images
    distribution: DataParallel | None = None  # data-parallel over devices/hosts; None: one device
    verbose: int | str = "auto"

    def architecture_kwargs(self) -> dict:
        """Returns the keyword arguments this config passes to the architecture factory."""
        kwargs = {}
        if self.hidden_units is not None:
            if self.architecture != "dense":
                raise ValueError(
                    "hidden_units applies to the dense architecture only; use filters."
                )
            kwargs["hidden_units"] = tuple(self.hidden_units)
        if self.filters is not None:
            if self.architecture not in ("conv", "resnet"):
                raise ValueError("filters applies to the conv and resnet architectures only.")
            kwargs["filters"] = tuple(self.filters)
        return kwargs


@dataclass(frozen=True)
class TrainingResult:
    """What a run produced: the model, its history and where the files are."""

    model: VAE
    history: dict[str, list[float]]
    test_metrics: dict[str, float]
    train_images_per_second: float
    out: Path


def load_data(config: TrainingConfig) -> tuple[tuple, tuple]:
    """Returns (x_train, y_train), (x_test, y_test) as `config` selects them."""
    if config.data is not None:
        splits = datasets.load_images(config.data, config.binarize, config.seed)
    else:
        splits = datasets.load_mnist(binarize=config.binarize, seed=config.seed)
    if not config.limit:
        return splits
    return tuple((x[: config.limit], None if y is None else y[: config.limit]) for x, y in splits)


def build_model(config: TrainingConfig, input_shape: tuple[int, ...]) -> VAE:
    """Returns the compiled VAE that `config` describes, for images of `input_shape`."""
    likelihood = get_loss(config.likelihood)
    if not (isinstance(likelihood, type) and issubclass(likelihood, Likelihood)):
        raise ValueError(
            f"{config.likelihood!r} is a loss term but not a reconstruction likelihood."
        )
    kl = GaussianKL(beta=config.beta, warmup_steps=config.warmup_steps, free_bits=config.free_bits)
    model = build_vae(
        config.architecture,
        input_shape=input_shape,
        latent_dim=config.latent_dim,
        losses=[likelihood(), kl],
        seed=config.seed,
        dynamic_binarization=config.binarize == "dynamic",
        **config.architecture_kwargs(),
    )
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate))
    return model


def initialize_output_bias(model: VAE, x: np.ndarray) -> None:
    """Sets the decoder's last bias to the likelihood's parameter for the mean training image.

    The untrained model then predicts the average image instead of uniform grey, and early
    training spends no steps learning it (as in Burda et al.'s IWAE code). The likelihood says
    which parameter has that mean (`Likelihood.params_for_mean`: the logit for the sigmoid-mean
    likelihoods, an inverted mean for the continuous Bernoulli); one that cannot say is left as
    built. A bias of one value per pixel takes the mean image; one per channel takes the
    channel means.

    Args:
        model: a VAE whose decoder ends in a layer with a bias (Dense or Conv2D), maybe followed
            by bias-free reshaping or cropping layers.
        x: (N, H, W, C) training images in [0, 1].
    """
    with_bias = [
        layer for layer in model.decoder.layers if getattr(layer, "bias", None) is not None
    ]
    if not with_bias:
        return
    layer = with_bias[-1]
    mean = x.mean(axis=0, dtype="float64")
    bias_size = int(np.prod(layer.bias.shape))
    if bias_size != mean.size:
        if bias_size != mean.shape[-1]:
            return  # an architecture whose output layer we cannot read; leave it as built
        mean = mean.reshape(-1, mean.shape[-1]).mean(axis=0)
    params = model.likelihood.params_for_mean(mean)
    if params is not None:
        layer.bias.assign(np.asarray(params, "float32").reshape(layer.bias.shape))


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped and kept its last good checkpoint."""


def train(config: TrainingConfig, resume: bool = False, overwrite: bool = False) -> TrainingResult:
    """Trains a VAE as `config` says and writes to `config.out`:

    `model.keras` (final), `checkpoints/epoch_NNN.keras` (every `checkpoint_every` epochs) and
    `checkpoints/latest` naming the newest, `log.csv` (per-epoch metrics), `config.json`, and
    `samples.png`, `reconstructions.png`, `training_curves.png`. Every model file is written
    atomically, so a kill at any moment leaves the previous complete one.

    Args:
        config: the run.
        resume: continue the run in `config.out` from its newest saved model (weights,
            optimizer state, step count, so a KL warm-up continues, and the sampling noise's
            random state) up to `config.epochs`; the batches come in the order the
            uninterrupted run would have used, and `log.csv` keeps one row per epoch.
        overwrite: allow a new run in a non-empty `config.out` (its files are replaced).

    Raises:
        FileExistsError: `config.out` is not empty and neither `resume` nor `overwrite` is set.
        ValueError: bad data or settings, or an unwritable `config.out`; the message says which.
        TrainingDiverged: the loss became NaN or infinite (the message names the step).
    """
    with distribution_scope(config.distribution) as replicas:
        return _train(config, resume, overwrite, replicas)


def _train(
    config: TrainingConfig, resume: bool, overwrite: bool, replicas: Replicas
) -> TrainingResult:
    out = Path(config.out)
    run = RunDirectory(out)
    # In a data-parallel run every process trains; only the chief writes files.
    chief = replicas.is_chief
    if resume and overwrite:
        raise ValueError("--resume continues a run and --overwrite replaces it; pass one.")
    if chief and not resume and not overwrite and out.is_dir() and any(out.iterdir()):
        raise FileExistsError(
            f"{out} is not empty; choose another --out, or pass --resume (continue that run) or "
            "--overwrite (replace its files)."
        )
    if resume:
        check_resumable(config, run)
    keras.utils.set_random_seed(config.seed)
    (x_train, _), (x_test, _) = load_data(config)
    # The loaders have checked each split's pixels; the splits must also agree in shape.
    check_images(
        x_test, x_train.shape[1:], what="test images", taker="a model of the training images"
    )
    if len(x_train) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the {len(x_train)} training images; "
            "lower --batch-size."
        )
    if config.batch_size % replicas.count:
        raise ValueError(
            f"batch_size {config.batch_size} does not split evenly between {replicas.count} "
            "replicas; pass a multiple of the number of devices."
        )
    if chief:  # only once the data is known good, so that bad input loses no earlier run
        if overwrite:
            run.clear()
        _make_output_directory(out)
    if resume:
        steps = steps_per_epoch(len(x_train), config.batch_size, replicas.count)
        model, initial_epoch = resume_point(out, steps, set_aside_damaged=chief)
        if initial_epoch >= config.epochs:
            raise ValueError(
                f"The run in {out} has already trained {initial_epoch} epochs; pass --epochs "
                f"above {initial_epoch} to train further."
            )
        check_images(x_train[:1], model.image_shape, what="training images")
        if chief:
            _truncate_log(run.log, initial_epoch)
    else:
        model, initial_epoch = build_model(config, tuple(x_train.shape[1:])), 0
        initialize_output_bias(model, x_train)
    if chief:
        _write_config(config, run.config)

    # Every process saves and draws alike, as a multi-host JAX run needs all of them in each
    # computation (saving included); those other than the chief write to a scratch directory.
    files = run if chief else RunDirectory(tempfile.mkdtemp(prefix="keras_vae_replica_"))
    epoch_times = EpochTimer()
    divergence = StopOnNonFiniteLoss()
    callbacks = [
        keras.callbacks.CSVLogger(str(files.log), append=resume and chief),
        divergence,
        Checkpoint(files.checkpoints, every=config.checkpoint_every),
        epoch_times,
    ]
    batches = ImageBatches(
        x_train,
        config.batch_size,
        config.seed,
        epoch=initial_epoch,
        # Images on disk are read by two threads ahead of the step; in memory, a thread costs
        # more than the copy it would hide.
        workers=2 if isinstance(x_train, ShardedImages) else 1,
        # Processes that feed their own devices (torchrun, multi-host JAX) take their part of
        # each batch; within a process, Keras splits it between the devices.
        part=(replicas.process_index, replicas.process_count),
        replicas=replicas.count,
    )
    try:
        history = model.fit(
            batches,
            shuffle=False,  # the batches shuffle themselves, by (seed, epoch)
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            validation_data=(x_test,),
            validation_batch_size=config.batch_size,
            callbacks=callbacks,
            verbose=config.verbose if chief else 0,
        )
        if divergence.stopped_at is not None:
            raise TrainingDiverged(_divergence_message(divergence.stopped_at, config, out))
        save_atomically(model, files.model)
        full_history = plots.read_training_log(files.log)
        write_figures(model, x_test, full_history, files)
    finally:
        if not chief:
            shutil.rmtree(files.path, ignore_errors=True)
    return TrainingResult(
        model=model,
        history=full_history,
        # The last validation pass already scored the final weights on the test set.
        test_metrics={k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        train_images_per_second=epoch_times.images_per_second(batches.images_per_epoch),
        out=out,
    )


def _make_output_directory(out: Path) -> None:
    """Creates `out/checkpoints`, or raises a ValueError if `out` cannot be written."""
    try:
        RunDirectory(out).checkpoints.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        raise ValueError(
            f"Cannot write to the output directory {out} ({error.strerror or error}); choose a "
            "writable --out."
        ) from None


def _divergence_message(stopped_at: dict, config: TrainingConfig, out: Path) -> str:
    kept = latest_checkpoint(RunDirectory(out).checkpoints)
    kept_text = (
        f"The last good checkpoint, {kept}, is kept; after the fix, continue from it with "
        f"--resume --out {out}."
        if kept
        else "No checkpoint had been written yet."
    )
    return (
        f"The loss became {stopped_at['value']} at step {stopped_at['step']} (epoch "
        f"{stopped_at['epoch']}, batch {stopped_at['batch']}), so training stopped. Likely "
        f"cause: a learning rate too high for this model ({config.learning_rate:g}; try "
        "10x lower), or data the likelihood cannot score. " + kept_text
    )


def resume_point(
    out: Path, steps_per_epoch: int, set_aside_damaged: bool = True
) -> tuple[VAE, int]:
    """Returns the newest intact model saved in the run directory `out` and the epochs it has
    trained.

    The candidates are `model.keras` and the newest checkpoint that loads; the one with the
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
            f"Nothing to resume in {out}: no model.keras or checkpoints/epoch_NNN.keras."
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
    in `run` was started with, other than those a resumed run may change
    (`RESUMABLE_CHANGES`): the rest define its model, data and objective."""
    if not run.config.exists():
        raise FileNotFoundError(
            f"Nothing to resume in {run.path}: it has no config.json of an earlier run."
        )
    started = read_config(run.config)
    differing = [
        f"--{field.name.replace('_', '-')} {_option_text(getattr(config, field.name))} (the run "
        f"has {_option_text(getattr(started, field.name))})"
        for field in dataclasses.fields(TrainingConfig)
        if field.name not in RESUMABLE_CHANGES
        and getattr(config, field.name) != getattr(started, field.name)
    ]
    if differing:
        raise ValueError(
            f"A resumed run keeps the model, data and objective it was started with, but "
            f"{', '.join(differing)} differ from {run.config}. Drop them (only --epochs, "
            "--checkpoint-every and the distribution options may change), or start a new run "
            "with another --out."
        )


def _option_text(value) -> str:
    if value is None:
        return "unset"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _truncate_log(path: Path, epochs: int) -> None:
    """Keeps the header and the first `epochs` rows of `log.csv`: later rows belong to epochs
    that the resumed model has not trained."""
    if path.exists():
        lines = path.read_text().splitlines(keepends=True)
        write_text_atomically(path, "".join(lines[: epochs + 1]))


def write_figures(model: VAE, x_test: np.ndarray, history: dict, run: RunDirectory) -> None:
    """Writes samples, reconstructions of the first test images, and the training curves."""
    visualize.write_samples(model, run.samples)
    visualize.write_reconstructions(model, x_test[:12], run.reconstructions)
    plots.plot_training_curves(history, run.training_curves)


def read_config(path: Path) -> TrainingConfig:
    """Returns the TrainingConfig a run wrote to its `config.json`."""
    fields = json.loads(Path(path).read_text())
    names = {field.name for field in dataclasses.fields(TrainingConfig)}
    fields = {k: v for k, v in fields.items() if k in names}
    for name in ("hidden_units", "filters"):
        if fields.get(name) is not None:
            fields[name] = tuple(fields[name])
    for name in ("out", "data"):
        if fields.get(name) is not None:
            fields[name] = Path(fields[name])
    if fields.get("distribution") is not None:
        fields["distribution"] = DataParallel(**fields["distribution"])
    return TrainingConfig(**fields)


def _write_config(config: TrainingConfig, path: Path) -> None:
    fields = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()
    }
    fields["backend"] = keras.backend.backend()
    write_text_atomically(path, json.dumps(fields, indent=2) + "\n")
