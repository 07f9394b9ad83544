"""A keras_vae plugin: the prior p(z) = N(0, scale^2 I), with `scale` its one hyperparameter.

Everything a prior needs is here; the entry point in pyproject.toml makes it `--prior
scaled_normal`, and its signature makes `--set prior.scale=0.5` work.
"""

import math

import keras
from keras import ops

import keras_vae
from keras_vae.latent import log_normal_per_dimension


@keras_vae.register_prior("scaled_normal")
class ScaledNormal(keras_vae.priors.Prior):
    """N(0, scale^2 I): the standard normal prior, widened or narrowed by `scale`."""

    factorised = True

    def __init__(self, scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale}.")
        self.scale = float(scale)

    def log_prob_per_dimension(self, z):
        return log_normal_per_dimension(z, 0.0, ops.full_like(z, 2.0 * math.log(self.scale)))

    def log_prob(self, z):
        return ops.sum(self.log_prob_per_dimension(z), axis=-1)

    def sample(self, n, seed=None, temperature=1.0):
        shape = (n, self.latent_dim)
        return keras.random.normal(shape, stddev=self.scale * temperature, seed=seed)

    def kl_per_dimension(self, z_mean, z_log_var):
        # KL(N(m, v) || N(0, s^2)) = (v + m^2) / (2 s^2) - 1/2 - log(sqrt(v) / s)
        variance = self.scale**2
        return 0.5 * (
            (ops.exp(z_log_var) + ops.square(z_mean)) / variance
            - 1.0
            - z_log_var
            + math.log(variance)
        )

    def kl(self, z_mean, z_log_var, z):
        return ops.sum(self.kl_per_dimension(z_mean, z_log_var), axis=-1)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}
