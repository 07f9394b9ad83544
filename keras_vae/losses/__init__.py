"""Loss terms of the negative ELBO, and their registry."""

from keras_vae.losses.base import LossTerm, VAEOutputs
from keras_vae.losses.kl import GaussianKL, kl_divergence
from keras_vae.losses.likelihoods import (
    Bernoulli,
    ContinuousBernoulli,
    Gaussian,
    Laplace,
    Likelihood,
)
from keras_vae.losses.registry import get_loss, list_losses, register_loss

__all__ = [
    "Bernoulli",
    "ContinuousBernoulli",
    "Gaussian",
    "GaussianKL",
    "Laplace",
    "Likelihood",
    "LossTerm",
    "VAEOutputs",
    "get_loss",
    "kl_divergence",
    "list_losses",
    "register_loss",
]
