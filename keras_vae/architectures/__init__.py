"""Encoder/decoder architectures and their registry."""

# Importing the built-ins registers them.
from keras_vae.architectures import conv, dense, resnet  # noqa: F401
from keras_vae.architectures.registry import (
    get_architecture,
    list_architectures,
    register_architecture,
)

__all__ = ["get_architecture", "list_architectures", "register_architecture"]
