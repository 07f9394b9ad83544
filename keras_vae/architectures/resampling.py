"""Halving and doubling a feature map's height and width: the conv and resnet networks' choices.

Up-sampling by 2 is a stride-2 transposed convolution with a k x k kernel (`"transpose"`), or a
stride-1 convolution with a ceil(k/2) x ceil(k/2) kernel to 4x the channels followed by
depth-to-space (`"pixel_shuffle"`; Shi et al. 2016, "Real-Time Single Image and Video
Super-Resolution Using an Efficient Sub-Pixel Convolutional Neural Network"), padded before
so that, for k = 3, both make output pixels (2i, 2j)..(2i+1, 2j+1) from input pixels
(i-1, j-1)..(i, j): the second then computes every map the first can, each of the four output
phases with its own 2 x 2 kernel (tests/test_resampling.py maps one onto the other). The second
is plain convolutions, which XLA's CPU backend runs several times faster than transposed ones;
on the other backends it is slower or within a few percent.
Down-sampling is a stride-2 convolution (`"strided"`), or space-to-depth followed by a
stride-1 convolution (`"space_to_depth"`).

The default up-sampling, `"auto"`, is the faster of the two on the backend that builds the
network: `pixel_shuffle` on JAX (conv 4.0-4.6x, resnet 2.6-2.8x the images/s of `transpose`
on a CPU in two runs, with test -ELBO after 10 epochs within 0.3 nats; README "Speed"),
`transpose` on TensorFlow and PyTorch (faster there, or within 6%). A saved network holds the
layers it was built with, so it loads and scores the same on every backend.
"""

from __future__ import annotations

import keras
from keras import layers, ops

UPSAMPLING = ("auto", "transpose", "pixel_shuffle")
DOWNSAMPLING = ("strided", "space_to_depth")


class _BlockRearrangement(layers.Layer):
    """Base of the layers that move f x f blocks of pixels to channels or back."""

    def __init__(self, factor: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="keras_vae")
class DepthToSpace(_BlockRearrangement):
    """(B, H, W, C * f * f) -> (B, H * f, W * f, C), as TensorFlow's `depth_to_space`: the
    channels of one input pixel fill an f x f block, row by row."""

    def call(self, x):
        f = self.factor
        _, h, w, c = x.shape
        x = ops.reshape(x, (-1, h, w, f, f, c // (f * f)))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, h * f, w * f, c // (f * f)))

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        f = self.factor
        return (b, h * f, w * f, c // (f * f))


@keras.saving.register_keras_serializable(package="keras_vae")
class SpaceToDepth(_BlockRearrangement):
    """(B, H, W, C) -> (B, ceil(H / f), ceil(W / f), C * f * f), the inverse of
    `DepthToSpace` (odd sizes are padded with zeros at the bottom and right, as a stride-2
    'same' convolution pads)."""

    def call(self, x):
        f = self.factor
        _, h, w, c = x.shape
        pad_h, pad_w = -h % f, -w % f
        if pad_h or pad_w:
            x = ops.pad(x, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)))
        h, w = (h + pad_h) // f, (w + pad_w) // f
        x = ops.reshape(x, (-1, h, f, w, f, c))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return ops.reshape(x, (-1, h, w, f * f * c))

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        f = self.factor
        return (b, -(-h // f), -(-w // f), c * f * f)


def check_resampling(upsampling: str, downsampling: str) -> None:
    """Raises a ValueError naming the choices if either is not one of them."""
    if upsampling not in UPSAMPLING:
        raise ValueError(f"upsampling must be one of {UPSAMPLING}, got {upsampling!r}.")
    if downsampling not in DOWNSAMPLING:
        raise ValueError(f"downsampling must be one of {DOWNSAMPLING}, got {downsampling!r}.")


def resolve_upsampling(how: str) -> str:
    """Returns the up-sampling `how` names: "auto" is the faster one on this Keras backend."""
    if how != "auto":
        return how
    return "pixel_shuffle" if keras.backend.backend() == "jax" else "transpose"


def upsample(x, filters: int, kernel_size: int, how: str, activation: str | None = None):
    """Returns x with twice its height and width and `filters` channels."""
    if resolve_upsampling(how) == "transpose":
        return layers.Conv2DTranspose(
            filters, kernel_size, strides=2, padding="same", activation=activation
        )(x)
    sub_pixel_kernel = (kernel_size + 1) // 2
    # Keras's "same" would pad an even kernel after the pixel, shifting the image by one.
    pad = sub_pixel_kernel - 1
    x = layers.ZeroPadding2D(((pad, 0), (pad, 0)))(x)
    x = layers.Conv2D(4 * filters, sub_pixel_kernel, activation=activation)(x)
    return DepthToSpace(2)(x)


def downsample(x, filters: int, kernel_size: int, how: str, activation: str | None = None):
    """Returns x with half its height and width (rounded up) and `filters` channels."""
    if how == "strided":
        return layers.Conv2D(
            filters, kernel_size, strides=2, padding="same", activation=activation
        )(x)
    x = SpaceToDepth(2)(x)
    return layers.Conv2D(filters, kernel_size, padding="same", activation=activation)(x)
