"""Priors: their densities against NumPy, their samples, their weights, and how the model uses
them (the Monte-Carlo KL, sampling, saving)."""

import keras
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm

import keras_vae
from keras_vae.latent import log_normal_components
from keras_vae.losses import GaussianKL
from keras_vae.priors import MixtureOfGaussians, StandardNormal, VampPrior
from tests.helpers import assert_config_round_trip, to_numpy

SHAPE = (6, 5, 1)
LATENT = 3


def _vae(prior, seed=1, **kwargs):
    encoder, decoder = keras_vae.get_architecture("dense")(SHAPE, LATENT, hidden_units=(8,))
    return keras_vae.VAE(encoder, decoder, prior=prior, seed=seed, **kwargs)


def _images(n=10, seed=0):
    return (np.random.default_rng(seed).random((n, *SHAPE)) < 0.4).astype("float32")


def _numpy_log_normal(z, mean, log_var):
    return norm.logpdf(z, mean, np.exp(0.5 * log_var)).sum(-1)


def test_standard_normal_log_prob_and_analytic_kl():
    prior = _vae("standard_normal").prior
    z = np.random.default_rng(0).normal(size=(7, LATENT)).astype("float32")
    np.testing.assert_allclose(to_numpy(prior.log_prob(z)), norm.logpdf(z).sum(-1), rtol=1e-5)
    mean, log_var = z, np.full_like(z, -0.7)
    expected = 0.5 * (np.exp(log_var) - 1 - log_var + mean**2)
    np.testing.assert_allclose(
        to_numpy(prior.kl(mean, log_var, z)), expected.sum(-1), rtol=1e-5, atol=1e-6
    )


def test_mixture_log_prob_equals_the_numpy_mixture_density():
    prior = _vae(MixtureOfGaussians(components=4, seed=3)).prior
    rng = np.random.default_rng(1)
    prior.logits.assign(rng.normal(size=4).astype("float32"))
    prior.log_vars.assign(rng.normal(0, 0.3, size=(4, LATENT)).astype("float32"))
    z = rng.normal(size=(2, 5, LATENT)).astype("float32")  # leading axes broadcast
    means, log_vars, logits = (to_numpy(w) for w in (prior.means, prior.log_vars, prior.logits))
    log_weights = logits - logsumexp(logits)
    expected = logsumexp(
        [log_weights[k] + _numpy_log_normal(z, means[k], log_vars[k]) for k in range(4)], axis=0
    )
    np.testing.assert_allclose(to_numpy(prior.log_prob(z)), expected, rtol=1e-5)


@pytest.mark.parametrize("log_var", [0.0, -10.0])  # -10: tight components, large squares
def test_log_normal_components_equals_the_numpy_density_under_each_component(log_var):
    rng = np.random.default_rng(4)
    means = rng.normal(0, 3, size=(7, 5)).astype("float32")
    log_vars = (log_var + rng.normal(0, 0.5, size=(7, 5))).astype("float32")
    # Draws near the components, as posterior draws are: (2, 6) leading axes.
    z = means[rng.integers(0, 7, size=(2, 6))] + np.exp(0.5 * log_var) * rng.normal(size=(2, 6, 5))
    z = z.astype("float32")
    expected = np.stack([_numpy_log_normal(z, means[k], log_vars[k]) for k in range(7)], -1)
    actual = to_numpy(log_normal_components(z, means, log_vars))
    assert actual.shape == (2, 6, 7)
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-3)


def test_vamp_prior_is_the_mixture_of_its_pseudo_inputs_posteriors():
    vae = _vae(VampPrior(components=5, seed=2))
    pseudo = to_numpy(vae.prior.pseudo_images())
    assert pseudo.shape == (5, *SHAPE)
    # The authors' start: sigmoid(N(-0.05, 0.01)), grey pixels of about 0.49.
    np.testing.assert_allclose(
        pseudo, 1 / (1 + np.exp(-to_numpy(vae.prior.pseudo_inputs))), rtol=1e-6
    )
    assert abs(pseudo.mean() - 0.4875) < 0.005
    means, log_vars = (to_numpy(t) for t in vae.encode(pseudo))
    z = np.random.default_rng(2).normal(size=(9, LATENT)).astype("float32")
    expected = logsumexp(
        [_numpy_log_normal(z, means[k], log_vars[k]) for k in range(5)], axis=0
    ) - np.log(5)
    np.testing.assert_allclose(to_numpy(vae.prior.log_prob(z)), expected, rtol=1e-5)


def test_vamp_prior_owns_only_its_pseudo_inputs_and_they_train_with_the_model():
    vae = _vae(VampPrior(components=4, seed=2))
    assert [w.name for w in vae.prior.weights] == ["pseudo_inputs"]
    names = [w.path for w in vae.trainable_weights]
    assert len(names) == len(set(names))  # the encoder is not counted twice
    assert len(vae.trainable_weights) == (
        len(vae.encoder.trainable_weights) + len(vae.decoder.trainable_weights) + 1
    )
    before = to_numpy(vae.prior.pseudo_inputs).copy()
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    vae.fit(_images(32), epochs=1, batch_size=8, verbose=0)
    assert np.abs(to_numpy(vae.prior.pseudo_inputs) - before).max() > 1e-3


@pytest.mark.parametrize("prior", ["mixture_of_gaussians", "vamp"])
def test_kl_of_a_learned_prior_is_the_monte_carlo_estimate_on_the_decoded_draw(prior):
    vae = _vae(prior)
    x = _images(6)
    epsilon = np.random.default_rng(3).normal(size=(6, LATENT)).astype("float32")
    terms = vae.compute_loss_terms(x, epsilon=epsilon)
    mean, log_var = (to_numpy(t) for t in vae.encode(x))
    z = mean + np.exp(0.5 * log_var) * epsilon
    expected = _numpy_log_normal(z, mean, log_var) - to_numpy(vae.prior.log_prob(z))
    assert float(to_numpy(terms["kl"])) == pytest.approx(expected.mean(), rel=1e-5, abs=1e-5)


def test_a_single_component_mixture_samples_its_gaussian():
    prior = _vae(MixtureOfGaussians(components=1)).prior
    prior.means.assign(np.array([[1.0, -2.0, 0.5]], "float32"))
    prior.log_vars.assign(np.log(np.array([[0.25, 4.0, 1.0]], "float32")))
    draws = to_numpy(prior.sample(20_000, seed=4))
    np.testing.assert_allclose(draws.mean(0), [1.0, -2.0, 0.5], atol=0.05)
    np.testing.assert_allclose(draws.var(0), [0.25, 4.0, 1.0], rtol=0.05)
    hot = to_numpy(prior.sample(20_000, seed=4, temperature=2.0))
    np.testing.assert_allclose(hot.var(0), 4 * np.array([0.25, 4.0, 1.0]), rtol=0.05)


@pytest.mark.parametrize("prior", ["standard_normal", "mixture_of_gaussians", "vamp"])
def test_model_samples_come_from_its_prior(prior):
    vae = _vae(prior)
    assert to_numpy(vae.sample(4, seed=3)).shape == (4, *SHAPE)
    np.testing.assert_array_equal(to_numpy(vae.sample(4, seed=3)), to_numpy(vae.sample(4, seed=3)))
    z = to_numpy(vae.prior.sample(4000, seed=5))
    # The draws follow the prior: their mean log-density beats that of a wrong distribution.
    shifted = z + 3.0
    assert to_numpy(vae.prior.log_prob(z)).mean() > to_numpy(vae.prior.log_prob(shifted)).mean()
    if prior == "vamp":  # draws sit where the pseudo-inputs' posteriors are
        means, _ = vae.prior.components_posterior()
        np.testing.assert_allclose(z.mean(0), to_numpy(means).mean(0), atol=0.15)


@pytest.mark.parametrize("prior", [MixtureOfGaussians(components=3), VampPrior(components=3)])
def test_priors_serialize(prior):
    assert_config_round_trip(prior)


@pytest.mark.parametrize("prior", ["mixture_of_gaussians", "vamp"])
def test_a_saved_model_keeps_its_prior(prior, tmp_path):
    vae = _vae(prior)
    vae.compile(optimizer="adam")
    vae.fit(_images(16), epochs=1, batch_size=8, verbose=0)
    vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert type(loaded.prior) is type(vae.prior)
    z = np.random.default_rng(0).normal(size=(5, LATENT)).astype("float32")
    np.testing.assert_allclose(
        to_numpy(loaded.prior.log_prob(z)), to_numpy(vae.prior.log_prob(z)), rtol=1e-6
    )
    np.testing.assert_allclose(to_numpy(loaded.sample(3, seed=1)), to_numpy(vae.sample(3, seed=1)))


@pytest.mark.parametrize(
    "losses", [["bernoulli", GaussianKL(free_bits=0.5)], ["bernoulli", "beta_tc"]]
)
@pytest.mark.parametrize("prior", ["mixture_of_gaussians", "vamp"])
def test_terms_that_read_dimensions_refuse_a_non_factorised_prior(losses, prior):
    with pytest.raises(ValueError, match="factorise.*standard_normal"):
        _vae(prior, losses=losses)


def test_unknown_prior_names_the_registered_ones():
    with pytest.raises(ValueError, match="Unknown prior 'vampp'.*Did you mean 'vamp'"):
        _vae("vampp")
    with pytest.raises(TypeError, match="prior must be"):
        _vae(3)


def test_a_registered_prior_plugs_in():
    @keras_vae.register_prior("wide_normal", package="tests")
    class WideNormal(StandardNormal):
        def log_prob(self, z):
            return super().log_prob(z / 2.0) - z.shape[-1] * np.log(2.0)

    vae = _vae("wide_normal")
    assert isinstance(vae.prior, WideNormal) and "wide_normal" in keras_vae.list_priors()
    z = np.zeros((1, LATENT), "float32")
    expected = multivariate_normal(np.zeros(LATENT), 4 * np.eye(LATENT)).logpdf(z[0])
    assert float(to_numpy(vae.prior.log_prob(z))[0]) == pytest.approx(expected, rel=1e-5)
