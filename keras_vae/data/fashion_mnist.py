"""Fashion-MNIST (Xiao et al., 2017): 28x28 grey images of ten kinds of clothing, MNIST's
layout. Read from a directory of its four IDX files, by default where Debian's
`dataset-fashion-mnist` package puts them (`apt-get install dataset-fashion-mnist`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from keras_vae.data.dataset import Dataset, Split
from keras_vae.data.formats import _read_idx_directory, normalise_splits
from keras_vae.data.mnist import DataNotFoundError, array_sha256

DEBIAN_DIRECTORY = Path("/usr/share/datasets/fashion-mnist")
# SHA-256 of the uint8 arrays (Debian's dataset-fashion-mnist 0.0~git20200523, as published).
FASHION_MNIST_SHA256 = {
    "x_train": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
    "y_train": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
    "x_test": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
    "y_test": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
}
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")  # fmt: skip


def load_fashion_mnist(path: str | os.PathLike | None = None) -> tuple[Split, Split]:
    """Returns Fashion-MNIST's (x_train, y_train), (x_test, y_test): float32 (N, 28, 28, 1) in
    [0, 1] and int64 labels.

    Args:
        path: the directory of its IDX files; else `$KERAS_VAE_FASHION_MNIST`, else Debian's
            `/usr/share/datasets/fashion-mnist`.
    """
    directory = Path(path or os.environ.get("KERAS_VAE_FASHION_MNIST") or DEBIAN_DIRECTORY)
    if not directory.is_dir():
        raise DataNotFoundError(
            f"Fashion-MNIST is not at {directory}. Fix: apt-get install dataset-fashion-mnist "
            "(Debian, Ubuntu), or download its four IDX files "
            "(github.com/zalandoresearch/fashion-mnist) into a directory and pass it "
            "(--data DIR, or set KERAS_VAE_FASHION_MNIST)."
        )
    return normalise_splits(_read_idx_directory(directory), source=f"Fashion-MNIST in {directory}")


def is_fashion_mnist_test_set(x: np.ndarray) -> bool:
    """Whether `x` (float in [0, 1] or uint8, (N, 28, 28[, 1])) is Fashion-MNIST's test set, in
    order, checked against its SHA-256."""
    x = np.asarray(x)
    if x.shape[:3] != (10_000, 28, 28) or x.size != 10_000 * 28 * 28:
        return False
    pixels = x if x.dtype == np.uint8 else np.rint(x * 255.0).astype(np.uint8)
    return array_sha256(pixels.reshape(10_000, 28, 28)) == FASHION_MNIST_SHA256["x_test"]


class FashionMnist(Dataset):
    """Fashion-MNIST's 60k training and 10k test images, from Debian's package directory (or
    `$KERAS_VAE_FASHION_MNIST`)."""

    description = "Fashion-MNIST"
    takes_path = False

    def read(self) -> tuple[Split, Split]:
        return load_fashion_mnist()
