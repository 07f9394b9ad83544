"""Checks on images a user hands to a VAE, so that a mistake gets one clear ValueError (what is
wrong and how to fix it) instead of a backend traceback or a NaN many steps later."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_images(
    x,
    image_shape: Sequence[int] | None = None,
    support: tuple[float, float] | None = None,
    what: str = "images",
) -> None:
    """Raises a ValueError unless `x` is a non-empty (N, H, W, C) batch of finite pixels.

    Args:
        x: a NumPy array or anything with `.shape` (a backend tensor); other objects (a
            `PyDataset`, a `tf.data.Dataset`) are not inspected.
        image_shape: (H, W, C) the model takes, if known.
        support: (low, high) the likelihood needs the pixels in, e.g. (0, 1) for Bernoulli.
        what: how the message names `x`.
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        return
    shape = tuple(int(d) for d in shape)
    if image_shape is not None and shape[1:] != tuple(image_shape):
        if len(shape) != len(image_shape) + 1:
            raise ValueError(
                f"The {what} have shape {shape}, but the model takes a batch of images "
                f"(N, {', '.join(map(str, image_shape))}); add the channel axis with "
                "x[..., None] or reshape them."
            )
        raise ValueError(
            f"The {what} are {shape[1:]}, but the model takes {tuple(image_shape)}; resize them, "
            "or train a model built with input_shape matching the data."
        )
    if len(shape) != 4:
        raise ValueError(f"The {what} must be (N, height, width, channels), got shape {shape}.")
    if shape[0] == 0:
        raise ValueError(f"There are no {what} (an empty array); check the file or --limit.")
    if not isinstance(x, np.ndarray):
        return  # a device tensor: its values are not copied back to check them
    finite = np.isfinite(x)
    if not finite.all():
        bad = int(np.size(x) - np.count_nonzero(finite))
        first = int(np.argwhere(~finite)[0][0])
        raise ValueError(
            f"The {what} hold {bad} NaN or infinite pixel values (first in image {first}); "
            "remove or repair those images."
        )
    if support is not None:
        low, high = float(x.min()), float(x.max())
        if low < support[0] or high > support[1]:
            raise ValueError(
                f"The {what} have pixels in [{low:g}, {high:g}], but this likelihood needs them "
                f"in [{support[0]:g}, {support[1]:g}]; normalise them (for 8-bit images divide "
                "by 255), or choose the gaussian or laplace likelihood."
            )
