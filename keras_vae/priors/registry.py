"""The prior registry: `register_prior`, `get_prior`, `list_priors`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from keras_vae.registry import Registry

if TYPE_CHECKING:
    from keras_vae.priors.base import Prior

_PRIORS = Registry(
    "prior",
    group="keras_vae.priors",
    builtins={
        "mixture_of_gaussians": "keras_vae.priors.mixture:MixtureOfGaussians",
        "standard_normal": "keras_vae.priors.standard_normal:StandardNormal",
        "vamp": "keras_vae.priors.vamp:VampPrior",
    },
)


def register_prior(name: str, package: str | None = None) -> Callable[[type], type]:
    """Registers a `Prior` subclass under `name` and as a Keras serializable.

    Args:
        name: the name `VAE(prior=...)` and `keras-vae train --prior` accept.
        package: the Keras serialization package; defaults to the class's top-level module.
    """
    return _PRIORS.register_serializable(name, package)


def get_prior(name: str) -> type:
    """Returns the prior class registered as `name`."""
    return _PRIORS.get(name)


def list_priors(pattern: str = "*") -> list[str]:
    """Returns the registered prior names matching `pattern`, plugins included."""
    return _PRIORS.names(pattern)


def resolve_prior(prior: str | dict | Prior) -> Prior:
    """Returns `prior` as a `Prior` instance: a registered name, a Keras config, or a Prior."""
    from keras_vae.priors.base import Prior

    return _PRIORS.resolve(prior, Prior)
