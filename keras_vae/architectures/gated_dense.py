"""`gated_dense`: the MLP of gated layers that Tomczak & Welling (2018) used for the VampPrior.

Each hidden layer is a `GatedDense` (`keras_vae.architectures.gated`), and the encoder's
log-variance is clipped to [-6, 2] as in the paper's code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from keras_vae.architectures.blocks import as_tuple, check_shapes
from keras_vae.architectures.gated import Clip, GatedDense


def gated_dense(
    input_shape: Sequence[int],
    latent_dim: int,
    hidden_units: int | Sequence[int] = (300, 300),
    log_var_range: tuple[float, float] = (-6.0, 2.0),
    output_channels: int | None = None,
) -> tuple[keras.Model, keras.Model]:
    """Builds a gated-MLP encoder and its mirror-image decoder.

    Args:
        input_shape: (height, width, channels) of the images.
        latent_dim: size of z (40 in the paper).
        hidden_units: encoder layer widths, first to last; the decoder uses them reversed.
        log_var_range: bounds of the encoder's log-variance.
        output_channels: parameters per pixel the decoder gives; None: the image's channels
            (`build_vae` sets it from the likelihood's `param_channels`).

    Returns:
        `(encoder, decoder)`.
    """
    shape = check_shapes(input_shape, latent_dim)
    widths = as_tuple(hidden_units, "hidden_units")

    images = keras.Input(shape)
    h = layers.Flatten()(images)
    for width in widths:
        h = GatedDense(width)(h)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = Clip(*log_var_range)(layers.Dense(latent_dim, name="z_log_var")(h))
    encoder = keras.Model(images, [z_mean, z_log_var], name="encoder")

    z = keras.Input((latent_dim,))
    h = z
    for width in reversed(widths):
        h = GatedDense(width)(h)
    params = (*shape[:-1], output_channels or shape[-1])
    h = layers.Dense(math.prod(params))(h)
    decoder = keras.Model(z, layers.Reshape(params)(h), name="decoder")
    return encoder, decoder
