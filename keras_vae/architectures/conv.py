"""`conv`: a strided-convolution encoder and a transposed-convolution decoder."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from keras_vae.architectures.blocks import (
    as_tuple,
    check_shapes,
    crop_to,
    downsampled_size,
    gaussian_head,
)


def conv(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: int | Sequence[int] = (32, 64),
    kernel_size: int = 3,
    dense_units: int = 256,
    activation: str = "relu",
) -> tuple[keras.Model, keras.Model]:
    """Builds a convolutional encoder (each layer halves H and W) and its transposed mirror.

    Args:
        input_shape: (height, width, channels); any size, the decoder crops back to it.
        latent_dim: size of z.
        filters: channels of each stride-2 convolution, first to last.
        kernel_size: convolution kernel size.
        dense_units: width of the dense layer between the feature map and z (0 for none).
        activation: activation of every hidden layer.

    Returns:
        `(encoder, decoder)`.
    """
    height, width, channels = check_shapes(input_shape, latent_dim)
    filters = as_tuple(filters, "filters")

    images = keras.Input((height, width, channels))
    h = images
    for f in filters:
        h = layers.Conv2D(f, kernel_size, strides=2, padding="same", activation=activation)(h)
    h = layers.Flatten()(h)
    if dense_units:
        h = layers.Dense(dense_units, activation=activation)(h)
    encoder = keras.Model(images, gaussian_head(h, latent_dim), name="encoder")

    small_h = downsampled_size(height, len(filters))
    small_w = downsampled_size(width, len(filters))
    z = keras.Input((latent_dim,))
    h = z
    if dense_units:
        h = layers.Dense(dense_units, activation=activation)(h)
    h = layers.Dense(small_h * small_w * filters[-1], activation=activation)(h)
    h = layers.Reshape((small_h, small_w, filters[-1]))(h)
    for f in reversed(filters):
        h = layers.Conv2DTranspose(
            f, kernel_size, strides=2, padding="same", activation=activation
        )(h)
    h = layers.Conv2D(channels, kernel_size, padding="same")(h)
    decoder = keras.Model(z, crop_to(h, height, width), name="decoder")
    return encoder, decoder
