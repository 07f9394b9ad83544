"""`Prior`, the base of every prior p(z): `log_prob`, `sample` and the KL against a posterior.

The design all priors share is in `keras_vae.latent`.
"""

from __future__ import annotations

from typing import Any

import keras

from keras_vae.latent import log_normal


class Prior(keras.layers.Layer):
    """A prior p(z) over the latent, a Keras layer whose weights are the model's.

    Subclasses implement `log_prob` and `sample`, and build their weights in `build`, which
    `connect` calls with the latent size. Calling the layer returns `log_prob(z)`.
    """

    #: Whether p(z) is a product of one density per latent dimension, with a closed-form KL
    #: per dimension (`kl_per_dimension`); free bits and beta-TC need that.
    factorised = False
    #: Whether the prior passes inputs of its own through the model's encoder (the VampPrior);
    #: a conditional VAE's encoder also needs labels, which such inputs lack.
    reads_encoder = False

    def connect(self, encoder: keras.Model) -> None:
        """Builds the prior for the model whose encoder is `encoder`.

        Args:
            encoder: the model's encoder, images -> [z_mean, z_log_var]. A prior that passes
                inputs through it (the VampPrior) keeps a reference it does not own.
        """
        self.latent_dim = int(encoder.outputs[0].shape[-1])
        if not self.built:
            self.build((None, self.latent_dim))

    def get_build_config(self) -> None:
        # A prior is built by `connect`, which alone knows the model's shapes (a VampPrior's
        # image size); Keras must not build it from its config before.
        return None

    def call(self, z: Any) -> Any:
        return self.log_prob(z)

    def log_prob(self, z: Any) -> Any:
        """Returns log p(z) in nats, summed over the last axis of `z` (..., latent_dim)."""
        raise NotImplementedError

    def sample(self, n: int, seed: Any = None, temperature: float = 1.0) -> Any:
        """Returns (n, latent_dim) draws from p(z).

        Args:
            n: how many draws.
            seed: an int, a `keras.random.SeedGenerator`, or None (a fresh random draw).
            temperature: scales the standard deviation of the draws (of each mixture
                component's, for mixtures); 1 samples p(z) itself.
        """
        raise NotImplementedError

    def kl(self, z_mean: Any, z_log_var: Any, z: Any) -> Any:
        """Returns (batch,) KL(q(z | x) || p(z)) in nats: the Monte-Carlo estimate
        log q(z | x) - log p(z) at the draw `z`, unless the prior has a closed form."""
        return log_normal(z, z_mean, z_log_var) - self.log_prob(z)

    def kl_per_dimension(self, z_mean: Any, z_log_var: Any) -> Any:
        """Returns (batch, latent_dim) the analytic KL of each dimension; factorised priors
        only."""
        raise self._not_factorised()

    def log_prob_per_dimension(self, z: Any) -> Any:
        """Returns log p(z_d) for each dimension, the shape of `z`; factorised priors only."""
        raise self._not_factorised()

    def _not_factorised(self) -> ValueError:
        return ValueError(
            f"The {type(self).__name__} prior is not factorised: it has no per-dimension "
            "density or KL. Free bits and beta-TC need a factorised prior such as "
            "standard_normal."
        )


def seed_generator(seed: Any) -> keras.random.SeedGenerator:
    """Returns `seed` as a SeedGenerator, so that one sample can take several draws from it."""
    if isinstance(seed, keras.random.SeedGenerator):
        return seed
    return keras.random.SeedGenerator(seed)
