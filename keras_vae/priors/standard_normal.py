"""`StandardNormal`: p(z) = N(0, I), the default prior, with its closed-form KL."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_vae.latent import log_normal_per_dimension
from keras_vae.priors.base import Prior


def kl_divergence(z_mean: Any, z_log_var: Any) -> Any:
    """Analytic KL(N(mean, exp(log_var)) || N(0, 1)) for each latent dimension, in nats."""
    # expm1(v) - v >= 0 holds in floating point too, so the KL never rounds below zero.
    return 0.5 * (ops.expm1(z_log_var) - z_log_var + ops.square(z_mean))


@keras.saving.register_keras_serializable(package="keras_vae")
class StandardNormal(Prior):
    """The standard normal prior N(0, I); it has no weights."""

    factorised = True

    def log_prob(self, z):
        return ops.sum(self.log_prob_per_dimension(z), axis=-1)

    def log_prob_per_dimension(self, z):
        return log_normal_per_dimension(z, 0.0, ops.zeros_like(z))

    def sample(self, n, seed=None, temperature=1.0):
        return keras.random.normal((n, self.latent_dim), stddev=temperature, seed=seed)

    def kl(self, z_mean, z_log_var, z):
        return ops.sum(kl_divergence(z_mean, z_log_var), axis=-1)

    def kl_per_dimension(self, z_mean, z_log_var):
        return kl_divergence(z_mean, z_log_var)
