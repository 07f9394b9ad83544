"""Reconstruction likelihoods p(x | z): their negative log-likelihood in nats and their mean.

These take one unconstrained parameter per pixel channel from the decoder, so any architecture
pairs with them; those over 8-bit values (`keras_vae.losses.discretized`) take several.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_vae.losses.base import LossTerm, VAEOutputs


class Likelihood(LossTerm):
    """Base of reconstruction terms: `-log p(x | z)` summed over pixels, metric `reconstruction`.

    Subclasses implement `log_prob` (per pixel) and `mean`, and set `support` where the
    density is defined only for pixels in a range.
    """

    name = "reconstruction"
    support: tuple[float, float] | None = None  # (low, high) the pixels must lie in
    # Whether log_prob is a probability mass over the 256 values of 8-bit pixels, so that
    # -log2 p(x) per pixel channel is a number of bits per dimension.
    discrete: bool = False
    # Whether each pixel depends on the pixels before it: its images (`image`) are drawn pixel
    # by pixel (H x W passes of a network), which makes every image the model shows slow.
    autoregressive: bool = False

    def log_prob(self, x: Any, params: Any) -> Any:
        """Returns log p(x | params) for each pixel, the shape of `x`."""
        raise NotImplementedError

    def mean(self, params: Any) -> Any:
        """Returns the distribution's mean image, in [0, 1]."""
        raise NotImplementedError

    def image(self, params: Any, seed: Any = None) -> Any:
        """Returns the image, in [0, 1], that shows p(x | params) in pictures: its mean; an
        autoregressive likelihood shows a draw instead (its joint mean has no closed form).

        Args:
            seed: an int or a `keras.random.SeedGenerator`, for a likelihood that draws.
        """
        return self.mean(params)

    def param_channels(self, channels: int) -> int:
        """Returns how many parameters per pixel the decoder gives for images of `channels`
        channels: one per channel here; the discretised likelihoods take more."""
        return channels

    def values_per_pixel_scored(self, channels: int) -> int:
        """Returns about how many values per pixel scoring an image computes from the decoder's
        parameters, which sizes an evaluation pass: as many as the parameters here."""
        return self.param_channels(channels)

    def connect(self, image_shape: tuple[int, int, int]) -> None:
        """Builds what the likelihood holds for images of `image_shape` (H, W, C), which the
        model passes in; nothing here: only a likelihood with weights (`pixelcnn`) has any."""

    def params_for_mean(self, mean: np.ndarray) -> np.ndarray | None:
        """Returns the parameters (NumPy: `mean`'s shape, with `param_channels` in its last
        axis) whose distribution has mean `mean`, or None where this likelihood cannot say;
        training starts the decoder's output bias there, so the untrained model predicts the
        average image."""
        return None

    def nats(self, outputs: VAEOutputs) -> Any:
        log_prob = self.log_prob(outputs.x, outputs.params)
        return -ops.sum(log_prob, axis=tuple(range(1, len(log_prob.shape))))


@keras.saving.register_keras_serializable(package="keras_vae")
class Bernoulli(Likelihood):
    """Bernoulli likelihood from logits, the standard choice for (binarised) MNIST."""

    support = (0.0, 1.0)

    def log_prob(self, x, params):
        # x * l - log(1 + e^l), with softplus for stability at large |l|.
        return x * params - ops.softplus(params)

    def mean(self, params):
        return ops.sigmoid(params)

    def params_for_mean(self, mean):
        return _logit(mean)


@keras.saving.register_keras_serializable(package="keras_vae")
class ContinuousBernoulli(Likelihood):
    """Continuous Bernoulli (Loaiza-Ganem & Cunningham, 2019): a normalised density on [0, 1].

    With lambda = sigmoid(l), the normaliser is C(lambda) = l / tanh(l / 2), which tends to 2
    as l -> 0; near 0 its Taylor series replaces the 0/0 form.
    """

    support = (0.0, 1.0)
    _taylor_below = 1e-2

    def log_prob(self, x, params):
        return x * params - ops.softplus(params) + self._log_normaliser(params)

    def _log_normaliser(self, logits):
        small = ops.abs(logits) < self._taylor_below
        # The double-where keeps NaN out of the gradient of the branch not taken.
        safe = ops.where(small, ops.ones_like(logits), logits)
        exact = ops.log(ops.abs(safe)) - ops.log(ops.abs(ops.tanh(safe / 2.0)))
        taylor = math.log(2.0) + ops.square(logits) / 12.0
        return ops.where(small, taylor, exact)

    def mean(self, params):
        small = ops.abs(params) < self._taylor_below
        safe = ops.where(small, ops.ones_like(params), params)
        exact = ops.sigmoid(safe) / ops.tanh(safe / 2.0) - 1.0 / safe
        return ops.where(small, 0.5 + params / 12.0, exact)

    def params_for_mean(self, mean):
        # The mean rises monotonically from 0 to 1 with the logit (not as a sigmoid): invert it
        # by bisection, in float64.
        mean = np.clip(np.asarray(mean, "float64"), 1e-3, 1 - 1e-3)
        low, high = np.full(mean.shape, -1e3), np.full(mean.shape, 1e3)
        for _ in range(80):
            middle = (low + high) / 2
            below = _continuous_bernoulli_mean(middle) < mean
            low, high = np.where(below, middle, low), np.where(below, high, middle)
        return ((low + high) / 2).astype("float32")


@keras.saving.register_keras_serializable(package="keras_vae")
class Gaussian(Likelihood):
    """Gaussian with fixed variance around mean sigmoid(params).

    The default variance 0.5 makes -log p(x|z) the summed squared error plus a constant
    (0.5 * log(pi) per pixel): the original project's "MSE + KL" setup, in nats.

    Args:
        variance: the fixed per-pixel variance.
    """

    def __init__(self, variance: float = 0.5) -> None:
        if not variance > 0:
            raise ValueError(f"Gaussian variance must be > 0, got {variance}.")
        self.variance = float(variance)

    def log_prob(self, x, params):
        error = x - ops.sigmoid(params)
        return -0.5 * ops.square(error) / self.variance - 0.5 * math.log(
            2.0 * math.pi * self.variance
        )

    def mean(self, params):
        return ops.sigmoid(params)

    def params_for_mean(self, mean):
        return _logit(mean)

    def get_config(self):
        return {"variance": self.variance}


@keras.saving.register_keras_serializable(package="keras_vae")
class Laplace(Likelihood):
    """Laplace with fixed scale around mean sigmoid(params): an L1 reconstruction, in nats.

    Args:
        scale: the fixed per-pixel scale b (the density is exp(-|x - mu| / b) / 2b).
    """

    def __init__(self, scale: float = 0.5) -> None:
        if not scale > 0:
            raise ValueError(f"Laplace scale must be > 0, got {scale}.")
        self.scale = float(scale)

    def log_prob(self, x, params):
        return -ops.abs(x - ops.sigmoid(params)) / self.scale - math.log(2.0 * self.scale)

    def mean(self, params):
        return ops.sigmoid(params)

    def params_for_mean(self, mean):
        return _logit(mean)

    def get_config(self):
        return {"scale": self.scale}


@keras.saving.register_keras_serializable(package="keras_vae")
class Normal(Likelihood):
    """Normal over real values of any range, its mean and log-scale per value from the decoder.

    For data that are not pixels, such as the codes of a trained VAE that M2 models in M1+M2
    (Kingma et al., 2014, whose p(z1 | y, z2) is a diagonal Gaussian of learnt variance): the
    mean is the decoder's output itself, not a sigmoid of it. Log-scales are clipped below at
    `min_log_scale`, so that a value the data never vary in cannot make the density unbounded.

    Args:
        min_log_scale: the smallest log standard deviation.
    """

    def __init__(self, min_log_scale: float = -5.0) -> None:
        self.min_log_scale = float(min_log_scale)

    def param_channels(self, channels: int) -> int:
        return 2 * channels

    def _split(self, params):
        channels = params.shape[-1] // 2
        mean, log_scale = params[..., :channels], params[..., channels:]
        return mean, ops.maximum(log_scale, self.min_log_scale)

    def log_prob(self, x, params):
        mean, log_scale = self._split(params)
        standardised = (x - mean) * ops.exp(-log_scale)
        return -0.5 * ops.square(standardised) - log_scale - 0.5 * math.log(2.0 * math.pi)

    def mean(self, params):
        return self._split(params)[0]

    def params_for_mean(self, mean):
        mean = np.asarray(mean, "float32")
        # log-scale 0: unit spread, which training narrows to the data's.
        return np.concatenate([mean, np.zeros_like(mean)], axis=-1)

    def get_config(self):
        return {"min_log_scale": self.min_log_scale}


def _logit(mean: np.ndarray) -> np.ndarray:
    """Returns log(m / (1 - m)) in float32, `mean` kept off 0 and 1."""
    mean = np.clip(np.asarray(mean, "float64"), 1e-3, 1 - 1e-3)
    return np.log(mean / (1 - mean)).astype("float32")


def _continuous_bernoulli_mean(logits: np.ndarray) -> np.ndarray:
    """NumPy twin of `ContinuousBernoulli.mean`, in float64."""
    small = np.abs(logits) < 1e-4
    safe = np.where(small, 1.0, logits)
    exact = 1.0 / (1.0 + np.exp(-safe)) / np.tanh(safe / 2.0) - 1.0 / safe
    return np.where(small, 0.5 + logits / 12.0, exact)
