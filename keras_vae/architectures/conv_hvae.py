"""`conv_hvae`: Tomczak & Welling's (2018) convolutional two-stochastic-layer VAE, any number of
layers.

As in their code (github.com/jmtomczak/vae_vampprior, models/convHVAE_2level.py): q(z_L | x)
reads the image through five gated convolutions (two of them halving it) down to a few
channels, flattened; q(z_l | x, z_l+1) reads it through a second such stack and joins it with a
gated layer of z_l+1; p(z_l | z_l+1) is a gated MLP; p(x | z_1..z_L) gives each z a gated layer,
joins them in a gated layer the size of the image, reshapes that to the image and refines it
with four gated convolutions and a 1x1 convolution to the likelihood's parameters. Their
decoder is a PixelCNN in `PixelHVAE_2level`; this one is the plain convolutional decoder.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import layers

from keras_vae.architectures.blocks import as_tuple, check_shapes
from keras_vae.architectures.gated import GatedConv2D, GatedDense, clipped_gaussian_head
from keras_vae.architectures.networks import HierarchicalNetworks


def conv_hvae(
    input_shape: Sequence[int],
    latent_dim: int,
    filters: int | Sequence[int] = (32, 64),
    hidden_units: int | Sequence[int] = 300,
    latent_layers: int = 2,
    feature_channels: int = 6,
    log_var_range: tuple[float, float] = (-6.0, 2.0),
    output_channels: int | None = None,
) -> HierarchicalNetworks:
    """Builds the networks of a convolutional hierarchical VAE of gated layers.

    Args:
        input_shape: (height, width, channels) of the images.
        latent_dim: size of each latent layer (40 in the paper).
        filters: (first, second) channels of the encoders' convolutions, each width taken by
            two of them, the second of each pair halving the image; the decoder's take the
            second. The paper's (32, 64).
        hidden_units: width of the gated dense layers (300 in the paper), one int.
        latent_layers: number of stochastic layers, at least 2.
        feature_channels: channels of each encoder's last convolution, whose map is flattened
            (6 in the paper: 6 x 7 x 7 = 294 features on MNIST).
        log_var_range: bounds of every Gaussian's log-variance.
        output_channels: parameters per pixel the decoder gives; None: the image's channels
            (`build_vae` sets it from the likelihood's `param_channels`).

    Returns:
        `HierarchicalNetworks` for `HierarchicalVAE`.
    """
    shape = check_shapes(input_shape, latent_dim)
    first, second = _two(filters)
    width = as_tuple(hidden_units, "hidden_units")
    if len(width) != 1:
        raise ValueError(f"conv_hvae takes one hidden_units width, e.g. 300; got {width!r}.")
    hidden_units = width[0]
    if not isinstance(latent_layers, int) or latent_layers < 2:
        raise ValueError(
            f"latent_layers must be an int >= 2, got {latent_layers!r}; for one layer use the "
            "conv architecture."
        )

    def gaussian(features, name):
        return clipped_gaussian_head(features, latent_dim, log_var_range, name)

    def image_features(images, kernels):
        # Two convolutions of each width, the second halving the image, then a few channels.
        h = images
        widths, strides = (first, first, second, second), (1, 2, 1, 2)
        for f, kernel, stride in zip(widths, kernels, strides, strict=True):
            h = GatedConv2D(f, kernel, stride)(h)
        return layers.Flatten()(GatedConv2D(feature_channels, 3)(h))

    images = keras.Input(shape)
    encoder = keras.Model(
        images,
        gaussian(image_features(images, (7, 3, 5, 3)), f"q_z{latent_layers}"),
        name="encoder",
    )

    inference, generative = [], []
    for layer in range(latent_layers - 1, 0, -1):  # z_L-1 .. z_1
        x_in, above = keras.Input(shape), keras.Input((latent_dim,))
        from_x = image_features(x_in, (3, 3, 3, 3))
        from_above = GatedDense(from_x.shape[-1])(above)
        joined = GatedDense(hidden_units)(layers.Concatenate()([from_x, from_above]))
        inference.append(
            keras.Model([x_in, above], gaussian(joined, f"q_z{layer}"), name=f"q_z{layer}")
        )
        z_above = keras.Input((latent_dim,))
        h = GatedDense(hidden_units)(GatedDense(hidden_units)(z_above))
        generative.append(keras.Model(z_above, gaussian(h, f"p_z{layer}"), name=f"p_z{layer}"))

    codes = [keras.Input((latent_dim,), name=f"z{layer}") for layer in range(latent_layers, 0, -1)]
    joined = layers.Concatenate()([GatedDense(hidden_units)(z) for z in codes])
    h = layers.Reshape(shape)(GatedDense(math.prod(shape))(joined))
    for _ in range(4):
        h = GatedConv2D(second, 3)(h)
    params = layers.Conv2D(output_channels or shape[-1], 1)(h)
    decoder = keras.Model(codes, params, name="decoder")
    return HierarchicalNetworks(encoder, decoder, tuple(inference), tuple(generative))


def _two(filters: int | Sequence[int]) -> tuple[int, int]:
    """Returns `filters` as the (first, second) widths; one int serves as both."""
    widths = as_tuple(filters, "filters")
    if len(widths) == 1:
        return widths[0], widths[0]
    if len(widths) != 2:
        raise ValueError(f"conv_hvae takes two filter widths, e.g. (32, 64); got {widths!r}.")
    return widths
