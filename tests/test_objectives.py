"""Objectives and the terms that reshape the ELBO's: IWAE, beta-TC, MMD."""

import keras
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

import keras_vae
from keras_vae.evaluation import iwae_nll
from keras_vae.losses import MMD, BetaTC, GaussianKL, VAEOutputs
from keras_vae.losses.mmd import mmd
from keras_vae.objectives import IWAE
from tests.helpers import assert_config_round_trip, to_numpy

SHAPE = (6, 5, 1)
LATENT = 3


def _vae(losses=("bernoulli", "kl"), prior="standard_normal", objective=None, hidden=(8,)):
    encoder, decoder = keras_vae.get_architecture("dense")(SHAPE, LATENT, hidden_units=hidden)
    return keras_vae.VAE(encoder, decoder, losses=losses, prior=prior, objective=objective, seed=1)


def _images(n=12, seed=0):
    return (np.random.default_rng(seed).random((n, *SHAPE)) < 0.4).astype("float32")


def _log_normal(z, mean, log_var):
    return norm.logpdf(z, mean, np.exp(0.5 * log_var)).sum(-1)


@pytest.mark.parametrize("prior", ["standard_normal", "vamp"])
def test_iwae_with_one_draw_is_the_monte_carlo_elbo(prior):
    vae = _vae(prior=prior, objective=IWAE(k=1))
    x = _images()
    epsilon = np.random.default_rng(1).normal(size=(len(x), LATENT)).astype("float32")
    terms = vae.compute_loss_terms(x, epsilon=epsilon)
    # The one-sample Monte-Carlo ELBO, from the same draw: -log p(x|z) - log p(z) + log q(z|x).
    mean, log_var = (to_numpy(t) for t in vae.encode(x))
    z = mean + np.exp(0.5 * log_var) * epsilon
    monte_carlo_kl = _log_normal(z, mean, log_var) - to_numpy(vae.prior.log_prob(z))
    expected = float(to_numpy(terms["reconstruction"])) + monte_carlo_kl.mean()
    assert float(to_numpy(terms["iwae"])) == pytest.approx(expected, rel=1e-6)
    assert float(to_numpy(terms["objective"])) == float(to_numpy(terms["iwae"]))


def test_iwae_bound_is_the_log_mean_of_the_importance_weights():
    vae = _vae(objective=IWAE(k=4))
    x = _images(5)
    epsilon = np.random.default_rng(2).normal(size=(4, 5, LATENT)).astype("float32")
    terms = vae.compute_loss_terms(x, epsilon=epsilon)
    mean, log_var = (to_numpy(t) for t in vae.encode(x))
    z = mean + np.exp(0.5 * log_var) * epsilon  # (4, 5, latent)
    logits = to_numpy(vae.decoder(z.reshape(-1, LATENT))).reshape(4, *x.shape)
    log_p_x = (x * logits - np.logaddexp(0, logits)).sum(axis=(2, 3, 4))
    log_w = log_p_x + norm.logpdf(z).sum(-1) - _log_normal(z, mean, log_var)
    expected = -(logsumexp(log_w, axis=0) - np.log(4)).mean()
    assert float(to_numpy(terms["iwae"])) == pytest.approx(expected, rel=1e-5)
    # `loss` stays the one-sample negative ELBO, of the first draw with the analytic KL.
    kl = 0.5 * (np.exp(log_var) - 1 - log_var + mean**2).sum(-1).mean()
    assert float(to_numpy(terms["kl"])) == pytest.approx(kl, rel=1e-5)
    assert float(to_numpy(terms["reconstruction"])) == pytest.approx(-log_p_x[0].mean(), rel=1e-5)


def test_iwae_training_reports_its_bound_and_tightens_it_below_the_elbo(images):
    keras.utils.set_random_seed(0)
    encoder, decoder = keras_vae.get_architecture("dense")((28, 28, 1), 4, hidden_units=(32,))
    vae = keras_vae.VAE(encoder, decoder, objective=IWAE(k=5), seed=1)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(images, epochs=5, batch_size=32, verbose=0).history
    assert {"loss", "reconstruction", "kl", "iwae"} <= set(history)
    assert history["iwae"][-1] < history["iwae"][0] - 20  # it learns
    # The k-draw bound is never looser than the one-draw ELBO (epoch means, up to noise).
    assert all(b <= e + 0.5 for b, e in zip(history["iwae"], history["loss"], strict=True))


def test_iwae_scorer_uses_the_models_prior():
    vae = _vae(prior="mixture_of_gaussians")
    vae.prior.means.assign(vae.prior.means + 2.0)  # far from N(0, I): a wrong prior would show
    x = _images(4)
    log_w = keras_vae.evaluation.log_importance_weights(vae, x, k=3, seed=0)
    epsilon = keras.random.normal((3, 4, LATENT), seed=keras.random.SeedGenerator(0))
    np.testing.assert_allclose(log_w, to_numpy(vae.log_importance_weights(x, epsilon)).T, rtol=1e-5)
    expected = -np.mean(logsumexp(log_w, axis=1) - np.log(3))
    assert iwae_nll(vae, x, k=3, seed=0) == pytest.approx(expected, rel=1e-6)


def test_iwae_refuses_terms_that_shape_the_elbo():
    with pytest.raises(ValueError, match="trains its own bound"):
        _vae(losses=["bernoulli", GaussianKL(beta=2.0)], objective=IWAE(k=5))
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        IWAE(k=0)


@pytest.mark.parametrize("sampling", ["mss", "mws"])
def test_beta_tc_parts_sum_to_the_monte_carlo_kl(sampling):
    term = BetaTC(beta=6.0, dataset_size=1000, sampling=sampling)
    vae = _vae(losses=["bernoulli", term])
    x = _images(16)
    epsilon = np.random.default_rng(4).normal(size=(16, LATENT)).astype("float32")
    terms = vae.compute_loss_terms(x, epsilon=epsilon)
    mean, log_var = (to_numpy(t) for t in vae.encode(x))
    z = mean + np.exp(0.5 * log_var) * epsilon
    monte_carlo_kl = (_log_normal(z, mean, log_var) - norm.logpdf(z).sum(-1)).mean()
    parts = sum(float(to_numpy(terms[name])) for name in ("mi", "tc", "dim_kl"))
    assert parts == pytest.approx(monte_carlo_kl, rel=1e-4, abs=1e-4)
    shaped = float(to_numpy(terms["objective"])) - float(to_numpy(terms["reconstruction"]))
    expected = sum(float(to_numpy(terms[n])) * w for n, w in (("mi", 1), ("tc", 6), ("dim_kl", 1)))
    assert shaped == pytest.approx(expected, rel=1e-4, abs=1e-4)


def test_beta_tc_finds_no_information_in_a_posterior_that_ignores_its_input():
    vae = _vae(losses=["bernoulli", BetaTC(dataset_size=60_000)])
    for layer in ("z_mean", "z_log_var"):  # q(z | x) = N(0, I) for every image
        vae.encoder.get_layer(layer).set_weights(
            [np.zeros_like(w) for w in vae.encoder.get_layer(layer).get_weights()]
        )
    terms = vae.compute_loss_terms(_images(32))
    for name in ("mi", "tc", "dim_kl"):
        assert abs(float(to_numpy(terms[name]))) < 1e-4, name


def test_mmd_is_near_zero_between_draws_of_one_distribution_and_grows_with_a_shift():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 400, 4)).astype("float32")
    for kernel in ("rbf", "imq"):
        same = float(to_numpy(mmd(a, b, kernel)))
        shifted = float(to_numpy(mmd(a, b + 1.0, kernel)))
        assert abs(same) < 0.01 and shifted > 0.05, kernel


def test_mmd_is_minimised_but_no_part_of_the_elbo():
    term = MMD(kernel="rbf", weight=10.0)
    vae = _vae(losses=["bernoulli", "kl", term])
    terms = vae.compute_loss_terms(_images(), epsilon=np.zeros((12, LATENT), "float32"))
    value = lambda name: float(to_numpy(terms[name]))  # noqa: E731
    assert value("loss") == pytest.approx(value("reconstruction") + value("kl"), rel=1e-6)
    assert value("objective") != pytest.approx(value("loss"), rel=1e-6)
    # The objective is weight x MMD^2 to prior draws (the same draws for the same seed state).
    outputs = lambda seed: VAEOutputs(  # noqa: E731
        x=None,
        z_mean=None,
        z_log_var=None,
        z=np.random.default_rng(0).normal(1.0, 1.0, (64, LATENT)).astype("float32"),
        params=None,
        prior=vae.prior,
        seed_generator=keras.random.SeedGenerator(seed),
    )
    mmd_value = float(to_numpy(term.nats(outputs(7))))
    assert mmd_value > 0.05  # z is shifted from the prior by 1 in every dimension
    assert float(to_numpy(term.objective(outputs(7), None))) == pytest.approx(10 * mmd_value)
    with pytest.raises(ValueError, match="kernel must be one of"):
        MMD(kernel="gauss")


@pytest.mark.parametrize(
    "obj", [IWAE(k=3), BetaTC(beta=2.0, dataset_size=10), MMD(kernel="rbf", weight=3.0)]
)
def test_objectives_and_terms_serialize(obj):
    assert_config_round_trip(obj)


def test_every_objective_trains_on_every_prior_and_reloads(tmp_path):
    x = _images(32)
    cases = [
        dict(objective=IWAE(k=3), prior="vamp"),
        dict(objective=IWAE(k=3), prior="mixture_of_gaussians"),
        dict(losses=["gaussian", BetaTC(dataset_size=32)]),
        dict(losses=["laplace", "kl", MMD()], prior="vamp"),
    ]
    for i, case in enumerate(cases):
        vae = _vae(**case)
        vae.compile(optimizer="adam")
        history = vae.fit(x, epochs=1, batch_size=8, verbose=0).history
        assert all(np.isfinite(v[-1]) for v in history.values()), case
        vae.save(tmp_path / f"{i}.keras")
        loaded = keras.models.load_model(tmp_path / f"{i}.keras")
        assert loaded.objective == vae.objective
        epsilon = np.zeros(
            (*((3,) if isinstance(vae.objective, IWAE) else ()), 32, LATENT), "float32"
        )
        expected = vae.compute_loss_terms(x, epsilon=epsilon)
        actual = loaded.compute_loss_terms(x, epsilon=epsilon)
        for name in ("loss", "reconstruction", "kl"):
            np.testing.assert_allclose(to_numpy(actual[name]), to_numpy(expected[name]), rtol=1e-5)
