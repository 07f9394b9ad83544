"""Pieces every built-in architecture shares: input checks, the Gaussian head, cropping."""

from __future__ import annotations

import math
from collections.abc import Sequence

from keras import layers


def check_shapes(input_shape: Sequence[int], latent_dim: int) -> tuple[int, int, int]:
    """Returns `input_shape` as (H, W, C), or raises a ValueError saying what to pass."""
    shape = tuple(input_shape)
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape):
        raise ValueError(
            f"input_shape must be (height, width, channels) of positive ints, got {input_shape!r}. "
            "For MNIST pass (28, 28, 1)."
        )
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ValueError(f"latent_dim must be an int >= 1, got {latent_dim!r}.")
    return shape


def gaussian_head(features, latent_dim: int, **dense_options):
    """Returns `[z_mean, z_log_var]`, two linear maps of `features`.

    Args:
        **dense_options: further `keras.layers.Dense` arguments (`weight_options`' initialiser
            and regulariser).
    """
    z_mean = layers.Dense(latent_dim, name="z_mean", **dense_options)(features)
    z_log_var = layers.Dense(latent_dim, name="z_log_var", **dense_options)(features)
    return [z_mean, z_log_var]


def weight_options(init_scale: float | None = None, kernel_l2: float | None = None) -> dict:
    """Returns the `keras.layers.Dense` arguments that start each weight matrix N(0,
    `init_scale`^2) (Keras's Glorot-uniform if None) and add `kernel_l2` times its sum of squares
    to the loss (nothing if None).

    Kingma et al.'s (2014) code starts every matrix at a standard deviation of 1e-3 and puts a
    N(0, 1) prior on it; for N training images that prior adds 1 / (2 N) times the matrices'
    sum of squares to the per-image loss, a `kernel_l2` of 1 / (2 N).
    """
    options = {}
    if init_scale is not None:
        if not init_scale > 0:
            raise ValueError(f"init_scale must be > 0, got {init_scale}.")
        # A config, not an instance: each layer makes its own initialiser, with its own seed
        # (one seeded instance would give every layer of a shape the same weights).
        options["kernel_initializer"] = {
            "class_name": "RandomNormal",
            "config": {"mean": 0.0, "stddev": float(init_scale)},
        }
    if kernel_l2 is not None:
        if not kernel_l2 >= 0:
            raise ValueError(f"kernel_l2 must be >= 0, got {kernel_l2}.")
        options["kernel_regularizer"] = {"class_name": "L2", "config": {"l2": float(kernel_l2)}}
    return options


def downsampled_size(size: int, times: int) -> int:
    """Returns the size after `times` stride-2 'same' convolutions."""
    return math.ceil(size / 2**times)


def crop_to(images, height: int, width: int):
    """Crops the bottom/right excess of upsampled `images` to (height, width)."""
    extra_h = images.shape[1] - height
    extra_w = images.shape[2] - width
    if extra_h or extra_w:
        images = layers.Cropping2D(((0, extra_h), (0, extra_w)))(images)
    return images


def as_tuple(widths: int | Sequence[int], what: str) -> tuple[int, ...]:
    """Returns `widths` as a non-empty tuple of positive ints, or raises naming `what`."""
    widths = (widths,) if isinstance(widths, int) else tuple(widths)
    if not widths or not all(isinstance(w, int) and w > 0 for w in widths):
        raise ValueError(f"{what} must be positive ints, e.g. (64, 32); got {widths!r}.")
    return widths
