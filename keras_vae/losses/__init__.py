"""Loss terms of the negative ELBO, and their registry. Names load on first use, and the
registry imports the built-in terms on first lookup (`keras_vae.lazy_imports`)."""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = [
    "MMD",
    "Bernoulli",
    "BetaTC",
    "ContinuousBernoulli",
    "DiscretizedGaussian",
    "DiscretizedLogistic",
    "DiscretizedLogisticMixture",
    "Gaussian",
    "GaussianKL",
    "Laplace",
    "Likelihood",
    "LossTerm",
    "Normal",
    "PixelCNN",
    "VAEOutputs",
    "get_loss",
    "kl_divergence",
    "list_losses",
    "register_loss",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "MMD": ".mmd",
        "Bernoulli": ".likelihoods",
        "BetaTC": ".beta_tc",
        "ContinuousBernoulli": ".likelihoods",
        "DiscretizedGaussian": ".discretized",
        "DiscretizedLogistic": ".discretized",
        "DiscretizedLogisticMixture": ".discretized",
        "Gaussian": ".likelihoods",
        "GaussianKL": ".kl",
        "Laplace": ".likelihoods",
        "Likelihood": ".likelihoods",
        "LossTerm": ".base",
        "Normal": ".likelihoods",
        "PixelCNN": ".pixelcnn",
        "VAEOutputs": ".base",
        "get_loss": ".registry",
        "kl_divergence": ".kl",
        "list_losses": ".registry",
        "register_loss": ".registry",
    },
    submodules=(
        "base",
        "beta_tc",
        "discretized",
        "kl",
        "likelihoods",
        "mmd",
        "pixelcnn",
        "registry",
    ),
)

if TYPE_CHECKING:
    from keras_vae.losses.base import LossTerm, VAEOutputs
    from keras_vae.losses.beta_tc import BetaTC
    from keras_vae.losses.discretized import (
        DiscretizedGaussian,
        DiscretizedLogistic,
        DiscretizedLogisticMixture,
    )
    from keras_vae.losses.kl import GaussianKL, kl_divergence
    from keras_vae.losses.likelihoods import (
        Bernoulli,
        ContinuousBernoulli,
        Gaussian,
        Laplace,
        Likelihood,
        Normal,
    )
    from keras_vae.losses.mmd import MMD
    from keras_vae.losses.pixelcnn import PixelCNN
    from keras_vae.losses.registry import get_loss, list_losses, register_loss
