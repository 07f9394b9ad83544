"""`dense`: a multilayer perceptron encoder and decoder."""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from keras_vae.architectures.blocks import as_tuple, check_shapes, gaussian_head, weight_options


def dense(
    input_shape: Sequence[int],
    latent_dim: int,
    hidden_units: int | Sequence[int] = (512, 256),
    activation: str = "relu",
    output_channels: int | None = None,
    init_scale: float | None = None,
    kernel_l2: float | None = None,
) -> tuple[keras.Model, keras.Model]:
    """Builds an MLP encoder and its mirror-image decoder.

    Args:
        input_shape: (height, width, channels) of the images.
        latent_dim: size of z.
        hidden_units: encoder layer widths, first to last; the decoder uses them reversed.
            `400` with latent 20 is the classic PyTorch example's 784-400-20 network.
        activation: activation of every hidden layer.
        output_channels: parameters per pixel the decoder gives; None: the image's channels
            (`build_vae` sets it from the likelihood's `param_channels`).
        init_scale: start every weight matrix N(0, init_scale^2) [Keras's Glorot-uniform];
            Kingma et al.'s code: 1e-3.
        kernel_l2: add kernel_l2 times every weight matrix's sum of squares to the loss
            [none]; a N(0, s^2) prior on the weights, per image of N, is 1 / (2 s^2 N).

    Returns:
        `(encoder, decoder)`.
    """
    shape = check_shapes(input_shape, latent_dim)
    widths = as_tuple(hidden_units, "hidden_units")
    weights = weight_options(init_scale, kernel_l2)

    images = keras.Input(shape)
    h = layers.Flatten()(images)
    for width in widths:
        h = layers.Dense(width, activation=activation, **weights)(h)
    encoder = keras.Model(images, gaussian_head(h, latent_dim, **weights), name="encoder")

    z = keras.Input((latent_dim,))
    h = z
    for width in reversed(widths):
        h = layers.Dense(width, activation=activation, **weights)(h)
    params = (*shape[:-1], output_channels or shape[-1])
    h = layers.Dense(math.prod(params), **weights)(h)
    decoder = keras.Model(z, layers.Reshape(params)(h), name="decoder")
    return encoder, decoder
