"""The architecture registry: `register_architecture`, `get_architecture`, `list_architectures`.

An architecture is a factory `f(input_shape, latent_dim, **kwargs) -> (encoder, decoder)`:
the encoder maps images (H, W, C) to `[z_mean, z_log_var]`, each (latent_dim,); the decoder maps
(latent_dim,) to one unconstrained likelihood parameter per pixel, (H, W, C). A hierarchical
architecture returns `keras_vae.hierarchical.HierarchicalNetworks` instead (`hvae`).
"""

from __future__ import annotations

from collections.abc import Callable

from keras_vae.registry import Registry

_ARCHITECTURES = Registry(
    "architecture",
    group="keras_vae.architectures",
    builtins={
        "conv": "keras_vae.architectures.conv:conv",
        "dense": "keras_vae.architectures.dense:dense",
        "gated_dense": "keras_vae.architectures.gated_dense:gated_dense",
        "hvae": "keras_vae.architectures.hvae:hvae",
        "resnet": "keras_vae.architectures.resnet:resnet",
    },
)


def register_architecture(name: str) -> Callable[[Callable], Callable]:
    """Registers an encoder/decoder factory under `name`.

    Example:
        >>> @register_architecture("tiny")
        ... def tiny(input_shape, latent_dim):
        ...     return encoder, decoder
    """
    return _ARCHITECTURES.register(name)


def get_architecture(name: str) -> Callable:
    """Returns the factory registered as `name`."""
    return _ARCHITECTURES.get(name)


def list_architectures(pattern: str = "*") -> list[str]:
    """Returns the registered architecture names matching `pattern`, plugins included."""
    return _ARCHITECTURES.names(pattern)
