"""The small classifier behind "classifier FID" and Inception Score, and its shipped weights:
one trained on MNIST's digits, one on Fashion-MNIST's clothes.

There is no internet here for Inception weights, and Inception features of 28x28 digits say
little anyway, so FID and IS are computed on this network instead: FID on its 128-d penultimate
features, IS on its softmax. Its weights ship with the package (trained by
`scripts/train_mnist_classifier.py [--dataset fashion_mnist]`); numbers made with them are
comparable with each other, not with Inception-based FIDs in papers.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from importlib import resources
from pathlib import Path

import keras
import numpy as np
from keras import layers

from keras_vae.images import as_float_images

IMAGE_SHAPE = (28, 28, 1)
# The shipped classifiers: MNIST's digits and Fashion-MNIST's clothes, one network each.
WEIGHTS_FILES = {
    "mnist": "mnist_classifier.weights.h5",
    "fashion_mnist": "fashion_mnist_classifier.weights.h5",
}
WEIGHTS_FILE = WEIGHTS_FILES["mnist"]


def build_classifier() -> keras.Model:
    """Returns the untrained classifier: images (N, 28, 28, 1) in [0, 1] -> logits (N, 10).

    Its layer named "features" is the 128-d penultimate layer FID reads.
    """
    images = keras.Input(IMAGE_SHAPE)
    h = layers.Conv2D(32, 3, activation="relu")(images)
    h = layers.MaxPooling2D()(h)
    h = layers.Conv2D(64, 3, activation="relu")(h)
    h = layers.MaxPooling2D()(h)
    h = layers.Flatten()(layers.Dropout(0.25)(h))
    features = layers.Dense(128, activation="relu", name="features")(h)
    logits = layers.Dense(10, name="logits")(layers.Dropout(0.5)(features))
    return keras.Model(images, logits, name="mnist_classifier")


def shipped_weights_path(dataset: str = "mnist") -> Path:
    """Returns the path of the weights that ship inside the package for `dataset` ("mnist" or
    "fashion_mnist")."""
    if dataset not in WEIGHTS_FILES:
        raise ValueError(f"No classifier ships for {dataset!r}; there are {list(WEIGHTS_FILES)}.")
    return Path(str(resources.files("keras_vae") / "assets" / WEIGHTS_FILES[dataset]))


class MNISTClassifier:
    """The trained classifier, giving penultimate features and class probabilities.

    It remembers what it computed for the last few arrays (by their contents), so that FID, IS
    and class accuracy of the same samples, or FIDs against the same real images, read them once.

    Args:
        weights: a `.weights.h5` file; the shipped weights for `dataset` by default.
        batch_size: images per forward pass.
        dataset: whose shipped weights: "mnist" (digits) or "fashion_mnist" (clothes).
    """

    def __init__(
        self, weights: str | Path | None = None, batch_size: int = 1000, dataset: str = "mnist"
    ) -> None:
        path = Path(weights) if weights is not None else shipped_weights_path(dataset)
        if not path.exists():
            raise FileNotFoundError(
                f"Classifier weights not found at {path}; reinstall keras-vae or train them "
                "with scripts/train_mnist_classifier.py."
            )
        self.model = build_classifier()
        self.model.load_weights(path)
        self.batch_size = batch_size
        self._both = keras.Model(
            self.model.inputs, [self.model.get_layer("features").output, self.model.outputs[0]]
        )
        self._read: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    # Enough for an evaluation's samples and real images, and a few more; 11 MB per 10k images.
    REMEMBERED_ARRAYS = 4

    def features_and_probabilities(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Returns (N, 128) penultimate features and (N, 10) softmax probabilities, read-only."""
        images = as_float_images(
            images, image_shape=IMAGE_SHAPE, taker="the 28x28x1 MNIST classifier of FID and IS"
        )
        # Hashing 10k images takes ~20 ms; classifying them, seconds on a CPU.
        key = (images.shape, hashlib.blake2b(np.ascontiguousarray(images).data).hexdigest())
        if key in self._read:
            self._read.move_to_end(key)
            return self._read[key]
        features, logits = self._both.predict(images, batch_size=self.batch_size, verbose=0)
        logits = logits.astype("float64")
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        read = (features.astype("float64"), probabilities)
        for array in read:
            array.flags.writeable = False  # shared by every caller of the same images
        self._read[key] = read
        if len(self._read) > self.REMEMBERED_ARRAYS:
            self._read.popitem(last=False)
        return read

    def accuracy(self, images: np.ndarray, labels: np.ndarray) -> float:
        """Returns the fraction of `images` classified as their `labels`."""
        _, probabilities = self.features_and_probabilities(images)
        return float(np.mean(probabilities.argmax(axis=1) == np.asarray(labels)))
