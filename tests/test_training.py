"""Pieces of a training run that the end-to-end example tests do not show directly."""

import numpy as np
import pytest
from scipy import special

import keras_vae
from keras_vae.training import initialize_output_bias
from tests.helpers import to_numpy


@pytest.mark.parametrize("architecture", ["dense", "conv", "resnet"])
def test_output_bias_starts_at_the_mean_image(images, architecture):
    vae = keras_vae.build_vae(architecture, latent_dim=2)
    epsilon = np.zeros((len(images), 2), "float32")
    before = float(to_numpy(vae.compute_loss_terms(images, epsilon=epsilon)["reconstruction"]))
    initialize_output_bias(vae, images)
    after = float(to_numpy(vae.compute_loss_terms(images, epsilon=epsilon)["reconstruction"]))
    assert after < before

    output_layer = [
        layer for layer in vae.decoder.layers if getattr(layer, "bias", None) is not None
    ][-1]
    mean = np.clip(images.mean(axis=0), 1e-3, 1 - 1e-3)
    expected = mean.reshape(-1) if architecture == "dense" else [mean.mean()]  # per pixel / channel
    np.testing.assert_allclose(special.expit(to_numpy(output_layer.bias)), expected, rtol=1e-4)
