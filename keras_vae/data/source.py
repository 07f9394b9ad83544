"""Where a run's images come from and how they are prepared: the one path by which training,
evaluation, scoring and the explorer load, split and binarise data.

A `DataSource` names the dataset (MNIST, or any a registered dataset reads: `read_dataset`), its
binarisation, the labels training leaves out, how many images are used and the validation
split; `DataSource.load` returns the `RunData` a run with those settings sees. A run's
`TrainingConfig.data_source()` gives its source, so a command that scores a trained model sees
the images the model was trained and validated on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_vae.data.binarize import Split, binarize_splits, binarize_stochastic
from keras_vae.data.dataset import read_dataset
from keras_vae.data.fashion_mnist import is_fashion_mnist_test_set
from keras_vae.data.mnist import is_mnist_test_set
from keras_vae.images import check_images


@dataclass(frozen=True)
class RunData:
    """A run's images and labels (labels None where the dataset has none)."""

    train: Split  # without the validation split; grey for "dynamic" (each batch is redrawn)
    validation: Split  # held out of the training images, else the test set
    test: Split  # binarised as the source says ("dynamic": one Bernoulli draw with its seed)
    grey_test: np.ndarray  # the test images before binarisation
    mnist: bool  # whether they are MNIST's digits, which the shipped MNIST classifier describes
    fashion_mnist: bool = False  # whether they are Fashion-MNIST's, which its own classifier does


@dataclass(frozen=True)
class DataSource:
    """A dataset and how a run prepares it.

    Args:
        data: an `.npz`, IDX directory, shard directory, folder of images, or another file or
            directory a registered dataset recognizes (`keras_vae.data.dataset`); None for MNIST.
        dataset: the registered dataset to read `data` as (or, for one that finds its own
            files, to read); None: the one that recognizes `data`.
        binarize: None (grey levels), "static" or "dynamic" (`load_mnist`).
        seed: seed of the one-off Bernoulli draws of "dynamic" (test and validation images).
        limit: use only the first `limit` training and test images.
        exclude_labels: leave the training images of these labels out (anomaly detection).
        validation_split: hold out this fraction (below 1) or number of the training images,
            from their end, to validate on instead of the test set.
        image_size, test_split, split_seed, skip_bad_images, stream: a folder of images' size,
            test split, unreadable files, and whether its training images stay on disk
            (`keras_vae.data.image_folder.ImageFolder`).
        options: (name, text) pairs of the dataset's other options (`--set dataset.NAME=TEXT`,
            e.g. `m1_codes`' `min_spread`), converted by their type hints.
    """

    data: str | os.PathLike | None = None
    dataset: str | None = None
    binarize: str | None = None
    seed: int = 0
    limit: int | None = None
    exclude_labels: tuple[int, ...] | None = None
    validation_split: float | None = None
    image_size: tuple[int, ...] | None = None
    test_split: float | None = None
    split_seed: int = 0
    skip_bad_images: bool = False
    stream: bool = False
    options: tuple[tuple[str, str], ...] = ()

    def load(self) -> RunData:
        """Returns the images and labels a run with this source sees."""
        grey = read_dataset(
            self.data,
            self.dataset,
            image_size=self.image_size,
            test_split=self.test_split,
            split_seed=self.split_seed,
            skip_bad_images=self.skip_bad_images,
            stream=self.stream,
            settings=dict(self.options),
        )
        (x_train, y_train), (x_test, y_test) = binarize_splits(grey, self.binarize, self.seed)
        if self.exclude_labels:
            x_train, y_train = without_labels(x_train, y_train, self.exclude_labels)
        grey_test = grey[1][0]
        mnist = self.dataset_name == "mnist" or is_mnist_test_set(grey_test)
        fashion = self.dataset_name == "fashion_mnist" or is_fashion_mnist_test_set(grey_test)
        if self.limit:
            x_train, y_train = x_train[: self.limit], _first(y_train, self.limit)
            x_test, y_test = x_test[: self.limit], _first(y_test, self.limit)
            grey_test = grey_test[: self.limit]
        held_out = self.validation_images(len(x_train))
        if not held_out:
            # The loaders have checked each split's pixels; the splits must also agree in shape.
            check_images(x_test, x_train.shape[1:], what="test images",
                         taker="a model of the training images")  # fmt: skip
            validation = (x_test, y_test)
        else:
            kept = len(x_train) - held_out
            x_validation = np.asarray(x_train[kept:])
            if self.binarize == "dynamic":
                # Scored as the test set is: one fixed Bernoulli draw (training draws afresh).
                x_validation = binarize_stochastic(x_validation, self.seed)
            validation = (x_validation, None if y_train is None else y_train[kept:])
            x_train, y_train = x_train[:kept], _first(y_train, kept)
        return RunData((x_train, y_train), validation, (x_test, y_test), grey_test, mnist, fashion)

    @property
    def dataset_name(self) -> str | None:
        """The registered dataset read: `dataset`, MNIST without `data`, else None (the one
        that recognizes `data`)."""
        return self.dataset or ("mnist" if self.data is None else None)

    def validation_images(self, train_images: int) -> int:
        """Returns how many of `train_images` the validation split holds out (0: none)."""
        split = self.validation_split
        if split is None:
            return 0
        count = round(split * train_images) if split < 1 else int(split)
        if split >= 1 and split != count:
            raise ValueError(
                f"validation_split {split} is neither a fraction below 1 nor a whole number of "
                "images; pass e.g. 10000 or 0.1."
            )
        if not 0 < count < train_images:
            raise ValueError(
                f"validation_split {split} holds out {count} of {train_images} training "
                "images; it must leave some for each side."
            )
        return count


def without_labels(x: Any, y: Any, labels: tuple[int, ...]) -> tuple[Any, Any]:
    """Returns the images of (x, y) whose label is not one of `labels`, or raises a ValueError
    where there are no labels or none of `labels` occurs."""
    if y is None:
        raise ValueError("--exclude-labels needs the training images' labels, and the data has "
                         "none; give a dataset with y_train.")  # fmt: skip
    y = np.asarray(y)
    keep = ~np.isin(y, labels)
    missing = sorted(set(labels) - set(np.unique(y).tolist()))
    if missing:
        raise ValueError(
            f"--exclude-labels {','.join(map(str, missing))}: no training image has that label "
            f"(the labels are {', '.join(map(str, np.unique(y).tolist()))})."
        )
    if not keep.any():
        raise ValueError("--exclude-labels drops every training image; leave some labels in.")
    return x[keep], y[keep]


def _first(labels: np.ndarray | None, n: int) -> np.ndarray | None:
    return None if labels is None else labels[:n]
