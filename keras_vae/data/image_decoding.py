"""One image file as pixels a VAE reads: `decode_image` (grey or colour, transparency
composited on black, 16 bits taken to 8, upright by its EXIF orientation, optionally scaled and
centre-cropped to one size)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np


def decode_image(file: str | os.PathLike, size: tuple[int, int] | None = None) -> np.ndarray:
    """Returns the image in `file` as uint8 (H, W, 1) grey or (H, W, 3) colour, transparency
    composited on black, scaled and centre-cropped to `size` (width, height) if given."""
    from PIL import Image, ImageOps

    try:
        with Image.open(file) as opened:
            image = ImageOps.exif_transpose(opened)
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValueError(f"{file} is not a readable image ({error}).") from None
    image = _grey_or_colour(image)
    if size is not None and image.size != size:
        image = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
    pixels = np.asarray(image)
    return pixels[..., None] if pixels.ndim == 2 else pixels


def _grey_or_colour(image):
    """Returns `image` in mode L or RGB, alpha composited on black, 16 bits taken to 8."""
    from PIL import Image

    mode = image.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N"):
        pixels = np.asarray(image).astype("int64")
        return Image.fromarray((np.clip(pixels, 0, 65535) >> 8).astype("uint8"), "L")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        rgb = np.asarray(image)[..., :3]
        if (rgb == rgb[..., :1]).all():  # a grey palette
            image = image.convert("LA" if image.mode == "RGBA" else "L")
        mode = image.mode
    if mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        grey = mode in ("LA", "La")
        image = image.convert("LA" if grey else "RGBA")
        pixels = np.asarray(image).astype("uint16")
        alpha = pixels[..., -1:]
        composited = ((pixels[..., :-1] * alpha + 127) // 255).astype("uint8")
        return Image.fromarray(composited[..., 0] if grey else composited, "L" if grey else "RGB")
    if mode in ("1", "L"):
        return image.convert("L")
    return image.convert("RGB")


def pillow_size(image_size: Sequence[int] | None) -> tuple[int, int] | None:
    """Returns Pillow's (width, height) for an image_size of (size,) or (height, width)."""
    if image_size is None:
        return None
    image_size = tuple(int(n) for n in image_size)
    if len(image_size) not in (1, 2) or min(image_size) < 1:
        raise ValueError(f"--image-size {','.join(map(str, image_size))}: give one size (64) "
                         "or height,width (64,48), each at least 1.")  # fmt: skip
    height, width = image_size if len(image_size) == 2 else image_size * 2
    return width, height
