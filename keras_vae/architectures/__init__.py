"""Encoder/decoder architectures and their registry. The built-ins (`dense`, `gated_dense`,
`conv`, `resnet`) are imported on first lookup, and so is every name below."""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = ["get_architecture", "list_architectures", "register_architecture"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {name: ".registry" for name in __all__},
    submodules=(
        "blocks",
        "conv",
        "conv_hvae",
        "dense",
        "gated_dense",
        "networks",
        "registry",
        "resampling",
        "resnet",
    ),
)

if TYPE_CHECKING:
    from keras_vae.architectures.registry import (
        get_architecture,
        list_architectures,
        register_architecture,
    )
