"""`VampPrior` (Tomczak & Welling, 2018): the aggregate posterior of K learned pseudo-inputs,
p(z) = (1/K) sum_k q(z | u_k)."""

from __future__ import annotations

import math

import keras
from keras import ops

from keras_vae.latent import gaussian_posterior, log_normal_components
from keras_vae.priors.base import Prior, seed_generator


class _Borrowed:
    """Holds a network the prior calls but does not own: a plain attribute would make Keras
    (and torch) count the encoder's weights as the prior's too."""

    def __init__(self, network: keras.Model) -> None:
        self.network = network


@keras.saving.register_keras_serializable(package="keras_vae")
class VampPrior(Prior):
    """The variational mixture of posteriors: K pseudo-inputs, images the model learns, passed
    through its own encoder.

    Each pseudo-input is sigmoid(u) of a learned u that starts at N(-0.05, 0.01^2): pixels of
    about 0.49. This is not the authors' code (jmtomczak/vae_vampprior, `models/Model.py`,
    `add_pseudoinputs`), which passes u through a hard tanh to [0, 1] from N(m, 0.01^2), m being
    `--pseudoinputs_mean` (-0.05 by default in `experiment.py`, which the hard tanh clips to 0
    with no gradient; a run needs m > 0, such as 0.05). The sigmoid keeps a gradient for every
    pixel, which a hard tanh stops for each one pushed below 0, and most of an MNIST image is.

    Args:
        components: K, the number of pseudo-inputs (500 in the paper for MNIST).
        seed: seed of the pseudo-inputs' initial values.
    """

    reads_encoder = True

    def __init__(self, components: int = 500, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(components, int) or components < 1:
            raise ValueError(f"components must be an int >= 1, got {components!r}.")
        self.components = components
        self.seed = seed
        self._encoder: _Borrowed | None = None

    def connect(self, encoder):
        self._encoder = _Borrowed(encoder)
        self.image_shape = tuple(encoder.input_shape[1:])
        super().connect(encoder)

    def build(self, input_shape):
        self.pseudo_inputs = self.add_weight(
            (self.components, *self.image_shape),
            keras.initializers.RandomNormal(-0.05, 0.01, seed=self.seed),
            name="pseudo_inputs",
        )

    def components_posterior(self):
        """Returns (K, latent_dim) `(mean, log_var)` of q(z | u_k) for each pseudo-input."""
        if self._encoder is None:
            raise ValueError(
                "This VampPrior is not connected to an encoder; pass it to VAE(prior=...)."
            )
        return gaussian_posterior(self._encoder.network(self.pseudo_images()))

    def pseudo_images(self):
        """Returns (K, H, W, C) the pseudo-inputs as images in (0, 1)."""
        return ops.sigmoid(self.pseudo_inputs)

    def log_prob(self, z):
        means, log_vars = self.components_posterior()
        per_component = log_normal_components(z, means, log_vars)
        return ops.logsumexp(per_component, axis=-1) - math.log(self.components)

    def sample(self, n, seed=None, temperature=1.0):
        seed = seed_generator(seed)
        means, log_vars = self.components_posterior()
        which = keras.random.randint((n,), 0, self.components, seed=seed)
        noise = keras.random.normal((n, self.latent_dim), stddev=temperature, seed=seed)
        return (
            ops.take(means, which, axis=0)
            + ops.exp(0.5 * ops.take(log_vars, which, axis=0)) * noise
        )

    def get_config(self):
        return {**super().get_config(), "components": self.components, "seed": self.seed}
