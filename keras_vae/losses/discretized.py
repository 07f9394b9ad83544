"""Likelihoods over 8-bit pixel values: each of the 256 values of a channel gets the mass its bin
of width 1/255 holds under a continuous distribution (the two end bins take the tails), so
-log p(x | z) is a number of nats a code would need for the image, and bits per dimension follow.

As in PixelCNN++ (Salimans et al., 2017) and NVAE (Vahdat & Kautz, 2020), pixels x in [0, 1]
are read as values 2x - 1 in [-1, 1] with bins of half-width 1/255, and log-scales are clipped
below at -7. Where a bin's mass is too small for float32 to take the difference of two CDFs,
the density at the bin's centre times its width stands in.

The decoder gives several parameters per pixel channel (`Likelihood.param_channels`): means
and log-scales, and for the mixture the components' logits and the coefficients that let each
channel's mean depend on the channels before it (red, then green, then blue).
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import ops

from keras_vae.losses.likelihoods import Likelihood

HALF_BIN = 1.0 / 255.0  # half a bin's width, in [-1, 1]
MIN_LOG_SCALE = -7.0
# Below this CDF difference the bin's mass is taken from the density at its centre.
SMALL_MASS = 1e-5


def logistic_log_mass(x, mean, log_scale):
    """Returns log P(bin of x) under a logistic of `mean` and exp(`log_scale`), elementwise;
    x and mean in [-1, 1] units, the end bins taking the tails."""
    centred = x - mean
    inverse_scale = ops.exp(-log_scale)
    upper = inverse_scale * (centred + HALF_BIN)
    lower = inverse_scale * (centred - HALF_BIN)
    mass = ops.sigmoid(upper) - ops.sigmoid(lower)
    log_cdf_upper = upper - ops.softplus(upper)  # log sigmoid(upper), for the bin of 0
    log_survival_lower = -ops.softplus(lower)  # log (1 - sigmoid(lower)), for the bin of 255
    middle = inverse_scale * centred
    log_density = middle - log_scale - 2.0 * ops.softplus(middle)
    return _log_mass(x, mass, log_cdf_upper, log_survival_lower, log_density)


def gaussian_log_mass(x, mean, log_scale):
    """Returns log P(bin of x) under a normal of `mean` and standard deviation exp(`log_scale`),
    elementwise; x and mean in [-1, 1] units, the end bins taking the tails."""
    centred = x - mean
    inverse_scale = ops.exp(-log_scale)
    upper = inverse_scale * (centred + HALF_BIN)
    lower = inverse_scale * (centred - HALF_BIN)
    cdf_upper, cdf_lower = _normal_cdf(upper), _normal_cdf(lower)
    log_cdf_upper = ops.log(ops.maximum(cdf_upper, 1e-12))
    log_survival_lower = ops.log(ops.maximum(1.0 - cdf_lower, 1e-12))
    middle = inverse_scale * centred
    log_density = -0.5 * ops.square(middle) - log_scale - 0.5 * math.log(2.0 * math.pi)
    return _log_mass(x, cdf_upper - cdf_lower, log_cdf_upper, log_survival_lower, log_density)


def _normal_cdf(z):
    return 0.5 * (1.0 + ops.erf(z / math.sqrt(2.0)))


def _log_mass(x, mass, log_cdf_upper, log_survival_lower, log_density):
    """Picks the end bins' tails, the CDF difference, or density times width where that
    difference underflows; the double `where` keeps NaN out of the gradients not taken."""
    enough = mass > SMALL_MASS
    inner = ops.where(
        enough,
        ops.log(ops.maximum(ops.where(enough, mass, 1.0), 1e-12)),
        log_density + math.log(2.0 * HALF_BIN),
    )
    return ops.where(
        x < -1.0 + HALF_BIN, log_cdf_upper, ops.where(x > 1.0 - HALF_BIN, log_survival_lower, inner)
    )


def _as_values(x):
    """Pixels in [0, 1] as values in [-1, 1]."""
    return 2.0 * x - 1.0


def _as_pixels(values):
    """Values in [-1, 1] (clipped) as pixels in [0, 1]."""
    return (ops.clip(values, -1.0, 1.0) + 1.0) / 2.0


def _on_grid(values):
    """Values in [-1, 1] (clipped) rounded to the nearest of the 256 values of 8-bit pixels: a
    continuous draw rounded to its bin is a draw of the discretised distribution."""
    return ops.round((ops.clip(values, -1.0, 1.0) + 1.0) * 127.5) / 127.5 - 1.0


def _values_for_mean(mean) -> np.ndarray:
    return (2.0 * np.clip(np.asarray(mean, "float64"), 0.0, 1.0) - 1.0).astype("float32")


class _Discretized(Likelihood):
    """One distribution per pixel channel: its mean, then its log-scale, as 2C parameters."""

    support = (0.0, 1.0)
    discrete = True

    def param_channels(self, channels: int) -> int:
        return 2 * channels

    def _split(self, params):
        channels = params.shape[-1] // 2
        mean, log_scale = params[..., :channels], params[..., channels:]
        return mean, ops.maximum(log_scale, MIN_LOG_SCALE)

    def mean(self, params):
        return _as_pixels(self._split(params)[0])

    def params_for_mean(self, mean):
        values = _values_for_mean(mean)
        # log-scale 0: a spread of the whole [-1, 1] range, which training narrows.
        return np.concatenate([values, np.zeros_like(values)], axis=-1)


@keras.saving.register_keras_serializable(package="keras_vae")
class DiscretizedLogistic(_Discretized):
    """A logistic per pixel channel, discretised to the 256 values of 8-bit images."""

    def log_prob(self, x, params):
        mean, log_scale = self._split(params)
        return logistic_log_mass(_as_values(x), mean, log_scale)


@keras.saving.register_keras_serializable(package="keras_vae")
class DiscretizedGaussian(_Discretized):
    """A normal per pixel channel, discretised to the 256 values of 8-bit images."""

    def log_prob(self, x, params):
        mean, log_scale = self._split(params)
        return gaussian_log_mass(_as_values(x), mean, log_scale)


@keras.saving.register_keras_serializable(package="keras_vae")
class DiscretizedLogisticMixture(Likelihood):
    """A mixture of discretised logistics per pixel, its channels modelled jointly.

    As in PixelCNN++: component k has a weight (softmax of its logit), and per channel a mean
    and a log-scale; channel c's mean moves by tanh(coefficient) times each channel before it
    (its true value in the likelihood), so a pixel's colours are correlated within a component.
    The decoder gives per pixel K logits, K x C means, K x C log-scales and K x C(C-1)/2
    coefficients, in that order (100 for K = 10 in colour, as PixelCNN++ and NVAE use).

    Args:
        components: K, the mixture's components.
    """

    support = (0.0, 1.0)
    discrete = True

    def __init__(self, components: int = 10) -> None:
        if int(components) < 1:
            raise ValueError(f"components must be >= 1, got {components}.")
        self.components = int(components)

    def param_channels(self, channels: int) -> int:
        return self.components * (1 + 2 * channels + channels * (channels - 1) // 2)

    def _channels(self, params) -> int:
        per_component = params.shape[-1] // self.components - 1
        # 2C + C(C - 1)/2 = per_component, solved for C.
        channels = int(round((-3 + math.sqrt(9 + 8 * per_component)) / 2))
        if self.param_channels(channels) != params.shape[-1]:
            raise ValueError(
                f"{params.shape[-1]} decoder outputs per pixel fit no number of channels for a "
                f"{self.components}-component mixture; build the model with build_vae, which "
                "sizes the decoder from the likelihood."
            )
        return channels

    def _split(self, params):
        """Returns the logits (..., K) and means, log-scales and coefficients, each
        (..., C or C(C-1)/2, K); the coefficients None for one channel."""
        k, c = self.components, self._channels(params)
        shape = tuple(params.shape[1:-1])

        def take(start, count):
            part = params[..., start : start + count * k]
            return ops.reshape(part, (-1, *shape, count, k))

        logits = params[..., :k]
        mean = take(k, c)
        log_scale = ops.maximum(take(k + c * k, c), MIN_LOG_SCALE)
        # One channel has no coefficients: JAX and PyTorch cannot reshape an empty slice.
        coefficients = ops.tanh(take(k + 2 * c * k, c * (c - 1) // 2)) if c > 1 else None
        return logits, mean, log_scale, coefficients

    @staticmethod
    def _coupled(mean, coefficients, earlier=None):
        """Returns the means (..., C, K), channel c's moved by tanh(coefficient) times each
        channel before it: its value in `earlier` (..., C, 1), or else its own moved mean
        (clipped to the pixel range), for the mean image."""
        channels, moved = mean.shape[-2], []
        for c in range(channels):
            channel = mean[..., c, :]
            for before in range(c):
                given = moved[before] if earlier is None else earlier[..., before, :]
                channel = channel + coefficients[..., c * (c - 1) // 2 + before, :] * given
            moved.append(channel if earlier is not None else ops.clip(channel, -1.0, 1.0))
        return ops.stack(moved, axis=-2)

    def log_prob(self, x, params):
        """Returns log p(pixel) over all its channels: (batch, H, W)."""
        logits, mean, log_scale, coefficients = self._split(params)
        values = ops.expand_dims(_as_values(x), -1)  # (..., C, 1): the same for each component
        mean = self._coupled(mean, coefficients, earlier=values)
        per_channel = logistic_log_mass(values, mean, log_scale)
        joint = ops.sum(per_channel, axis=-2) + ops.log_softmax(logits, axis=-1)
        return ops.logsumexp(joint, axis=-1)

    def mean(self, params):
        logits, mean, _, coefficients = self._split(params)
        weights = ops.expand_dims(ops.softmax(logits, axis=-1), -2)
        return _as_pixels(ops.sum(self._coupled(mean, coefficients) * weights, axis=-1))

    def sample(self, params, seed=None):
        """Returns a draw of every pixel from its mixture, in [0, 1] on the 256 values.

        Args:
            seed: an int, a `keras.random.SeedGenerator`, or None (a fresh draw).
        """
        return self.draw(params, self.noise(params.shape[:-1], self._channels(params), seed))

    def noise(self, shape, channels: int, seed=None):
        """Returns the uniform draws (*shape, K + C) that `draw` turns into pixels of `shape`:
        K to choose the component, one per channel for its value."""
        return keras.random.uniform(
            (*shape, self.components + channels), minval=1e-5, maxval=1.0 - 1e-5, seed=seed
        )

    def draw(self, params, uniforms):
        """Returns the pixels, in [0, 1], that `uniforms` (from `noise`) pick: the component by
        the Gumbel-max trick, then each channel by its logistic's inverse CDF, its mean moved by
        the values drawn for the channels before it (as `log_prob` moves it by the true ones)."""
        params = ops.convert_to_tensor(params, "float32")
        uniforms = ops.convert_to_tensor(uniforms, "float32")
        logits, mean, log_scale, coefficients = self._split(params)
        k = self.components
        gumbel = -ops.log(-ops.log(uniforms[..., :k]))
        chosen = ops.expand_dims(ops.one_hot(ops.argmax(logits + gumbel, axis=-1), k), -2)

        def pick(per_component):  # (..., n, K) -> the chosen component's (..., n)
            return ops.sum(per_component * chosen, axis=-1)

        u = uniforms[..., k:]
        logistic = ops.log(u) - ops.log1p(-u)  # the standard logistic's inverse CDF
        offsets = pick(mean) + ops.exp(pick(log_scale)) * logistic
        coefficients = None if coefficients is None else pick(coefficients)
        values = []
        for c in range(offsets.shape[-1]):
            value = offsets[..., c]
            for before in range(c):
                value = value + coefficients[..., c * (c - 1) // 2 + before] * values[before]
            values.append(_on_grid(value))
        return _as_pixels(ops.stack(values, axis=-1))

    def params_for_mean(self, mean):
        values = _values_for_mean(mean)  # (..., C)
        lead, channels, k = values.shape[:-1], values.shape[-1], self.components
        means = np.repeat(values[..., :, None], k, axis=-1).reshape(*lead, channels * k)
        rest = np.zeros((*lead, k * channels + k * channels * (channels - 1) // 2), "float32")
        return np.concatenate([np.zeros((*lead, k), "float32"), means, rest], axis=-1)

    def get_config(self):
        return {"components": self.components}
