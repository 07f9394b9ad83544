"""Pieces of a training run that the end-to-end example tests do not show directly."""

import keras
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


@pytest.mark.parametrize("likelihood", ["bernoulli", "continuous_bernoulli", "gaussian", "laplace"])
def test_each_likelihood_starts_at_the_mean_image(images, likelihood):
    # The likelihood says which parameter has the data's mean as its mean: for the continuous
    # Bernoulli that is not the logit of the mean.
    vae = keras_vae.build_vae("dense", latent_dim=2, losses=[likelihood, "kl"])
    initialize_output_bias(vae, images)
    bias = vae.decoder.layers[-2].bias
    started = to_numpy(vae.likelihood.mean(keras.ops.convert_to_tensor(to_numpy(bias))))
    mean = np.clip(images.mean(axis=0), 1e-3, 1 - 1e-3).reshape(-1)
    np.testing.assert_allclose(started, mean, rtol=1e-3, atol=1e-5)


def test_a_likelihood_that_cannot_say_leaves_the_bias_as_built(images):
    class Custom(keras_vae.losses.Bernoulli):
        def params_for_mean(self, mean):
            return None

    vae = keras_vae.build_vae("dense", latent_dim=2, losses=[Custom(), "kl"])
    before = to_numpy(vae.decoder.layers[-2].bias).copy()
    initialize_output_bias(vae, images)
    np.testing.assert_array_equal(to_numpy(vae.decoder.layers[-2].bias), before)
