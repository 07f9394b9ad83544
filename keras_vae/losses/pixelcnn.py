"""`pixelcnn`: an autoregressive likelihood over 8-bit values, the decoder's output as its
condition (van den Oord et al.'s PixelCNN as the decoder of a VAE: Gulrajani et al.'s PixelVAE,
Tomczak & Welling's PixelHVAE).

The discretised likelihoods of `discretized.py` draw every pixel independently given z, so all
the structure z leaves out (edges, flat areas) is paid for pixel by pixel. Here pixel (i, j) is
also conditioned on the pixels before it in raster order: a masked convolution of the image
(its centre left out), added to the decoder's features at each pixel, then residual masked
convolutions (their centre kept, so nothing reaches a pixel from itself or from later pixels)
give the parameters of each pixel's distribution: PixelCNN++'s logistic mixture over 8-bit
values, whose coefficients couple a pixel's channels (red, then green, then blue), or a
Bernoulli per channel for binary images (`pixels="bernoulli"`: Tomczak & Welling's PixelHVAE
on binarised MNIST). The masks are the plain raster ones: each layer's 3x3
window misses a few pixels up and to the right (PixelCNN's blind spot), which only narrows what
a pixel is conditioned on; the likelihood stays normalised.

The likelihood holds weights: it is a Keras layer that the model builds for its image shape
(`connect`) and saves with its networks.
"""

from __future__ import annotations

from typing import Literal

import keras
import numpy as np
from keras import layers, ops

from keras_vae.losses.discretized import DiscretizedLogisticMixture
from keras_vae.losses.likelihoods import Likelihood


@keras.saving.register_keras_serializable(package="keras_vae")
class MaskedConv2D(layers.Conv2D):
    """A 'same'-padded convolution that sees only the pixels before the centre in raster order
    (the rows above, and the centre row left of it), and the centre itself if `include_centre`.

    Args:
        filters, kernel_size: as Conv2D's; the kernel is square and of odd size.
        include_centre: whether the output at a pixel reads that pixel (PixelCNN's mask B);
            False for the first layer over the image (mask A).
    """

    def __init__(self, filters: int, kernel_size: int, include_centre: bool, **kwargs) -> None:
        kwargs.pop("padding", None)
        super().__init__(filters, kernel_size, padding="same", **kwargs)
        # Keras keeps the size as a pair, which is also how a config gives it back.
        height, width = self.kernel_size
        if height != width or height % 2 != 1:
            raise ValueError(
                f"a masked convolution needs an odd, square kernel; got {kernel_size}."
            )
        self.include_centre = bool(include_centre)

    def build(self, input_shape):
        super().build(input_shape)
        size = self.kernel_size[0]
        mask = np.zeros((size, size), "float32")
        mask[: size // 2] = 1.0
        mask[size // 2, : size // 2 + int(self.include_centre)] = 1.0
        self._mask = mask[:, :, None, None]

    def convolution_op(self, inputs, kernel):
        return super().convolution_op(inputs, kernel * ops.cast(self._mask, kernel.dtype))

    def get_config(self):
        config = super().get_config()
        config.pop("padding", None)
        return {**config, "include_centre": self.include_centre}


class BernoulliPixels:
    """Each channel of a pixel 0 or 1, a Bernoulli from its logit given the pixels before it
    (the channels of one pixel independent of each other given those)."""

    def param_channels(self, channels: int) -> int:
        return channels

    def log_prob(self, x, logits):
        """Returns log p(pixel) over all its channels: (batch, H, W)."""
        return ops.sum(x * logits - ops.softplus(logits), axis=-1)

    def mean(self, logits):
        return ops.sigmoid(logits)

    def noise(self, shape, channels: int, seed=None):
        """Returns the uniform draws (*shape, C) that `draw` turns into pixels of `shape`."""
        return keras.random.uniform((*shape, channels), seed=seed)

    def draw(self, logits, uniforms):
        """Returns the pixels, 0 or 1, that `uniforms` (from `noise`) pick."""
        return ops.cast(ops.convert_to_tensor(uniforms) < ops.sigmoid(logits), "float32")


# What `PixelCNN(pixels=...)` models each pixel with, given the pixels before it.
PIXEL_DISTRIBUTIONS = ("logistic_mixture", "bernoulli")


@keras.saving.register_keras_serializable(package="keras_vae")
class PixelCNN(Likelihood, layers.Layer):
    """A PixelCNN over 8-bit (or binary) values, conditioned at each pixel on the decoder's
    features.

    log p(x | z) = sum over pixels of log p(x_ij | x_<ij, z): a `components`-component
    discretised logistic mixture per pixel (as `discretized_logistic_mixture`), or a Bernoulli
    per channel, its parameters from the masked network. The decoder gives `filters` features
    per pixel.

    Args:
        components: K, the mixture's components (`pixels="logistic_mixture"`).
        filters: the network's width, and the decoder's features per pixel.
        residual_layers: masked 3x3 residual layers after the first, 7x7 one; with n of them a
            pixel reads 3 + n rows above it.
        pixels: "logistic_mixture" (8-bit values, scored in bits/dim) or "bernoulli" (binary
            pixels, as the `bernoulli` likelihood scores them).
    """

    support = (0.0, 1.0)
    autoregressive = True

    def __init__(
        self,
        components: int = 10,
        filters: int = 64,
        residual_layers: int = 4,
        pixels: Literal["logistic_mixture", "bernoulli"] = "logistic_mixture",
        **kwargs,
    ) -> None:
        kwargs.pop("name", None)  # the metric's name is the layer's: always `reconstruction`
        layers.Layer.__init__(self, name=Likelihood.name, **kwargs)
        for option, value, least in (
            ("filters", filters, 1),
            ("residual_layers", residual_layers, 0),
        ):
            if not isinstance(value, int) or value < least:
                raise ValueError(f"{option} must be an int >= {least}, got {value!r}.")
        if pixels not in PIXEL_DISTRIBUTIONS:
            raise ValueError(
                f"pixels must be one of {', '.join(PIXEL_DISTRIBUTIONS)}, got {pixels!r}."
            )
        # The mixture checks `components` even where the pixels are Bernoulli, so that a
        # config reads the same either way.
        mixture = DiscretizedLogisticMixture(components)
        self.distribution = mixture if pixels == "logistic_mixture" else BernoulliPixels()
        self.components, self.filters, self.residual_layers = components, filters, residual_layers
        self.pixels = pixels
        self.image_shape: tuple[int, int, int] | None = None

    @property
    def discrete(self) -> bool:
        """Whether log_prob is a mass over 8-bit values (bits/dim): the mixture's pixels."""
        return self.pixels == "logistic_mixture"

    def param_channels(self, channels: int) -> int:
        return self.filters

    def values_per_pixel_scored(self, channels: int) -> int:
        # The masked network's features: the first layer's and the condition's, then three
        # tensors per residual layer (activation, convolution, sum); the pixel distribution's
        # parameters and its log-probabilities.
        pixel = self.distribution.param_channels(channels)
        return self.filters * (2 + 3 * self.residual_layers) + 2 * pixel

    def connect(self, image_shape) -> None:
        """Builds the network for images of `image_shape` (H, W, C)."""
        height, width, channels = (int(d) for d in image_shape)
        self.image_shape = (height, width, channels)
        if self.built:
            return
        self.image_conv = MaskedConv2D(self.filters, 7, include_centre=False, name="image")
        self.condition = layers.Dense(self.filters, name="condition")
        self.residual = [
            MaskedConv2D(self.filters, 3, include_centre=True, name=f"residual_{i}")
            for i in range(self.residual_layers)
        ]
        # "mixture" whatever the pixels: the name saved models hold the weights under.
        self.head = layers.Dense(self.distribution.param_channels(channels), name="mixture")
        self.image_conv.build((None, height, width, channels))
        self.condition.build((None, height, width, self.filters))
        for layer in self.residual:
            layer.build((None, height, width, self.filters))
        self.head.build((None, height, width, self.filters))
        self.built = True

    def get_build_config(self) -> None:
        # Built by `connect`, which alone knows the image shape; not from a config.
        return None

    def _pixel_params(self, x, features):
        """Returns the pixel distribution's parameters (N, H, W, P) at each pixel from the
        pixels x (N, H, W, C) before it and the decoder's features (N, H, W, filters)."""
        h = self.image_conv(2.0 * x - 1.0) + self.condition(features)
        for layer in self.residual:
            h = h + layer(ops.elu(h))
        return ops.cast(self.head(ops.elu(h)), "float32")

    def _flat(self, params):
        """Returns the features as (N, H, W, filters) and the leading axes to restore."""
        height, width, _ = self._shape()
        lead = tuple(ops.shape(params)[:-3])
        return ops.reshape(params, (-1, height, width, self.filters)), lead

    def _shape(self):
        if self.image_shape is None:
            raise ValueError("The PixelCNN likelihood is not connected to a model yet; build "
                             "the VAE with it (build_vae or VAE), which sizes it.")  # fmt: skip
        return self.image_shape

    def log_prob(self, x, params):
        """Returns log p(x_ij | x_<ij, z) for each pixel, over all its channels: (..., H, W)."""
        features, lead = self._flat(params)
        x = ops.convert_to_tensor(x, "float32")
        if len(lead) > 1:  # posterior draws over a batch: every draw sees the same images
            x = ops.broadcast_to(x, (*lead, *self._shape()))
        x = ops.reshape(x, (-1, *self._shape()))
        log_prob = self.distribution.log_prob(x, self._pixel_params(x, features))
        return ops.reshape(log_prob, (*lead, *self._shape()[:2]))

    def image(self, params, seed=None):
        """Returns `sample(params, seed)`: the greedy fill of `mean` copies the background from
        pixel to pixel, where a draw shows what the model has learnt."""
        return self.sample(params, seed)

    def sample(self, params, seed=None):
        """Returns images drawn pixel by pixel in raster order, each pixel from its distribution
        given the pixels drawn before it (ancestral sampling): H x W passes of the network.

        Args:
            seed: an int, a `keras.random.SeedGenerator`, or None (a fresh draw).
        """
        features, lead = self._flat(params)
        height, width, channels = self._shape()
        # All the noise up front: the loop's body stays free of random state on every backend.
        uniforms = self.distribution.noise(
            (ops.shape(features)[0], height, width), channels, seed=seed
        )
        return self._fill(features, lead, lambda p: self.distribution.draw(p, uniforms))

    def mean(self, params):
        """Returns the image filled in raster order with each pixel's mean given the pixels
        filled before it (an autoregressive model's joint mean has no closed form): H x W
        passes of the network."""
        features, lead = self._flat(params)
        return self._fill(features, lead, self.distribution.mean)

    def _fill(self, features, lead, pixels_from):
        """Returns the image built in raster order: pass i sets pixel i to `pixels_from` (the
        distribution's parameters, for every pixel, given the image so far) at that pixel."""
        height, width, channels = self._shape()
        order = ops.convert_to_tensor(
            np.arange(height * width, dtype="int32").reshape(1, height, width, 1)
        )

        def fill(index, canvas):
            pixels = pixels_from(self._pixel_params(canvas, features))
            return ops.where(ops.equal(order, ops.cast(index, "int32")), pixels, canvas)

        canvas = ops.zeros((ops.shape(features)[0], height, width, channels))
        canvas = ops.fori_loop(0, height * width, fill, canvas)
        return ops.reshape(canvas, (*lead, height, width, channels))

    def get_config(self):
        config = layers.Layer.get_config(self)
        config.pop("name", None)
        return {
            **config,
            "components": self.components,
            "filters": self.filters,
            "residual_layers": self.residual_layers,
            "pixels": self.pixels,
        }
