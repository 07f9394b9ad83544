"""Likelihoods in bits per dimension, and what PNG, a lossless code, needs for the same images:
a model that needs more bits than PNG has learnt little about them."""

from __future__ import annotations

import math

import numpy as np

from keras_vae.evaluation.anomaly import compressed_length


def bits_per_dim(nats: float, image_shape: tuple[int, ...]) -> float:
    """Returns `nats` per image as bits per pixel channel: nats / (H W C ln 2)."""
    return float(nats) / (math.prod(image_shape) * math.log(2.0))


def png_bits_per_dim(x: np.ndarray) -> float:
    """Returns the bits per pixel channel of `x` (N, H, W, C) stored as one PNG file per image
    (8 bits per channel, Pillow's smallest), whole files summed: the reference a model's
    bits/dim on the same images should beat."""
    return bits_per_dim(float(np.mean(compressed_length(x))), tuple(np.shape(x)[1:]))
