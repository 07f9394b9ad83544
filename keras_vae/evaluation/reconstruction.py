"""How close a VAE's reconstructions are to its images: peak signal-to-noise ratio."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from keras_vae.backend import inference_mode
from keras_vae.images import check_images
from keras_vae.models.vae import VAE

# The PSNR of an exact reconstruction, where the squared error is 0: a mean squared error of
# 1e-10 stands in.
SMALLEST_SQUARED_ERROR = 1e-10


def psnr(model: VAE, x: np.ndarray, batch_size: int = 500, labels: Any = None) -> float:
    """Returns the mean over images of 10 log10(1 / MSE), in dB: each image (pixels in [0, 1])
    against its reconstruction, the decoder's mean image at the posterior mean.

    Args:
        labels: the images' labels, for a conditional model.
    """
    return float(np.mean(psnr_per_image(model, x, batch_size, labels)))


def psnr_per_image(
    model: VAE, x: np.ndarray, batch_size: int = 500, labels: Any = None
) -> np.ndarray:
    """Returns (N,) each image's PSNR in dB (arguments as `psnr`'s)."""
    check_images(x, model.image_shape, what="images to reconstruct")
    labels = model.labelling.read(labels, len(x))
    errors = []
    with inference_mode():
        for start in range(0, len(x), batch_size):
            batch = np.asarray(x[start : start + batch_size], "float32")
            batch_labels = None if labels is None else labels[start : start + batch_size]
            reconstruction = ops.convert_to_numpy(model.reconstruct(batch, labels=batch_labels))
            squared = np.square(reconstruction.astype("float64") - batch)
            errors.append(squared.reshape(len(batch), -1).mean(axis=1))
    return -10.0 * np.log10(np.maximum(np.concatenate(errors), SMALLEST_SQUARED_ERROR))
