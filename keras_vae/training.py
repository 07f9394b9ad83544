"""One training run, from data to saved model, logs and figures: `TrainingConfig` and `train`."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from keras_vae import datasets, plots, visualize
from keras_vae.build import build_vae
from keras_vae.losses import GaussianKL, Likelihood, get_loss
from keras_vae.model import VAE
from keras_vae.saving import load_vae


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
    """Sets the decoder's last bias to the logit of the mean training image.

    Every built-in likelihood's mean is sigmoid(params), so the untrained model then predicts the
    average image instead of uniform grey, and early training spends no steps learning it (as in
    Burda et al.'s IWAE code). A bias of one value per pixel takes the mean image; one per channel
    takes the channel means.

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
    mean = np.clip(x.mean(axis=0, dtype="float64"), 1e-3, 1 - 1e-3)
    bias_size = int(np.prod(layer.bias.shape))
    if bias_size != mean.size:
        if bias_size != mean.shape[-1]:
            return  # an architecture whose output layer we cannot read; leave it as built
        mean = mean.reshape(-1, mean.shape[-1]).mean(axis=0)
    layer.bias.assign(np.log(mean / (1 - mean)).reshape(layer.bias.shape).astype("float32"))


def train(config: TrainingConfig, resume: bool = False) -> TrainingResult:
    """Trains a VAE as `config` says and writes to `config.out`:

    `model.keras` (final), `checkpoints/epoch_NNN.keras` (every `checkpoint_every` epochs),
    `log.csv` (per-epoch metrics), `config.json`, and `samples.png`, `reconstructions.png`,
    `training_curves.png`.

    Args:
        config: the run.
        resume: continue the run in `config.out` from its newest saved model (weights,
            optimizer state and step count, so a KL warm-up continues) up to `config.epochs`,
            appending to its `log.csv`.
    """
    keras.utils.set_random_seed(config.seed)
    (x_train, _), (x_test, _) = load_data(config)
    if len(x_train) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the {len(x_train)} training images; "
            "lower --batch-size."
        )
    out = Path(config.out)
    steps_per_epoch = math.ceil(len(x_train) / config.batch_size)
    if resume:
        model, initial_epoch = resume_point(out, steps_per_epoch)
        if initial_epoch >= config.epochs:
            raise ValueError(
                f"The run in {out} has already trained {initial_epoch} epochs; pass --epochs "
                f"above {initial_epoch} to train further."
            )
        _truncate_log(out / "log.csv", initial_epoch)
    else:
        model, initial_epoch = build_model(config, tuple(x_train.shape[1:])), 0
        initialize_output_bias(model, x_train)
    (out / "checkpoints").mkdir(parents=True, exist_ok=True)
    _write_config(config, out / "config.json")

    epoch_times = EpochTimer()
    callbacks = [
        keras.callbacks.CSVLogger(str(out / "log.csv"), append=resume),
        keras.callbacks.ModelCheckpoint(
            str(out / "checkpoints" / "epoch_{epoch:03d}.keras"),
            save_freq=config.checkpoint_every * steps_per_epoch,
        ),
        epoch_times,
    ]
    history = model.fit(
        x_train,
        epochs=config.epochs,
        initial_epoch=initial_epoch,
        batch_size=config.batch_size,
        shuffle=True,
        validation_data=(x_test,),
        callbacks=callbacks,
        verbose=config.verbose,
    )
    model.save(out / "model.keras")
    full_history = plots.read_training_log(out / "log.csv")
    write_figures(model, x_test, full_history, out)
    return TrainingResult(
        model=model,
        history=full_history,
        # The last validation pass already scored the final weights on the test set.
        test_metrics={k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        train_images_per_second=epoch_times.images_per_second(len(x_train)),
        out=out,
    )


def resume_point(out: Path, steps_per_epoch: int) -> tuple[VAE, int]:
    """Returns the newest model saved in the run directory `out` and the epochs it has trained.

    The epoch count comes from the optimizer's step count, which the `.keras` file keeps.
    """
    candidates = sorted((out / "checkpoints").glob("epoch_*.keras"))[-1:]
    if (out / "model.keras").exists():
        candidates.append(out / "model.keras")
    if not candidates:
        raise FileNotFoundError(
            f"Nothing to resume in {out}: no model.keras or checkpoints/epoch_NNN.keras."
        )
    models = [load_vae(path) for path in candidates]
    model = max(models, key=lambda m: int(m.optimizer.iterations))
    return model, int(model.optimizer.iterations) // steps_per_epoch


def _truncate_log(path: Path, epochs: int) -> None:
    """Keeps the header and the first `epochs` rows of `log.csv`: later rows belong to epochs
    that the resumed model has not trained."""
    if path.exists():
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[: epochs + 1]))


def write_figures(model: VAE, x_test: np.ndarray, history: dict, out: Path) -> None:
    """Writes samples, reconstructions of the first test images, and the training curves."""
    visualize.write_samples(model, out / "samples.png")
    visualize.write_reconstructions(model, x_test[:12], out / "reconstructions.png")
    plots.plot_training_curves(history, out / "training_curves.png")


class EpochTimer(keras.callbacks.Callback):
    """Records each epoch's training time (validation excluded), so that steady-state
    throughput can leave out the first epoch, which compiles."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start: float | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()

    def _stop(self) -> None:
        if self._start is not None:
            self.seconds.append(time.perf_counter() - self._start)
            self._start = None

    def images_per_second(self, images_per_epoch: int) -> float:
        """Training images per second: the median epoch after the first, or the only one."""
        steady = self.seconds[1:] or self.seconds
        return images_per_epoch / float(np.median(steady))


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
    return TrainingConfig(**fields)


def _write_config(config: TrainingConfig, path: Path) -> None:
    fields = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()
    }
    fields["backend"] = keras.backend.backend()
    path.write_text(json.dumps(fields, indent=2) + "\n")
