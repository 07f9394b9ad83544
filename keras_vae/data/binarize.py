"""Binarised image datasets: a fixed threshold, or a Bernoulli draw with the pixels as
probabilities (once for a test set; for training, every batch, by the VAE's
`dynamic_binarization`)."""

from __future__ import annotations

import numpy as np

BINARIZE_CHOICES = (None, "static", "dynamic")

Split = tuple[np.ndarray, "np.ndarray | None"]  # (images, labels or None)


def binarize_splits(
    splits: tuple[Split, Split], binarize: str | None, seed: int = 0
) -> tuple[Split, Split]:
    """Returns grey-level `(train, test)` splits binarised as `load_mnist(binarize=...)` does."""
    if binarize not in BINARIZE_CHOICES:
        raise ValueError(f"binarize must be one of {BINARIZE_CHOICES}, got {binarize!r}.")
    (x_train, y_train), (x_test, y_test) = splits
    if binarize == "static" and not isinstance(x_train, np.ndarray):
        raise ValueError(
            "Static binarisation of images read from disk batch by batch (shards, --stream) "
            "would rewrite them; save binarised images, or use --binarize dynamic."
        )
    if binarize == "static":
        x_train, x_test = binarize_static(x_train), binarize_static(x_test)
    elif binarize == "dynamic":
        x_test = binarize_stochastic(x_test, seed)
    return (x_train, y_train), (x_test, y_test)


def binarize_static(x: np.ndarray) -> np.ndarray:
    """Returns `x` thresholded at 0.5, as float32 0/1."""
    return (x > 0.5).astype("float32")


def binarize_stochastic(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Returns one Bernoulli draw of `x` (pixel values as probabilities), as float32 0/1."""
    return (np.random.default_rng(seed).random(x.shape, dtype="float32") < x).astype("float32")
