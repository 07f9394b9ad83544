"""The loss-term registry: `register_loss`, `get_loss`, `list_losses`."""

from __future__ import annotations

from collections.abc import Callable

from keras_vae.registry import Registry

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

    def decorator(cls: type) -> type:
        import keras  # loaded already: `cls` is a LossTerm; importing it above would load it

        keras_package = package or cls.__module__.split(".")[0]
        cls = keras.saving.register_keras_serializable(package=keras_package)(cls)
        return _LOSSES.register(name)(cls)

    return decorator


def get_loss(name: str) -> type:
    """Returns the loss-term class registered as `name`."""
    return _LOSSES.get(name)


def list_losses(pattern: str = "*") -> list[str]:
    """Returns the registered loss-term names matching `pattern`, plugins included."""
    return _LOSSES.names(pattern)
