"""The gated layers of Tomczak & Welling's (2018) networks, and their clipped Gaussian head.

A gated layer is `linear(x) * sigmoid(gate(x))`, two copies of one layer (Dauphin et al.'s
gated linear unit); their encoders clip the posterior's log-variance, here to [-6, 2].
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import keras
from keras import layers, ops


class Gated(layers.Layer):
    """A gated layer: `inner(x) * sigmoid(inner'(x))`, two copies of the layer `inner` makes.

    Args:
        inner: makes the layer, given `name` and (for the gate) `activation`.
    """

    def __init__(self, inner: Callable[..., layers.Layer], **kwargs) -> None:
        super().__init__(**kwargs)
        self.linear = inner(name="linear")
        self.gate = inner(activation="sigmoid", name="gate")

    def build(self, input_shape):
        self.linear.build(input_shape)
        self.gate.build(input_shape)

    def call(self, x):
        return self.linear(x) * self.gate(x)

    def compute_output_shape(self, input_shape):
        return self.linear.compute_output_shape(input_shape)


@keras.saving.register_keras_serializable(package="keras_vae")
class GatedDense(Gated):
    """A gated dense layer: `Dense(units)(x) * sigmoid(Dense(units)(x))`."""

    def __init__(self, units: int, **kwargs) -> None:
        super().__init__(functools.partial(layers.Dense, units), **kwargs)
        self.units = units

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="keras_vae")
class GatedConv2D(Gated):
    """A gated convolution: `Conv2D(x) * sigmoid(Conv2D(x))`, both 'same'-padded."""

    def __init__(self, filters: int, kernel_size: int, strides: int = 1, **kwargs) -> None:
        conv = functools.partial(
            layers.Conv2D, filters, kernel_size, strides=strides, padding="same"
        )
        super().__init__(conv, **kwargs)
        self.filters, self.kernel_size, self.strides = filters, kernel_size, strides

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
        }


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


def clipped_gaussian_head(features, latent_dim: int, log_var_range: tuple[float, float], name):
    """Returns `[mean, log_var]` of a latent layer, two linear maps of `features`, the
    log-variance clipped to `log_var_range`; the layers named `{name}_mean`, `_log_var`,
    `_clip`."""
    mean = layers.Dense(latent_dim, name=f"{name}_mean")(features)
    log_var = layers.Dense(latent_dim, name=f"{name}_log_var")(features)
    return [mean, Clip(*log_var_range, name=f"{name}_clip")(log_var)]
