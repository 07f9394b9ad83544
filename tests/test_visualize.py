"""keras_vae.plots: what the figures show is computed correctly."""

import numpy as np
import pytest

from keras_vae import build_vae
from keras_vae.inference import sample_images
from keras_vae.plots import interpolate, latent_projection
from tests.helpers import assert_all_close


def test_interpolation_starts_and_ends_at_the_reconstructions(images):
    model = build_vae("dense", latent_dim=3, hidden_units=(16,), seed=0)
    path = interpolate(model, images[0], images[1], steps=5)
    assert path.shape == (5, 28, 28, 1)
    assert_all_close(path[[0, -1]], model.reconstruct(images[:2]), atol=1e-5)
    with pytest.raises(ValueError, match="steps must be >= 2"):
        interpolate(model, images[0], images[1], steps=1)


def test_samples_are_reproducible_and_temperature_scales_the_prior():
    model = build_vae("dense", latent_dim=3, hidden_units=(16,), seed=0)
    assert_all_close(sample_images(model, 4, seed=1), sample_images(model, 4, seed=1))
    assert not np.allclose(sample_images(model, 4, seed=1), sample_images(model, 4, seed=2))
    cold, warm = sample_images(model, 4, seed=1, temperature=0.01), sample_images(model, 4, seed=1)
    # Near-zero temperature decodes (almost) z = 0 for every sample.
    assert np.ptp(cold, axis=0).max() < np.ptp(warm, axis=0).max()


def test_latent_projection_uses_principal_directions_beyond_two_dimensions():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(2000, 5)) * np.array([3.0, 0.1, 2.0, 0.1, 0.1]) + 1.0
    view = latent_projection(z)
    np.testing.assert_allclose(view.directions @ view.directions.T, np.eye(2), atol=1e-8)
    # The leading directions are the axes with standard deviations 3 and 2, in that order.
    np.testing.assert_allclose(np.abs(view.directions[0]), [1, 0, 0, 0, 0], atol=0.02)
    np.testing.assert_allclose(np.abs(view.directions[1]), [0, 0, 1, 0, 0], atol=0.02)
    np.testing.assert_allclose(view.scales, [3.0, 2.0], rtol=0.05)
    projected = view.project(z)
    assert abs(projected.mean()) < 1e-8 and "PC1" in view.labels[0]
    flat = latent_projection(z[:, :2])
    np.testing.assert_allclose(flat.project(z[:, :2]), z[:, :2])
