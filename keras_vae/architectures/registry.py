"""The architecture registry's functions: the bound methods of `get_registry("architecture")`.

An architecture is a factory `f(input_shape, latent_dim, **kwargs) -> (encoder, decoder)`:
the encoder maps images (H, W, C) to `[z_mean, z_log_var]`, each (latent_dim,); the decoder maps
(latent_dim,) to one unconstrained likelihood parameter per pixel, (H, W, C). A hierarchical
architecture returns `keras_vae.architectures.networks.HierarchicalNetworks` instead (`hvae`).
"""

from keras_vae.registry import get_registry

_ARCHITECTURES = get_registry("architecture")

register_architecture = _ARCHITECTURES.register
get_architecture = _ARCHITECTURES.get
list_architectures = _ARCHITECTURES.names
