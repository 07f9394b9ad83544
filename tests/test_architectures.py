"""Every registered architecture builds for any image shape and latent size, with clear errors."""

import keras
import numpy as np
import pytest

import keras_vae
from tests.helpers import to_numpy

SHAPES = [(28, 28, 1), (32, 32, 3), (13, 9, 2)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", ["dense", "conv", "resnet"])
def test_builtin_architecture_fits_any_image_shape(name, shape):
    encoder, decoder = keras_vae.get_architecture(name)(shape, 7)
    x = np.random.default_rng(0).uniform(size=(2, *shape)).astype("float32")
    z_mean, z_log_var = encoder(x)
    assert z_mean.shape == (2, 7) and z_log_var.shape == (2, 7)
    assert decoder(z_mean).shape == (2, *shape)


@pytest.mark.parametrize(
    "name, kwargs, layer_type, widths",
    [
        ("dense", {"hidden_units": (40, 30, 20)}, keras.layers.Dense, [40, 30, 20]),
        ("conv", {"filters": (4, 8, 12), "dense_units": 0}, keras.layers.Conv2D, [4, 8, 12]),
        ("resnet", {"filters": (4, 6), "blocks_per_stage": 0}, keras.layers.Conv2D, [4, 6]),
    ],
)
def test_widths_and_depths_are_keyword_arguments(name, kwargs, layer_type, widths):
    encoder, _ = keras_vae.get_architecture(name)((28, 28, 1), 3, **kwargs)
    hidden = [
        layer
        for layer in encoder.layers
        if type(layer) is layer_type and layer.name not in ("z_mean", "z_log_var")
    ]
    assert [getattr(layer, "units", None) or layer.filters for layer in hidden] == widths


def test_resnet_blocks_are_residual():
    encoder, decoder = keras_vae.get_architecture("resnet")((28, 28, 1), 3, blocks_per_stage=2)
    adds = [
        layer for layer in encoder.layers + decoder.layers if isinstance(layer, keras.layers.Add)
    ]
    assert len(adds) == 2 * 2 * 2  # two stages, two blocks, encoder and decoder


@pytest.mark.parametrize("name", keras_vae.list_architectures())
def test_every_registered_architecture_round_trips_through_a_keras_file(tmp_path, name):
    vae = keras_vae.build_vae(name, input_shape=(16, 16, 1), latent_dim=2, seed=0)
    vae.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    x = np.random.default_rng(0).uniform(size=(3, 16, 16, 1)).astype("float32")
    np.testing.assert_array_equal(to_numpy(loaded.reconstruct(x)), to_numpy(vae.reconstruct(x)))


@pytest.mark.parametrize(
    "args, message",
    [
        (((28, 28), 4), "input_shape must be"),
        (((28, 28, 1), 0), "latent_dim must be an int >= 1"),
        (((28, 28, 1), 4, (0, 3)), "must be positive ints"),
    ],
)
def test_bad_architecture_arguments_name_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        keras_vae.get_architecture("dense")(*args)
