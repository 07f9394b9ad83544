"""The conv and resnet networks' up- and down-sampling choices, and the XLA flags for JAX."""

import dataclasses
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_vae
from keras_vae.architectures.resampling import (
    DOWNSAMPLING,
    UPSAMPLING,
    DepthToSpace,
    SpaceToDepth,
    upsample,
)
from keras_vae.backend.xla_flags import FLAGS, merged_xla_flags
from keras_vae.training import TrainingConfig
from keras_vae.training.config import option_of
from tests.helpers import backend_env, synthetic_images, to_numpy

CHOICES = [
    ("transpose", "strided"),
    ("pixel_shuffle", "strided"),
    ("pixel_shuffle", "space_to_depth"),
    ("transpose", "space_to_depth"),
]


def _depth_to_space_reference(x, f):
    """Output pixel (f*i + dy, f*j + dx) channel c is input pixel (i, j) channel
    (dy * f + dx) * C + c: TensorFlow's depth_to_space, written as loops."""
    b, h, w, depth = x.shape
    c = depth // (f * f)
    out = np.zeros((b, h * f, w * f, c), x.dtype)
    for i in range(h):
        for j in range(w):
            for dy in range(f):
                for dx in range(f):
                    start = (dy * f + dx) * c
                    out[:, f * i + dy, f * j + dx] = x[:, i, j, start : start + c]
    return out


def test_depth_to_space_moves_channels_into_blocks_as_tensorflow_does():
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 12)).astype("float32")
    got = to_numpy(DepthToSpace(2)(x))
    np.testing.assert_array_equal(got, _depth_to_space_reference(x, 2))


@pytest.mark.parametrize("shape", [(2, 6, 8, 3), (2, 7, 9, 3)], ids=["even", "odd"])
def test_space_to_depth_is_the_inverse_of_depth_to_space(shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    packed = SpaceToDepth(2)(x)
    assert tuple(packed.shape) == (2, -(-shape[1] // 2), -(-shape[2] // 2), 12)
    assert SpaceToDepth(2).compute_output_shape((None, *shape[1:])) == (None, *packed.shape[1:])
    unpacked = to_numpy(DepthToSpace(2)(packed))
    np.testing.assert_array_equal(unpacked[:, : shape[1], : shape[2]], x)
    np.testing.assert_array_equal(unpacked[:, shape[1] :], 0.0)  # the padding row, if any


@pytest.mark.parametrize("upsampling, downsampling", CHOICES)
@pytest.mark.parametrize("name", ["conv", "resnet"])
@pytest.mark.parametrize("shape", [(28, 28, 1), (13, 9, 2)], ids=["28x28x1", "13x9x2"])
def test_every_resampling_choice_builds_for_any_image_shape(name, shape, upsampling, downsampling):
    encoder, decoder = keras_vae.get_architecture(name)(
        shape, 5, upsampling=upsampling, downsampling=downsampling
    )
    x = np.random.default_rng(0).uniform(size=(2, *shape)).astype("float32")
    z_mean, _ = encoder(x)
    assert decoder(z_mean).shape == (2, *shape)
    layers = encoder.layers + decoder.layers
    assert any(isinstance(layer, DepthToSpace) for layer in layers) == (
        upsampling == "pixel_shuffle"
    )
    assert any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in layers) == (
        upsampling == "transpose"
    )
    assert any(isinstance(layer, SpaceToDepth) for layer in layers) == (
        downsampling == "space_to_depth"
    )


@pytest.mark.parametrize("name", ["conv", "resnet"])
def test_the_default_upsampling_is_the_faster_one_on_this_backend(name):
    # Measured (README "Speed"): sub-pixel convolutions on JAX, transposed ones elsewhere.
    expected = DepthToSpace if keras.backend.backend() == "jax" else keras.layers.Conv2DTranspose
    _, decoder = keras_vae.get_architecture(name)((28, 28, 1), 5)
    kinds = {type(layer) for layer in decoder.layers}
    assert expected in kinds
    assert not kinds & ({DepthToSpace, keras.layers.Conv2DTranspose} - {expected})
    assert TrainingConfig(architecture=name).architecture_kwargs() == {}  # the network decides


@pytest.mark.parametrize("name", ["conv", "resnet"])
def test_a_pixel_shuffle_model_learns_and_round_trips_through_a_keras_file(tmp_path, name):
    x = synthetic_images(128)
    vae = keras_vae.build_vae(
        name,
        input_shape=(28, 28, 1),
        latent_dim=4,
        filters=(8, 16),
        upsampling="pixel_shuffle",
        downsampling="space_to_depth",
        seed=0,
    )
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(x, epochs=6, batch_size=32, verbose=0).history["loss"]
    assert history[-1] < 0.9 * history[0]
    vae.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(
        to_numpy(loaded.reconstruct(x[:4])), to_numpy(vae.reconstruct(x[:4])), atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"upsampling": "nearest"}, "upsampling must be one of"),
        ({"downsampling": "pool"}, "downsampling must be one of"),
    ],
)
@pytest.mark.parametrize("name", ["conv", "resnet"])
def test_an_unknown_resampling_names_the_choices(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras_vae.get_architecture(name)((28, 28, 1), 3, **kwargs)


def test_the_resampling_options_do_not_apply_to_dense():
    config = TrainingConfig(architecture="dense", upsampling="pixel_shuffle")
    with pytest.raises(ValueError, match="--upsampling does not apply to the dense"):
        config.architecture_kwargs()
    config = TrainingConfig(architecture="conv", upsampling="pixel_shuffle")
    assert config.architecture_kwargs() == {"upsampling": "pixel_shuffle"}


def test_merged_xla_flags_keep_the_users_own_values():
    flags = {"xla_a": "1", "xla_b": "x"}
    assert merged_xla_flags("", flags) == "--xla_a=1 --xla_b=x"
    assert merged_xla_flags("--xla_b=y --other", flags) == "--xla_b=y --other --xla_a=1"
    assert merged_xla_flags(" --xla_a ", flags) == "--xla_a --xla_b=x"


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="XLA flags are JAX's")
@pytest.mark.parametrize(
    "user, opt_out, want",
    [
        ("", None, " ".join(f"--{k}={v}" for k, v in FLAGS.items())),
        (
            "--xla_dump_to=/tmp/x",
            None,
            "--xla_dump_to=/tmp/x " + " ".join(f"--{k}={v}" for k, v in FLAGS.items()),
        ),  # fmt: skip
        ("--xla_dump_to=/tmp/x", "0", "--xla_dump_to=/tmp/x"),
    ],
)
def test_jax_runs_start_with_the_flags_merged_into_xla_flags(user, opt_out, want):
    env = backend_env(XLA_FLAGS=user)
    env.pop("KERAS_VAE_XLA_FLAGS", None)
    if opt_out is not None:
        env["KERAS_VAE_XLA_FLAGS"] = opt_out
    code = "import os, keras_vae.models.vae; print(os.environ.get('XLA_FLAGS', ''))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == want


def test_pixel_shuffle_computes_what_a_transposed_convolution_computes():
    # Output pixel o of a stride-2 'same' 3x3 transposed convolution adds input i through
    # kernel tap o - 2i (checked against Keras's own layer below); the pixel shuffle's phase
    # (py, px) reads inputs (m - 1 + dy, n - 1 + dx), so its tap (dy, dx) is the transposed
    # kernel's (py + 2 - 2 dy, px + 2 - 2 dx) where that lies in 0..2.
    rng = np.random.default_rng(0)
    c_in, c_out = 3, 2
    x = rng.normal(size=(2, 5, 4, c_in)).astype("float32")
    transposed = keras.layers.Conv2DTranspose(c_out, 3, strides=2, padding="same")
    transposed.build(x.shape)
    kernel = rng.normal(size=(3, 3, c_out, c_in)).astype("float32")
    bias = rng.normal(size=c_out).astype("float32")
    transposed.set_weights([kernel, bias])

    images = keras.Input(x.shape[1:])
    shuffle = keras.Model(images, upsample(images, c_out, 3, "pixel_shuffle"))
    conv = next(layer for layer in shuffle.layers if isinstance(layer, keras.layers.Conv2D))
    sub_pixel = np.zeros((2, 2, c_in, 4 * c_out), "float32")
    for py, px, dy, dx in np.ndindex(2, 2, 2, 2):
        ky, kx = py + 2 - 2 * dy, px + 2 - 2 * dx
        if ky <= 2 and kx <= 2:
            phase = (py * 2 + px) * c_out
            sub_pixel[dy, dx, :, phase : phase + c_out] = kernel[ky, kx].T
    conv.set_weights([sub_pixel, np.tile(bias, 4)])
    np.testing.assert_allclose(to_numpy(shuffle(x)), to_numpy(transposed(x)), rtol=1e-5, atol=1e-5)


def test_the_train_options_offer_the_architectures_choices():
    # config.py spells the choices out so that `keras-vae train --help` loads no backend.
    fields = {f.name: option_of(f) for f in dataclasses.fields(TrainingConfig)}
    assert fields["upsampling"].choices == (None, *UPSAMPLING)
    assert fields["downsampling"].choices == (None, *DOWNSAMPLING)
