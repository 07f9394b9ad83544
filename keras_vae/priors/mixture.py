"""`MixtureOfGaussians`: p(z) = sum_k pi_k N(mu_k, diag(sigma_k^2)), every parameter learned."""

from __future__ import annotations

import keras
from keras import ops

from keras_vae.latent import log_normal_components
from keras_vae.priors.base import Prior, seed_generator


@keras.saving.register_keras_serializable(package="keras_vae")
class MixtureOfGaussians(Prior):
    """A mixture of K diagonal Gaussians whose weights, means and variances train with the
    model.

    Args:
        components: K.
        seed: seed of the means' initial values, standard-normal draws (so that the
            components start apart, where all-equal ones would get the same gradients).
    """

    def __init__(self, components: int = 10, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(components, int) or components < 1:
            raise ValueError(f"components must be an int >= 1, got {components!r}.")
        self.components = components
        self.seed = seed

    def build(self, input_shape):
        latent_dim = input_shape[-1]
        shape = (self.components, latent_dim)
        self.means = self.add_weight(
            shape, keras.initializers.RandomNormal(seed=self.seed), name="means"
        )
        self.log_vars = self.add_weight(shape, "zeros", name="log_vars")
        self.logits = self.add_weight((self.components,), "zeros", name="logits")

    def log_prob(self, z):
        log_weights = ops.log_softmax(self.logits)
        per_component = log_normal_components(z, self.means, self.log_vars)
        return ops.logsumexp(per_component + log_weights, axis=-1)

    def sample(self, n, seed=None, temperature=1.0):
        seed = seed_generator(seed)
        which = keras.random.categorical(self.logits[None], n, seed=seed)[0]
        means = ops.take(self.means, which, axis=0)
        scales = ops.exp(0.5 * ops.take(self.log_vars, which, axis=0))
        noise = keras.random.normal(ops.shape(means), stddev=temperature, seed=seed)
        return means + scales * noise

    def get_config(self):
        return {**super().get_config(), "components": self.components, "seed": self.seed}
