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


def gaussian_head(features, latent_dim: int):
    """Returns `[z_mean, z_log_var]`, two linear maps of `features`."""
    z_mean = layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(features)
    return [z_mean, z_log_var]


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
