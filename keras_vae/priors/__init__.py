"""Priors p(z) and their registry. Names load on first use; the design of the latent interface
is in `keras_vae.latent`."""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = [
    "MixtureOfGaussians",
    "Prior",
    "StandardNormal",
    "VampPrior",
    "get_prior",
    "list_priors",
    "register_prior",
    "resolve_prior",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "MixtureOfGaussians": ".mixture",
        "Prior": ".base",
        "StandardNormal": ".standard_normal",
        "VampPrior": ".vamp",
        "get_prior": ".registry",
        "list_priors": ".registry",
        "register_prior": ".registry",
        "resolve_prior": ".registry",
    },
    submodules=("base", "mixture", "registry", "standard_normal", "vamp"),
)

if TYPE_CHECKING:
    from keras_vae.priors.base import Prior
    from keras_vae.priors.mixture import MixtureOfGaussians
    from keras_vae.priors.registry import get_prior, list_priors, register_prior, resolve_prior
    from keras_vae.priors.standard_normal import StandardNormal
    from keras_vae.priors.vamp import VampPrior
