"""`gated_dense`: the MLP of gated layers that Tomczak & Welling (2018) used for the VampPrior.

Each hidden layer is h(x) * sigmoid(g(x)), two linear maps of its input (Dauphin et al.'s gated
linear unit), and the encoder's log-variance is clipped to [-6, 2] as in the paper's code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers, ops

from keras_vae.architectures.blocks import as_tuple, check_shapes


@keras.saving.register_keras_serializable(package="keras_vae")
class GatedDense(layers.Layer):
    """A gated dense layer: `Dense(units)(x) * sigmoid(Dense(units)(x))`."""

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.linear = layers.Dense(units, name="linear")
        self.gate = layers.Dense(units, activation="sigmoid", name="gate")

    def build(self, input_shape):
        self.linear.build(input_shape)
        self.gate.build(input_shape)

    def call(self, x):
        return self.linear(x) * self.gate(x)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="keras_vae")
class Clip(layers.Layer):
    """Clips its input to [low, high] (a hard tanh with those bounds)."""

    def __init__(self, low: float, high: float, **kwargs) -> None:
        super().__init__(**kwargs)
        self.low, self.high = float(low), float(high)

    def call(self, x):
        return ops.clip(x, self.low, self.high)

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}


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
