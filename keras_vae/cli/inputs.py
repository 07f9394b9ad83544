"""What the commands read and write: the model, its test set and labels, a fitted latent
sampler, output files; each problem with them becomes a `BadInput`."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import numpy as np

from keras_vae.cli.errors import BadInput, user_errors
from keras_vae.run_directory import RunDirectory
from keras_vae.training.config import read_config


def load_model(model_path: Path):
    """Returns the VAE saved at `model_path` (a .keras file or a run directory)."""
    from keras_vae.saving import load_vae

    with user_errors():
        return load_vae(model_path)


@dataclasses.dataclass(frozen=True)
class HeldOutImages:
    """The test split a command reads, as the model's training run saw its data."""

    images: np.ndarray  # as the model saw data in training (binarised where it was)
    labels: np.ndarray | None
    grey_images: np.ndarray  # before binarisation: what decoder means are compared with
    mnist: bool  # MNIST digits, which the shipped MNIST classifier describes
    fashion_mnist: bool = False  # Fashion-MNIST's images, which its own classifier describes

    @property
    def classifier_dataset(self) -> str | None:
        """The shipped classifier that describes these images: "mnist", "fashion_mnist" or
        None."""
        return "mnist" if self.mnist else "fashion_mnist" if self.fashion_mnist else None


def load_held_out_images(
    model_path: Path, model, data: Path | None, binarize: str
) -> HeldOutImages:
    """Returns the test images for `model`: those of the run that trained it unless told."""
    from keras_vae.data import DataSource

    run = RunDirectory.of_model(model_path)
    if run:
        source = read_config(run.config).data_source()
    else:  # a bare .keras file: MNIST, binarised as the model trained
        source = DataSource(binarize="dynamic" if model.dynamic_binarization else None)
    if binarize != "auto":
        source = dataclasses.replace(source, binarize=None if binarize == "none" else binarize)
    if data is not None:  # another dataset: all its test images
        source = dataclasses.replace(
            source,
            data=data,
            dataset=None,
            limit=None,
            exclude_labels=None,
            validation_split=None,
        )
    with user_errors():
        loaded = source.load()
    x_test, y_test = loaded.test
    if tuple(x_test.shape[1:]) != model.image_shape:
        raise BadInput(
            f"The model takes images of shape {model.image_shape} but the test images are "
            f"{tuple(x_test.shape[1:])}; pass the dataset it was trained on with --data."
        )
    # A run trained with --limit N validated on the first N test images: those are scored.
    return HeldOutImages(x_test, y_test, loaded.grey_test, loaded.mnist, loaded.fashion_mnist)


def check_label(vae, label: int | None) -> None:
    """Raises BadInput for a --label an unconditional model, or the model's classes, cannot
    take."""
    try:
        vae.labelling.check_class(label)
    except ValueError as error:
        raise BadInput(f"--{error}") from None  # "--label 3 is not a class of this model ..."


def labels_for(vae, test: HeldOutImages) -> np.ndarray | None:
    """Returns the test labels a conditional model needs (None for another model), or raises
    BadInput where the data has none."""
    try:
        return vae.labelling.read(test.labels, len(test.images))
    except ValueError as error:
        raise BadInput(f"The test images' labels: {error} Pass --data with y_test (or "
                       "y_train/y_test in an .npz).") from None  # fmt: skip


def fitted_latent_sampler(model_path: Path, vae, name: str, components: int):
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
        with user_errors():
            sampler = load_latent_sampler(run.gmm_sampler)
        first = sampler.mixtures[0] if isinstance(sampler, ClassConditionalSampler) else sampler
        if vae.labelling.takes_sampler(sampler) and len(first.weights) == components:
            return sampler
    from keras_vae.data.binarize import binarize_stochastic

    config = read_config(run.config)
    with user_errors():
        x_train, labels = config.data_source().load().train  # without the validation split
        if config.labelled is not None:  # M2 knows the labels of its labelled images only
            from keras_vae.data.labelled_subset import keep_balanced_labels

            labels = keep_balanced_labels(labels, config.labelled, config.labelled_seed)
        if config.binarize == "dynamic":  # as the model saw them: binary
            x_train = binarize_stochastic(np.asarray(x_train), config.seed)
        sampler = fit_latent_sampler(vae, np.asarray(x_train), components, config.seed, labels)
    sampler.save(run.gmm_sampler)
    what = "one per class " if isinstance(sampler, ClassConditionalSampler) else ""
    click.echo(f"fitted a {components}-component mixture {what}to {len(x_train)} training "
               f"codes: {run.gmm_sampler}", err=True)  # fmt: skip
    return sampler


def output_file(path: Path) -> Path:
    if path.is_dir():
        raise BadInput(f"--out {path} is a directory; give a file name such as grid.png.")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
