"""`TrainingConfig`, everything that defines a run, and the JSON file a run keeps it in.

Each field's `Option` says how it appears on the command line, so that `keras-vae train` takes
every option the config has (a field added here is a new flag, with its help and checks). This
module imports neither Keras nor a backend: the CLI builds its `--help` from it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from keras_vae.atomic_files import write_text_atomically
from keras_vae.data.binarize import BINARIZE_CHOICES
from keras_vae.data.source import DataSource
from keras_vae.training.distribution import DataParallel

MMD_KERNELS = ("rbf", "imq")


@dataclass(frozen=True)
class Option:
    """How a `TrainingConfig` field appears on the command line, and its allowed values.

    Attributes:
        help: the flag's help text.
        min: the smallest value allowed (numbers).
        min_open: the minimum itself is not allowed.
        registry: "architecture", "loss", "prior", "objective" or "dataset": the value is a
            name registered there ("objective" takes a loss term that shapes the ELBO too).
        choices: the allowed values; None among them is spelled "none".
        resumable: a resumed run may change it (the others define the model, data, objective).
        command_line: False for fields set through other flags or left to the library.
        flag: the flag's name where it is not the field's ("--set").
    """

    help: str = ""
    min: float | None = None
    min_open: bool = False
    registry: str | None = None
    choices: tuple | None = None
    resumable: bool = False
    command_line: bool = True
    flag: str | None = None


def _field(default, **option):
    return field(default=default, metadata={"option": Option(**option)})


def option_of(config_field: dataclasses.Field) -> Option:
    """Returns the `Option` of a `TrainingConfig` field."""
    return config_field.metadata["option"]


def flag_of(config_field: dataclasses.Field) -> str:
    """Returns the command-line flag of a `TrainingConfig` field ("--latent-dim")."""
    return option_of(config_field).flag or f"--{config_field.name.replace('_', '-')}"


@dataclass(frozen=True)
class TrainingConfig:
    """Everything that defines a run. Defaults follow the original project (batch 128, Adam
    1e-3, 50 epochs) with a Bernoulli likelihood; `likelihood="gaussian"` is its MSE + KL."""

    architecture: str = _field(
        "dense", help="A registered architecture (keras-vae list).", registry="architecture"
    )
    latent_dim: int = _field(16, help="Size of the latent z.", min=1)
    # dense widths / conv and resnet channels; the architecture's default if None
    hidden_units: tuple[int, ...] | None = _field(
        None, help="dense, gated_dense, hvae, conv_hvae: comma-separated widths [512,256]."
    )
    filters: tuple[int, ...] | None = _field(
        None, help="conv, resnet, conv_hvae: comma-separated channels [32,64]."
    )
    activation: str | None = _field(
        None, help="dense: activation of the hidden layers [relu] (tanh: Burda et al.'s MLP)."
    )
    init_scale: float | None = _field(
        None,
        help="dense: start every weight matrix N(0, SCALE^2) [Keras's Glorot-uniform] "
        "(Kingma et al.'s code: 1e-3).",
        min=0,
        min_open=True,
    )
    weight_prior_sd: float | None = _field(
        None,
        help="dense: a N(0, SD^2) prior on every weight matrix (Kingma et al.'s code: 1): its "
        "sum of squares over 2 SD^2 N, N the training images, added to the per-image loss "
        "[none].",
        min=0,
        min_open=True,
    )
    latent_layers: int | None = _field(
        None, help="hvae, conv_hvae: stochastic layers, each of --latent-dim units [2].", min=2
    )
    upsampling: str | None = _field(
        None,
        help="conv/resnet: how the decoder doubles the image: transpose, pixel_shuffle [auto: "
        "pixel_shuffle on JAX, transpose elsewhere].",
        choices=(None, "auto", "transpose", "pixel_shuffle"),  # resampling.UPSAMPLING
    )
    downsampling: str | None = _field(
        None,
        help="conv/resnet: how the encoder halves the image [strided].",
        choices=(None, "strided", "space_to_depth"),  # resampling.DOWNSAMPLING
    )
    likelihood: str = _field(
        "bernoulli",
        help="bernoulli, gaussian (the original MSE+KL), laplace, continuous_bernoulli; over "
        "8-bit values: discretized_logistic_mixture (colour; 10 components), "
        "discretized_logistic, discretized_gaussian, pixelcnn (each pixel given the ones "
        "before it).",
        registry="loss",
    )
    prior: str = _field(
        "standard_normal",
        help="A registered prior: standard_normal, mixture_of_gaussians, vamp (keras-vae list).",
        registry="prior",
    )
    prior_components: int | None = _field(
        None,
        help="mixture_of_gaussians: components [10]; vamp: pseudo-inputs [500].",
        min=1,
    )
    conditional: bool = _field(
        False,
        help="Condition the model on the dataset's labels (a conditional VAE; the data must "
        "have y_train and y_test).",
    )
    labelled: int | None = _field(
        None,
        help="Semi-supervised (M2, Kingma et al. 2014): keep the labels of this many training "
        "images, the same number of each class, drawn with --labelled-seed; the rest train "
        "unlabelled (the data must have labels).",
        min=1,
    )
    labelled_seed: int = _field(0, help="--labelled: seed of the labelled images' draw.")
    labelled_per_batch: int | None = _field(
        None,
        help="--labelled: labelled images in every batch [their share of the training set, "
        "at least 1, as in the paper's code].",
        min=1,
    )
    classification_weight: float = _field(
        0.1,
        help="--labelled: alpha, the weight of the labelled images' mean cross-entropy (the "
        "paper's 0.1).",
        min=0,
    )
    class_noise: str = _field(
        "shared",
        help="--labelled: an unlabelled image's noise draw, the same for every class it is "
        "summed over (shared) or one per class (per_class, as the paper's code).",
        choices=("shared", "per_class"),  # semi_supervised.CLASS_NOISE
    )
    objective: str = _field(
        "elbo",
        help="A registered objective: elbo; iwae (the k-draw bound, Burda et al.). Or a loss "
        "term that shapes the ELBO, a KL term in place of the KL: beta_tc (the KL split into "
        "MI, TC and dimension-wise KL, TC weighted by --beta; Chen et al.), any other added to "
        "it: mmd (--mmd-weight x the MMD to the prior, InfoVAE). Plugins' too (keras-vae list).",
        registry="objective",
    )
    k: int = _field(5, help="iwae: posterior draws per image.", min=1)
    mmd_kernel: str = _field("imq", help="mmd: the kernel.", choices=MMD_KERNELS)
    mmd_weight: float = _field(1000.0, help="mmd: weight of the MMD in the objective.", min=0)
    beta: float = _field(1.0, help="KL weight (beta_tc: the total correlation's).", min=0)
    warmup_steps: int = _field(0, help="Linear KL warm-up over this many optimizer steps.", min=0)
    free_bits: float = _field(0.0, help="Nats per latent dimension not penalised.", min=0)
    component_options: tuple[str, ...] = _field(
        (),
        help="ROLE.OPTION=VALUE: an option of the run's architecture, likelihood, kl, prior, "
        "objective or mmd term, plugins' included (e.g. prior.components=50; keras-vae list "
        "--options); dataset.OPTION of the dataset; m1.OPTION of the M1 run that --dataset "
        "m1_codes trains first when --data holds images (e.g. m1.epochs=30). Repeatable.",
        flag="--set",
    )
    batch_size: int = _field(128, help="Images per optimizer step.", min=1)
    fixed_batches: bool = _field(
        False,
        help="Cut the training images into batches once and train on the same batches every "
        "epoch (as Kingma et al.'s semi-supervised code), instead of a new shuffle each epoch.",
    )
    learning_rate: float = _field(1e-3, help="Adam's learning rate.", min=0, min_open=True)
    uncorrected_adam: bool = _field(
        False,
        help="Adam without its bias correction, as Kingma et al.'s 2014 code: its first steps "
        "up to 6.5 times larger, within 1% of Adam's after 4,000.",
    )
    learning_rate_decay_epochs: int = _field(
        0,
        help="Anneal the learning rate towards zero along a half cosine over the last N "
        "epochs, all of them if the run is shorter (0: constant).",
        min=0,
        resumable=True,
    )
    clip_norm: float | None = _field(
        None,
        help="Scale each step's gradients down to at most this global L2 norm (Keras's "
        "global_clipnorm), so that one bad batch cannot throw the weights far [no clipping].",
        min=0,
        min_open=True,
        resumable=True,
    )
    epochs: int = _field(50, help="Train up to this many epochs.", min=1, resumable=True)
    seed: int = _field(0, help="Seed of the weights, batch order and sampling noise.")
    out: Path = _field(
        Path("runs/mnist"), help="Output directory.", resumable=True, command_line=False
    )
    data: Path | None = _field(
        None,
        help="A dataset .npz (x_train, x_test), a directory of IDX files, or a folder of images "
        "(class sub-folders are labels; train/ and test/ sub-folders the split) [MNIST].",
    )
    dataset: str | None = _field(
        None,
        help="A registered dataset (keras-vae list): read --data as this kind, or, for one that "
        "finds its own files (mnist, a plugin's), read it [the kind --data is; MNIST].",
        registry="dataset",
    )
    image_size: tuple[int, ...] | None = _field(
        None,
        help="Image folders: scale each image to cover SIZE or HEIGHT,WIDTH and centre-crop it "
        "(needed where the images differ in size). Emoji: average them down to SIZE (32, ...).",
    )
    test_split: float | None = _field(
        None,
        help="Image folders without train/ and test/: hold out this fraction (below 1) or "
        "number of the images as the test set [0.1]. Emoji: this fraction of the emoji.",
        min=0,
        min_open=True,
    )
    split_seed: int = _field(0, help="Image folders, emoji: seed of the --test-split draw.")
    skip_bad_images: bool = _field(
        False,
        help="Image folders: leave out files that are not readable images (truncated, damaged), "
        "with a warning counting them, instead of stopping with their names.",
    )
    stream: bool = _field(
        False,
        help="Image folders: keep the training images on disk and decode each batch in "
        "--stream-workers processes (Grain), for folders larger than memory; the batches "
        "are those of a run without it.",
        resumable=True,
    )
    stream_workers: int = _field(
        2,
        help="--stream: processes decoding batches (0: threads of the training process).",
        min=0,
        resumable=True,
    )
    binarize: str | None = _field(
        None,
        help="dynamic: a fresh Bernoulli draw of every training batch.",
        choices=BINARIZE_CHOICES,
    )
    checkpoint_every: int = _field(
        5, help="Save a checkpoint every N epochs.", min=1, resumable=True
    )
    exclude_labels: tuple[int, ...] | None = _field(
        None,
        help="Drop the training images of these labels (e.g. 9, or 0,6), validation split "
        "included; the test set keeps them (to score them as anomalies).",
        min=0,
    )
    limit: int | None = _field(None, help="Use only the first N train and test images.", min=1)
    validation_split: float | None = _field(
        None,
        help="Hold out the last N training images (N >= 1; a fraction if below 1) to validate "
        "and choose the model on; the test set is then left to `evaluate`.",
        min=0,
        min_open=True,
    )
    early_stopping: int | None = _field(
        None,
        help="Stop after N epochs without a better validation loss (needs --validation-split).",
        min=1,
        resumable=True,
    )
    # data-parallel over devices/hosts; None: one device (the CLI's --distribute and JAX flags)
    distribution: DataParallel | None = _field(None, resumable=True, command_line=False)
    verbose: int | str = _field("auto", resumable=True, command_line=False)  # Keras's fit()

    def architecture_kwargs(self, train_images: int | None = None) -> dict:
        """Returns the keyword arguments this config passes to the architecture factory, or
        raises a ValueError for one the factory does not take.

        Args:
            train_images: the size of the training set, which --weight-prior-sd divides by.
        """
        import inspect

        from keras_vae.architectures import get_architecture

        given = {
            "hidden_units": self.hidden_units and tuple(self.hidden_units),
            "filters": self.filters and tuple(self.filters),
            "activation": self.activation,
            "latent_layers": self.latent_layers,
            "upsampling": self.upsampling,
            "downsampling": self.downsampling,
            "init_scale": self.init_scale,
            "kernel_l2": self._kernel_l2(train_images),
        }
        flags = {name: f"--{name.replace('_', '-')}" for name in given}
        flags["kernel_l2"] = "--weight-prior-sd"
        takes = inspect.signature(get_architecture(self.architecture)).parameters
        options = sorted(flags[name] for name in set(takes) & set(given))
        given = {name: value for name, value in given.items() if value is not None}
        for name in given:
            if name not in takes:
                raise ValueError(
                    f"{flags[name]} does not apply to the {self.architecture} architecture; "
                    f"it takes {', '.join(options) or 'none of these options'}."
                )
        return given

    def _kernel_l2(self, train_images: int | None) -> float | None:
        """Returns the weight of the weights' sum of squares in the per-image loss that
        --weight-prior-sd's N(0, SD^2) prior makes: its negative log-density over N images."""
        if self.weight_prior_sd is None:
            return None
        if not train_images:
            raise ValueError("--weight-prior-sd needs the size of the training set.")
        return 1.0 / (2.0 * self.weight_prior_sd**2 * train_images)

    def data_source(self) -> DataSource:
        """Returns where this run's images come from and how it prepares them."""
        from keras_vae.component_options import parse_settings

        return DataSource(
            data=self.data,
            dataset=self.dataset,
            binarize=self.binarize,
            seed=self.seed,
            limit=self.limit,
            exclude_labels=self.exclude_labels,
            validation_split=self.validation_split,
            image_size=self.image_size,
            test_split=self.test_split,
            split_seed=self.split_seed,
            skip_bad_images=self.skip_bad_images,
            stream=self.stream,
            options=tuple(parse_settings(self.component_options).get("dataset", {}).items()),
        )

    def validation_images(self, train_images: int) -> int:
        """Returns how many of `train_images` the validation split holds out (0: none)."""
        return self.data_source().validation_images(train_images)


def read_config(path: Path) -> TrainingConfig:
    """Returns the TrainingConfig a run wrote (`RunDirectory.config`)."""
    fields = json.loads(Path(path).read_text())
    names = {f.name for f in dataclasses.fields(TrainingConfig)}
    fields = {k: v for k, v in fields.items() if k in names}
    for name in ("hidden_units", "filters", "exclude_labels", "component_options", "image_size"):
        if fields.get(name) is not None:
            fields[name] = tuple(fields[name])
    for name in ("out", "data"):
        if fields.get(name) is not None:
            fields[name] = Path(fields[name])
    if fields.get("distribution") is not None:
        fields["distribution"] = DataParallel(**fields["distribution"])
    return TrainingConfig(**fields)


def write_config(config: TrainingConfig, path: Path, backend: str) -> None:
    """Writes `config` as JSON to `path` (atomically), noting the backend that trained it."""
    fields = {
        k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()
    }
    fields["backend"] = backend
    write_text_atomically(path, json.dumps(fields, indent=2) + "\n")
