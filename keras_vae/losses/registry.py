"""The loss-term registry: `register_loss`, `get_loss`, `list_losses`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from keras_vae.registry import Registry

if TYPE_CHECKING:
    from keras_vae.losses.base import LossTerm

_LOSSES = Registry(
    "loss",
    group="keras_vae.losses",
    builtins={
        "bernoulli": "keras_vae.losses.likelihoods:Bernoulli",
        "beta_tc": "keras_vae.losses.beta_tc:BetaTC",
        "continuous_bernoulli": "keras_vae.losses.likelihoods:ContinuousBernoulli",
        "gaussian": "keras_vae.losses.likelihoods:Gaussian",
        "kl": "keras_vae.losses.kl:GaussianKL",
        "laplace": "keras_vae.losses.likelihoods:Laplace",
        "mmd": "keras_vae.losses.mmd:MMD",
    },
)


def register_loss(name: str, package: str | None = None) -> Callable[[type], type]:
    """Registers a `LossTerm` subclass under `name` and as a Keras serializable.

    Args:
        name: the name `get_loss`, `build_vae(losses=[...])` and the CLI accept.
        package: the Keras serialization package; defaults to the class's top-level module.

    Example:
        >>> @register_loss("my_kl")
        ... class MyKL(keras_vae.losses.GaussianKL): ...
    """

    return _LOSSES.register_serializable(name, package)


def get_loss(name: str) -> type:
    """Returns the loss-term class registered as `name`."""
    return _LOSSES.get(name)


def list_losses(pattern: str = "*") -> list[str]:
    """Returns the registered loss-term names matching `pattern`, plugins included."""
    return _LOSSES.names(pattern)


def resolve_loss(loss: str | dict | LossTerm) -> LossTerm:
    """Returns `loss` as a `LossTerm` instance: a registered name, a Keras config, or a term."""
    from keras_vae.losses.base import LossTerm

    return _LOSSES.resolve(loss, LossTerm)
