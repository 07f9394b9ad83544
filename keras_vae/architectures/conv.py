"""`conv`: a convolutional encoder that halves the image at each layer, and its mirror."""

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
from keras_vae.architectures.resampling import check_resampling, downsample, upsample


def conv(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: int | Sequence[int] = (32, 64),
    kernel_size: int = 3,
    dense_units: int = 256,
    activation: str = "relu",
    upsampling: str = "auto",
    downsampling: str = "strided",
    output_channels: int | None = None,
) -> tuple[keras.Model, keras.Model]:
    """Builds a convolutional encoder (each layer halves H and W) and its mirror image.

    Args:
        input_shape: (height, width, channels); any size, the decoder crops back to it.
        latent_dim: size of z.
        filters: channels of each stride-2 convolution, first to last.
        kernel_size: convolution kernel size.
        dense_units: width of the dense layer between the feature map and z (0 for none).
        activation: activation of every hidden layer.
        upsampling: how the decoder doubles H and W: `"transpose"` (stride-2 transposed
            convolutions), `"pixel_shuffle"` (convolution to 4x channels, depth-to-space) or
            `"auto"`, the faster on this backend (pixel_shuffle on JAX, else transpose).
        downsampling: how the encoder halves them: `"strided"` (stride-2 convolutions) or
            `"space_to_depth"` (space-to-depth, then a stride-1 convolution).
        output_channels: parameters per pixel the decoder gives; None: the image's channels
            (`build_vae` sets it from the likelihood's `param_channels`).

    Returns:
        `(encoder, decoder)`.
    """
    height, width, channels = check_shapes(input_shape, latent_dim)
    filters = as_tuple(filters, "filters")
    check_resampling(upsampling, downsampling)

    images = keras.Input((height, width, channels))
    h = images
    for f in filters:
        h = downsample(h, f, kernel_size, downsampling, activation)
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
        h = upsample(h, f, kernel_size, upsampling, activation)
    h = layers.Conv2D(output_channels or channels, kernel_size, padding="same")(h)
    decoder = keras.Model(z, crop_to(h, height, width), name="decoder")
    return encoder, decoder
