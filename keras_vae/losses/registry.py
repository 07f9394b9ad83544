"""The loss registry's functions: the bound methods of `get_registry("loss")`."""

from keras_vae.registry import get_registry

_LOSSES = get_registry("loss")

register_loss = _LOSSES.register
get_loss = _LOSSES.get
list_losses = _LOSSES.names
resolve_loss = _LOSSES.resolve
