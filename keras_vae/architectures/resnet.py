"""`resnet`: residual blocks between stride-2 down-sampling (encoder) and up-sampling (decoder)."""

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


def residual_block(x, activation: str):
    """Returns x + conv(act(conv(act(x)))), a pre-activation block keeping x's shape."""
    channels = x.shape[-1]
    h = layers.Activation(activation)(x)
    h = layers.Conv2D(channels, 3, padding="same", activation=activation)(h)
    h = layers.Conv2D(channels, 3, padding="same")(h)
    return layers.Add()([x, h])


def resnet(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: int | Sequence[int] = (32, 64),
    blocks_per_stage: int = 1,
    activation: str = "relu",
    upsampling: str = "auto",
    downsampling: str = "strided",
    output_channels: int | None = None,
) -> tuple[keras.Model, keras.Model]:
    """Builds a residual encoder and decoder; each stage changes H and W by a factor 2.

    Args:
        input_shape: (height, width, channels); any size, the decoder crops back to it.
        latent_dim: size of z.
        filters: channels of each stage, first to last.
        blocks_per_stage: residual blocks after each down-sampling (before each up-sampling).
        activation: activation inside the blocks.
        upsampling: `"auto"`, `"transpose"` or `"pixel_shuffle"`, as for `conv`.
        downsampling: `"strided"` or `"space_to_depth"`, as for `conv`.
        output_channels: parameters per pixel the decoder gives; None: the image's channels
            (`build_vae` sets it from the likelihood's `param_channels`).

    Returns:
        `(encoder, decoder)`.
    """
    height, width, channels = check_shapes(input_shape, latent_dim)
    filters = as_tuple(filters, "filters")
    check_resampling(upsampling, downsampling)
    if blocks_per_stage < 0:
        raise ValueError(f"blocks_per_stage must be >= 0, got {blocks_per_stage}.")

    images = keras.Input((height, width, channels))
    h = images
    for f in filters:
        h = downsample(h, f, 3, downsampling)
        for _ in range(blocks_per_stage):
            h = residual_block(h, activation)
    h = layers.Flatten()(layers.Activation(activation)(h))
    encoder = keras.Model(images, gaussian_head(h, latent_dim), name="encoder")

    small_h = downsampled_size(height, len(filters))
    small_w = downsampled_size(width, len(filters))
    z = keras.Input((latent_dim,))
    h = layers.Dense(small_h * small_w * filters[-1])(z)
    h = layers.Reshape((small_h, small_w, filters[-1]))(h)
    for f in reversed(filters):
        for _ in range(blocks_per_stage):
            h = residual_block(h, activation)
        h = upsample(layers.Activation(activation)(h), f, 3, upsampling)
    params = output_channels or channels
    h = layers.Conv2D(params, 3, padding="same")(layers.Activation(activation)(h))
    decoder = keras.Model(z, crop_to(h, height, width), name="decoder")
    return encoder, decoder
