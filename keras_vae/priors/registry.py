"""The prior registry's functions: the bound methods of `get_registry("prior")`."""

from keras_vae.registry import get_registry

_PRIORS = get_registry("prior")

register_prior = _PRIORS.register
get_prior = _PRIORS.get
list_priors = _PRIORS.names
resolve_prior = _PRIORS.resolve
