"""What an architecture factory returns: `(encoder, decoder)` for a VAE, or
`HierarchicalNetworks` for a `keras_vae.models.HierarchicalVAE`."""

from __future__ import annotations

from dataclasses import dataclass

import keras


@dataclass(frozen=True)
class HierarchicalNetworks:
    """The networks of a hierarchical VAE, as an architecture factory returns them.

    Attributes:
        encoder: q(z_L | x): images -> [mean, log_var] of the top layer.
        decoder: p(x | z_1..z_L): the list [z_L, ..., z_1] (top first) -> likelihood parameters.
        inference_networks: q(z_l | x, z_l+1) for l = L-1 .. 1, top first: [images, z_l+1] ->
            [mean, log_var] of z_l.
        generative_networks: p(z_l | z_l+1) for l = L-1 .. 1, top first: z_l+1 -> [mean,
            log_var] of z_l.
    """

    encoder: keras.Model
    decoder: keras.Model
    inference_networks: tuple[keras.Model, ...]
    generative_networks: tuple[keras.Model, ...]
