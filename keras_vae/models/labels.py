"""How a model uses labels, asked in one place: `model.labelling`.

A model reads no labels (`NoLabels`), one class per image (`ClassLabels`, the conditional
VAE), or a class for some images and `UNLABELLED` (-1) for the rest (`PartialLabels`, the
semi-supervised M2 model, which infers the missing ones). Plots, the explorer,
export, the command line and evaluation ask the model's labelling what to pass and what to say
instead of branching on `model.conditional`: each question has an answer for every regime (for
`NoLabels`, mostly "none"), so a caller passes the answer on unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_vae.data.labelled_subset import UNLABELLED
from keras_vae.models.conditioning import (
    check_labels,
    classifier_network,
    condition_codes,
    condition_images,
    conditional_networks,
    label_scale,
    one_hot_labels,
)


class NoLabels:
    """A model that reads no labels: every answer is "none", and a label asked for is refused."""

    conditional = False
    classifies = False  # whether the model has a classifier q(y | x) (semi-supervised)
    num_classes: int | None = None
    samples_in_grid = 64  # an 8 x 8 grid of samples
    example_class: int | None = None  # a class to decode as when any will do

    def read(self, labels: Any, count: int) -> np.ndarray | None:
        """Returns the labels of `count` images as the model reads them: None (it reads none,
        whatever is given)."""
        return None

    def in_runs(self, n: int, labels: Any = None) -> np.ndarray | None:
        """Returns the labels of `n` samples: None; giving some is an error."""
        if labels is not None:
            raise ValueError("This VAE is not conditional; drop the labels.")
        return None

    def repeated(self, n: int, label: int | None, default: Any = None) -> np.ndarray | None:
        """Returns the labels of `n` images all decoded as one class: None."""
        self.check_class(label)
        return None

    def required(self, n: int, label: int | None) -> np.ndarray | None:
        """Returns the labels of `n` images of the class a user picked: None; picking one is
        an error."""
        return self.repeated(n, label)

    def check_class(self, label: int | None) -> int | None:
        """Returns a class asked for (`--label`) once checked; this model takes none."""
        if label is not None:
            raise ValueError(
                f"label {label} applies to a conditional model (train --conditional); this one "
                "is not conditional."
            )
        return None

    def split_inputs(self, inputs: Any) -> tuple[Any, None]:
        """Returns a network's inputs as (images or codes, labels): (inputs, None)."""
        return inputs, None

    def networks(self, factory, input_shape, latent_dim: int, **kwargs) -> tuple[Any, dict]:
        """Returns what an architecture `factory` builds for the model, and what else the
        model's constructor takes for its labels (nothing)."""
        return factory(tuple(input_shape), latent_dim, **kwargs), {}

    def one_hot(self, labels: Any) -> None:
        """Returns the one-hot labels the networks take: none (the labels are ignored)."""
        return None

    def encoder_input(self, x: Any, one_hot: Any, scale: float) -> Any:
        """Returns what the encoder takes for images `x`: the images."""
        return x

    def decoder_input(self, z: Any, one_hot: Any) -> Any:
        """Returns what the decoder takes for codes `z`: the codes."""
        return z

    def inputs_and_labels(self, x: Any, labels: Any) -> tuple[Any, Any]:
        """Returns `call`'s images and labels: as given (a VAE ignores labels)."""
        return x, labels

    def check_fit(self, x: Any, y: Any) -> None:
        """Raises a ValueError for labels given to `fit` that do not match the images in
        number (the model ignores them otherwise)."""
        if y is not None and hasattr(y, "__len__") and hasattr(x, "__len__") and len(y) != len(x):
            raise ValueError(
                f"There are {len(y)} labels for {len(x)} images; they must match (a VAE "
                "ignores labels, so you may also leave them out)."
            )

    def input_specs(self) -> list:
        """Returns the Keras input specs an exported network takes beside the images or codes:
        none."""
        return []

    def input_names(self) -> list[str]:
        """Returns how exported metadata names those inputs: none."""
        return []

    def fit_sampler(self, codes: np.ndarray, labels: Any, components: int, seed: int):
        """Returns a Gaussian mixture of `components` fitted to the training `codes`."""
        from keras_vae.gmm_sampler import GaussianMixtureSampler

        return GaussianMixtureSampler.fit(codes, components=components, seed=seed)

    def takes_sampler(self, sampler: Any) -> bool:
        """Whether a saved latent sampler is of the kind `fit_sampler` fits: one mixture."""
        from keras_vae.gmm_sampler import GaussianMixtureSampler

        return isinstance(sampler, GaussianMixtureSampler)

    def as_class(self, label: int | None, default: Any = None) -> str:
        """Returns how a figure's title names the class its images were decoded as: ""."""
        return ""

    def describe(self) -> str:
        """Returns what the model conditions on, for messages and exported metadata."""
        return "no labels"


@dataclass(frozen=True)
class ClassLabels:
    """A conditional model: one class in 0 .. num_classes - 1 for every image, read by both
    networks (`keras_vae.models.conditioning`)."""

    num_classes: int
    conditional = True
    classifies = False
    samples_in_grid = 100  # a 10 x 10 grid, the classes in equal runs
    example_class = 0

    def read(self, labels: Any, count: int) -> np.ndarray:
        """Returns the labels of `count` images as an int array, or raises a ValueError where
        they are missing, too few or too many, or not classes of the model."""
        return check_labels(labels, count, self.num_classes)

    def in_runs(self, n: int, labels: Any = None) -> np.ndarray:
        """Returns the labels of `n` samples: `labels` checked, or every class in equal runs,
        in order (one class per row of a K x K grid)."""
        if labels is None:
            return np.arange(n) * self.num_classes // n
        return check_labels(labels, n, self.num_classes)

    def repeated(self, n: int, label: int | None, default: Any = None) -> np.ndarray:
        """Returns the labels of `n` images all decoded as class `label`; if None, as
        `default` (e.g. the first of the images' own labels), else as class 0."""
        return np.full(n, self._class(label, default))

    def required(self, n: int, label: int | None) -> np.ndarray:
        """Returns the labels of `n` images of the class a user picked, which they must."""
        if label is None:
            raise ValueError(f"This conditional model needs a label in 0..{self.num_classes - 1}.")
        return self.repeated(n, label)

    def check_class(self, label: int | None) -> int | None:
        """Returns a class asked for once checked (None stays None: the caller's default)."""
        if label is not None and not 0 <= label < self.num_classes:
            raise ValueError(
                f"label {label} is not a class of this model: it has {self.num_classes} "
                f"(0 to {self.num_classes - 1})."
            )
        return label

    def split_inputs(self, inputs: Any) -> tuple[Any, Any]:
        """Returns a network's inputs, [images or codes, one-hot labels], as a pair."""
        first, labels = inputs
        return first, labels

    def networks(self, factory, input_shape, latent_dim: int, **kwargs) -> tuple[Any, dict]:
        """Returns an architecture's encoder of images with one channel per class and its
        decoder of z with the one-hot label appended, and the `label_scale` the model's
        constructor takes (`keras_vae.models.conditioning`)."""
        encoder, decoder = conditional_networks(
            factory, input_shape, latent_dim, self.num_classes, **kwargs
        )
        return (encoder, decoder), {"label_scale": label_scale(encoder)}

    def one_hot(self, labels: Any) -> Any:
        """Returns the one-hot labels the networks take, or raises a ValueError without any."""
        if labels is None:
            raise ValueError(
                f"This conditional VAE (num_classes={self.num_classes}) needs the labels of "
                "its images: pass labels=..., fit(x, y) or predict([x, y])."
            )
        return one_hot_labels(labels, self.num_classes)

    def encoder_input(self, x: Any, one_hot: Any, scale: float) -> Any:
        """Returns what the encoder takes for images `x`: the images with one channel per
        class, the image's own holding `scale` (`conditioning.condition_images`)."""
        return condition_images(x, one_hot, scale)

    def decoder_input(self, z: Any, one_hot: Any) -> Any:
        """Returns what the decoder takes for codes `z`: the codes with the one-hot labels
        appended."""
        return condition_codes(z, one_hot)

    def inputs_and_labels(self, x: Any, labels: Any) -> tuple[Any, Any]:
        """Returns `call`'s images and labels, from `[images, labels]` where Keras's predict
        passes them so."""
        if labels is None and isinstance(x, (list, tuple)):
            if len(x) != 2:
                raise ValueError(
                    f"A conditional VAE takes [images, labels] as its inputs; got {len(x)} arrays."
                )
            x, labels = x
        return x, labels

    def check_fit(self, x: Any, y: Any) -> None:
        """Raises a ValueError unless `fit` is given a class for every image."""
        if hasattr(x, "__len__") and hasattr(x, "shape"):
            check_labels(y, len(x), self.num_classes)

    def input_specs(self) -> list:
        """Returns the Keras input specs an exported network takes beside the images or codes:
        the one-hot labels."""
        import keras

        return [keras.InputSpec(shape=(None, self.num_classes), dtype="float32", name="labels")]

    def input_names(self) -> list[str]:
        """Returns how exported metadata names those inputs."""
        return ["labels (one-hot, float32)"]

    def fit_sampler(self, codes: np.ndarray, labels: Any, components: int, seed: int):
        """Returns one Gaussian mixture of `components` per class, fitted to the training
        `codes` of that class (`labels`)."""
        from keras_vae.gmm_sampler import ClassConditionalSampler

        labels = self.read(labels, len(codes))
        return ClassConditionalSampler.fit(codes, labels, self.num_classes, components, seed)

    def takes_sampler(self, sampler: Any) -> bool:
        """Whether a saved latent sampler is of the kind `fit_sampler` fits: one per class."""
        from keras_vae.gmm_sampler import ClassConditionalSampler

        return isinstance(sampler, ClassConditionalSampler)

    def as_class(self, label: int | None, default: Any = None) -> str:
        """Returns how a figure's title names the class its images were decoded as (chosen as
        `repeated` chooses it): " as class 3"."""
        return f" as class {self._class(label, default)}"

    def _class(self, label: int | None, default: Any) -> int:
        if label is not None:
            return self.check_class(label)
        return 0 if default is None else int(np.asarray(default).reshape(-1)[0])

    def describe(self) -> str:
        return f"one class per image, 0 to {self.num_classes - 1}"


@dataclass(frozen=True)
class PartialLabels(ClassLabels):
    """A semi-supervised model (M2): a class for some images and `UNLABELLED` (-1) for the
    others, whose class its classifier q(y | x) infers; the networks read a class as a
    conditional model's do, and a classifier of the images stands beside them."""

    classifies = True

    def read(self, labels: Any, count: int) -> np.ndarray:
        """Returns the labels of `count` images as an int array, -1 where unknown (all of
        them for None)."""
        if labels is None:
            return np.full(count, UNLABELLED)
        labels = np.asarray(labels)
        if labels.ndim == 1 and np.issubdtype(labels.dtype, np.integer):
            unknown = labels == UNLABELLED
            known = check_labels(np.where(unknown, 0, labels), count, self.num_classes)
            return np.where(unknown, UNLABELLED, known)
        return check_labels(labels, count, self.num_classes)

    def one_hot(self, labels: Any) -> Any:
        """Returns one-hot rows of the labels, all zeros where a label is -1; None for None."""
        if labels is None:
            return None
        return known_one_hot(labels, self.num_classes)

    def check_fit(self, x: Any, y: Any) -> None:
        """Raises a ValueError for labels that are not classes or -1, or too many or few."""
        if hasattr(x, "__len__") and hasattr(x, "shape"):
            self.read(y, len(x))

    def networks(self, factory, input_shape, latent_dim: int, **kwargs) -> tuple[Any, dict]:
        """Returns a conditional model's encoder and decoder, and beside its `label_scale` the
        classifier q(y | x): the architecture's encoder for the images, its first output read
        as the classes' logits (`conditioning.classifier_network`)."""
        networks, extra = super().networks(factory, input_shape, latent_dim, **kwargs)
        classifier = classifier_network(factory, input_shape, self.num_classes, **kwargs)
        return networks, {**extra, "classifier": classifier}

    def describe(self) -> str:
        return (
            f"one class per image, 0 to {self.num_classes - 1}, or -1 where unknown "
            "(semi-supervised)"
        )


def known_one_hot(labels: Any, num_classes: int) -> Any:
    """Returns float32 (batch, num_classes) one-hot rows of int labels (batch,), a row of zeros
    where a label is `UNLABELLED`; one-hot rows (batch, num_classes) are returned as floats."""
    from keras import ops

    labels = ops.convert_to_tensor(labels)
    if len(labels.shape) == 2:
        return ops.cast(labels, "float32")
    # An equality test, not ops.one_hot: PyTorch's refuses -1 where JAX's gives zeros.
    classes = ops.arange(num_classes, dtype="int32")
    return ops.cast(ops.equal(ops.cast(labels, "int32")[:, None], classes[None, :]), "float32")


def labelling(num_classes: int | None) -> NoLabels | ClassLabels:
    """Returns how a model with `num_classes` (None: unconditional) uses labels."""
    return NoLabels() if num_classes is None else ClassLabels(int(num_classes))


def labelling_of_run(conditional: bool, num_classes: int | None) -> NoLabels | ClassLabels:
    """Returns how a model trained with(out) `train --conditional` uses labels.

    Args:
        num_classes: the classes of the training labels; a conditional run needs them.
    """
    if not conditional:
        return NoLabels()
    if num_classes is None:
        raise ValueError("A conditional model needs the number of classes of its labels.")
    return ClassLabels(int(num_classes))


def labels_of_run(conditional: bool, y_train: Any, y_test: Any) -> tuple[Any, Any]:
    """Returns the (training, test) labels a run with(out) `train --conditional` reads: none
    without it; with it, the dataset's own, which it must have."""
    if not conditional:
        return None, None
    if y_train is None or y_test is None:
        raise ValueError(
            "--conditional needs a label for every image, and this dataset has none: an .npz "
            "needs y_train and y_test beside x_train and x_test (MNIST has them)."
        )
    return y_train, y_test
