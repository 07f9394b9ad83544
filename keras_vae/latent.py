"""The latent interface: the posterior's densities, and the design that every prior, objective
and scorer shares.

Design
------
- The encoder gives a diagonal Gaussian posterior q(z | x) = N(z_mean, exp(z_log_var)), read by
  `gaussian_posterior` (float32, log-variance clipped to `LOG_VAR_RANGE`). z is one vector of
  `latent_dim` per image; a posterior draw may carry leading axes, (draws, batch, latent_dim).
- A prior p(z) (`keras_vae.priors`) is a Keras layer owned by the model, with `log_prob(z)` over
  z's last axis and `sample(n, seed, temperature)`. Its weights train with the model's. Priors
  that need a network of the model (the VampPrior's encoder) are handed it by `Prior.connect`;
  they use it but do not own it, so it is saved and trained once.
- Three log densities per draw, and nothing else, make every likelihood figure:
  log p(x | z) (the likelihood term), log p(z) (the prior) and log q(z | x) (`log_normal`).
  `VAE.log_importance_weights` combines them; the IWAE objective, the IWAE scorer and the
  Monte-Carlo KL all read them, and none writes a density of its own.
- The KL term asks the prior: `Prior.kl` is analytic where the prior has a closed form (the
  standard normal) and the Monte-Carlo estimate log q(z | x) - log p(z) on the decoded draw
  otherwise. Terms that need the KL per latent dimension (free bits, beta-TC's dimension-wise
  KL) require a factorised prior (`Prior.factorised`) and say so at construction.

How the hierarchical and conditional VAEs extend it (`keras_vae.models.hierarchical`,
`keras_vae.models.conditioning`):
- A hierarchy q(z2 | x) q(z1 | x, z2), p(z1 | z2) p(z2) keeps the three densities, each now a
  sum over its layers: the lower layers' log q(z1 | x, z2) - log p(z1 | z2) is computed by the
  model beside the decoded draw (`VAEOutputs.lower_kl`), subtracted from the importance
  weights and added to the `kl` term. The registered prior is always the top layer's; `sample`
  draws the top layer and each layer below from its conditional prior; `encode` and the latent
  plots show the top layer. A third layer adds one more pair of networks.
- A conditional VAE passes its labels beside the images and z: the networks see (x, y) and
  (z, y), y one-hot as extra image channels and extra code units, so every architecture
  becomes conditional unchanged. Its prior p(z) does not depend on y; a prior that passes
  inputs of its own through the encoder (the VampPrior) would need labels for them, and is
  refused.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

# Bounds of the encoder's log-variance. Outside them exp() of it under- or overflows in the KL
# and the reparameterisation (float32, and sooner in bfloat16); no useful posterior is there.
LOG_VAR_RANGE = (-20.0, 20.0)
_LOG_2PI = math.log(2.0 * math.pi)


def gaussian_posterior(encoded: Sequence[Any]) -> tuple[Any, Any]:
    """Returns an encoder's `(z_mean, z_log_var)` in float32, the log-variance clipped to
    `LOG_VAR_RANGE` (under mixed precision the encoder computes in a lower precision)."""
    z_mean, z_log_var = (ops.cast(t, "float32") for t in encoded)
    return z_mean, ops.clip(z_log_var, *LOG_VAR_RANGE)


def log_normal(z: Any, mean: Any, log_var: Any) -> Any:
    """Returns log N(z; mean, exp(log_var)) summed over the last axis (diagonal covariance)."""
    return ops.sum(log_normal_per_dimension(z, mean, log_var), axis=-1)


def log_normal_components(z: Any, means: Any, log_vars: Any) -> Any:
    """Returns log N(z; means[k], exp(log_vars[k])) under each of K diagonal Gaussians.

    Args:
        z: (..., D) draws, any leading axes.
        means, log_vars: (K, D) the components.

    Returns:
        (..., K) log densities.
    """
    latent_dim = z.shape[-1]
    rows = ops.transpose(ops.reshape(z, (-1, latent_dim)))  # (D, N)
    centres, precisions = ops.transpose(means), ops.transpose(ops.exp(-log_vars))  # (D, K)

    def add_dimension(d, total):
        return total + ops.square(ops.expand_dims(rows[d], -1) - centres[d]) * precisions[d]

    # Summed one dimension at a time, so that no (N, K, D) tensor is built: for the IWAE
    # scorer's 10,000 draws against 500 VampPrior components that is 6x faster on XLA's CPU.
    squares = ops.fori_loop(1, latent_dim, add_dimension, add_dimension(0, 0.0))  # (N, K)
    log_density = -0.5 * (latent_dim * _LOG_2PI + ops.sum(log_vars, axis=-1) + squares)
    return ops.reshape(log_density, (*ops.shape(z)[:-1], ops.shape(means)[0]))


def log_normal_per_dimension(z: Any, mean: Any, log_var: Any) -> Any:
    """Returns log N(z_d; mean_d, exp(log_var_d)) for each dimension d (broadcasting)."""
    return -0.5 * (_LOG_2PI + log_var + ops.square(z - mean) * ops.exp(-log_var))


def decode_draws(decoder: keras.Model, z: Any, training: bool = False) -> Any:
    """Returns `decoder`'s float32 parameters for z (batch, latent) or z (draws, batch,
    latent), with z's leading axes; `z` may be a list, one tensor per decoder input."""
    # Under a mixed-precision policy the networks compute in bfloat16/float16; the loss terms
    # always take float32, where their sums over pixels keep their precision.
    first = z[0] if isinstance(z, (list, tuple)) else z
    if len(first.shape) == 2:
        return ops.cast(decoder(z, training=training), "float32")
    flat = keras.tree.map_structure(lambda t: ops.reshape(t, (-1, t.shape[-1])), z)
    flat = decoder(flat, training=training)
    return ops.cast(ops.reshape(flat, (*ops.shape(first)[:-1], *flat.shape[1:])), "float32")
