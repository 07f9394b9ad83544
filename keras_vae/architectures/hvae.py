"""`hvae`: Tomczak & Welling's (2018) two-stochastic-layer gated MLP, any number of layers.

q(z_L | x) and p(z_l | z_l+1) are gated MLPs like `gated_dense`'s encoder; q(z_l | x, z_l+1)
and p(x | z_1..z_L) give each input its own gated layer and join them in one more, as in the
paper's code (github.com/jmtomczak/vae_vampprior, models/HVAE_2level.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from keras_vae.architectures.blocks import as_tuple, check_shapes
from keras_vae.architectures.gated import GatedDense, clipped_gaussian_head
from keras_vae.architectures.networks import HierarchicalNetworks


def hvae(
    input_shape: Sequence[int],
    latent_dim: int,
    hidden_units: int | Sequence[int] = (300, 300),
    latent_layers: int = 2,
    log_var_range: tuple[float, float] = (-6.0, 2.0),
) -> HierarchicalNetworks:
    """Builds the networks of a hierarchical VAE of gated MLPs.

    Args:
        input_shape: (height, width, channels) of the images.
        latent_dim: size of each latent layer (40 in the paper).
        hidden_units: widths of the gated layers of q(z_L | x) and of each p(z_l | z_l+1);
            the joining networks use the last width.
        latent_layers: number of stochastic layers, at least 2.
        log_var_range: bounds of every Gaussian's log-variance.

    Returns:
        `HierarchicalNetworks` for `HierarchicalVAE`.
    """
    shape = check_shapes(input_shape, latent_dim)
    widths = as_tuple(hidden_units, "hidden_units")
    if not isinstance(latent_layers, int) or latent_layers < 2:
        raise ValueError(
            f"latent_layers must be an int >= 2, got {latent_layers!r}; for one layer use the "
            "gated_dense architecture."
        )
    width = widths[-1]

    def gaussian(features, name):
        return clipped_gaussian_head(features, latent_dim, log_var_range, name)

    def mlp(inputs, name, model_name):
        h = layers.Flatten()(inputs) if len(inputs.shape) > 2 else inputs
        for w in widths:
            h = GatedDense(w)(h)
        return keras.Model(inputs, gaussian(h, name), name=model_name)

    def joined(branches):
        h = [GatedDense(width)(branch) for branch in branches]
        return GatedDense(width)(layers.Concatenate()(h))

    encoder = mlp(keras.Input(shape), f"q_z{latent_layers}", "encoder")

    inference, generative = [], []
    for layer in range(latent_layers - 1, 0, -1):  # z_L-1 .. z_1
        x_in, above = keras.Input(shape), keras.Input((latent_dim,))
        features = joined([layers.Flatten()(x_in), above])
        inference.append(
            keras.Model([x_in, above], gaussian(features, f"q_z{layer}"), name=f"q_z{layer}")
        )
        generative.append(mlp(keras.Input((latent_dim,)), f"p_z{layer}", f"p_z{layer}"))

    codes = [keras.Input((latent_dim,), name=f"z{layer}") for layer in range(latent_layers, 0, -1)]
    h = layers.Dense(math.prod(shape))(joined(codes))
    decoder = keras.Model(codes, layers.Reshape(shape)(h), name="decoder")
    return HierarchicalNetworks(encoder, decoder, tuple(inference), tuple(generative))
