"""`check_images`, the one check of images that reach keras_vae (from a user, a dataset file or
a metric), so that a mistake gets one clear ValueError (what is wrong and how to fix it)
instead of a backend traceback or a NaN many steps later; `as_float_images`, the float32
(N, H, W, C) form every loader returns; and `png_bytes`, one image as a PNG file."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np


def check_images(
    x,
    image_shape: Sequence[int] | None = None,
    support: tuple[float, float] | None = None,
    what: str = "images",
    taker: str = "the model",
    range_fix: str = "for 8-bit images divide by 255",
) -> None:
    """Raises a ValueError unless `x` is a non-empty batch of images with finite pixels.

    Args:
        x: a NumPy array or anything with `.shape` (a backend tensor, whose values are not
            copied back to check them); other objects (a `PyDataset`, a `tf.data.Dataset`) are
            not inspected.
        image_shape: (H, W, C) that `taker` takes; None accepts any (N, H, W) or (N, H, W, C).
        support: (low, high) the pixels must lie in, e.g. (0, 1) for a Bernoulli likelihood.
        what: how the message names `x` ("training images", "x_train of data.npz").
        taker: how the message names what `x` is for.
        range_fix: what the message advises for pixels outside `support`.
    """
    shape = getattr(x, "shape", None)
    if shape is None:
        return
    shape = tuple(int(d) for d in shape)
    if image_shape is not None and shape[1:] != tuple(image_shape):
        if len(shape) != len(image_shape) + 1:
            raise ValueError(
                f"The {what} have shape {shape}, but {taker} takes a batch of images "
                f"(N, {', '.join(map(str, image_shape))}); add the channel axis with "
                "x[..., None] or reshape them."
            )
        raise ValueError(
            f"The {what} are {shape[1:]}, but {taker} takes {tuple(image_shape)}; resize them, "
            "or use a model built with an input_shape that matches the data."
        )
    if len(shape) not in (3, 4) or 0 in shape[1:]:
        raise ValueError(
            f"The {what} have shape {shape}; expected (N, H, W) or (N, H, W, C) images."
        )
    if shape[0] == 0:
        raise ValueError(f"There are no {what}: the array is empty; check the file or --limit.")
    if not isinstance(x, np.ndarray):
        return
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
                f"The {what} have pixels in [{low:g}, {high:g}], but {taker} needs them in "
                f"[{support[0]:g}, {support[1]:g}]; {range_fix}."
            )


def as_float_images(
    x, what: str = "images", image_shape: Sequence[int] | None = None, taker: str = "the model"
) -> np.ndarray:
    """Returns `x` as float32 (N, H, W, C) in [0, 1], checked by `check_images`.

    (N, H, W) images get a channel axis; uint8 pixels are divided by 255, float pixels must
    already be in [0, 1].
    """
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    eight_bit = x.dtype == np.uint8
    check_images(
        x,
        image_shape,
        support=None if eight_bit else (0.0, 1.0),
        what=what,
        taker=taker,
        range_fix="divide 0..255 images by 255, or store them as uint8",
    )
    return x.astype("float32") / 255.0 if eight_bit else x.astype("float32")


def png_bytes(image: np.ndarray, optimize: bool = False) -> bytes:
    """Returns one image (H, W, 1) or (H, W, 3) in [0, 1] as an 8-bit PNG file (grey for one
    channel); `optimize` asks Pillow for its smallest file."""
    from PIL import Image  # only where an image is encoded

    pixels = np.rint(np.clip(np.asarray(image), 0.0, 1.0) * 255.0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(
        buffer, format="PNG", optimize=optimize
    )
    return buffer.getvalue()
