"""Each loss term against its reference formula (NumPy/SciPy), and its serialisation."""

import math

import keras
import numpy as np
import pytest
from scipy import special, stats

import keras_vae
from keras_vae.losses import (
    Bernoulli,
    ContinuousBernoulli,
    Gaussian,
    GaussianKL,
    Laplace,
    Normal,
    VAEOutputs,
    kl_divergence,
)
from tests.helpers import assert_all_close, assert_config_round_trip, to_numpy

rng = np.random.default_rng(1)
X = rng.uniform(0, 1, (5, 4, 3, 2)).astype("float32")
PARAMS = rng.normal(0, 3, X.shape).astype("float32")


def tensor(array):
    return keras.ops.convert_to_tensor(array, dtype="float32")


def outputs(x=X, params=PARAMS, z_mean=None, z_log_var=None):
    """VAEOutputs of backend tensors, as the model passes them to loss terms."""
    z_mean = np.zeros((len(x), 3), "float32") if z_mean is None else z_mean
    z_log_var = np.zeros_like(z_mean) if z_log_var is None else z_log_var
    return VAEOutputs(
        x=tensor(x),
        z_mean=tensor(z_mean),
        z_log_var=tensor(z_log_var),
        z=tensor(z_mean),
        params=tensor(params),
    )


def per_image(log_prob):
    return -log_prob.reshape(len(log_prob), -1).sum(axis=1)


def continuous_bernoulli_log_prob(x, logits):
    lam = special.expit(logits.astype("float64"))
    log_norm = np.log(2 * np.arctanh(1 - 2 * lam) / (1 - 2 * lam))
    return x * np.log(lam) + (1 - x) * np.log1p(-lam) + log_norm


@pytest.mark.parametrize(
    "term, reference",
    [
        (
            Bernoulli(),
            lambda x, p: x * np.log(special.expit(p)) + (1 - x) * np.log(special.expit(-p)),
        ),
        (Gaussian(), lambda x, p: stats.norm.logpdf(x, special.expit(p), math.sqrt(0.5))),
        (
            Gaussian(variance=0.1),
            lambda x, p: stats.norm.logpdf(x, special.expit(p), math.sqrt(0.1)),
        ),
        (Laplace(scale=0.2), lambda x, p: stats.laplace.logpdf(x, special.expit(p), 0.2)),
        (ContinuousBernoulli(), continuous_bernoulli_log_prob),
    ],
    ids=["bernoulli", "gaussian", "gaussian-0.1", "laplace", "continuous_bernoulli"],
)
def test_likelihood_equals_reference_formula(term, reference):
    expected = per_image(reference(X.astype("float64"), PARAMS.astype("float64")))
    assert_all_close(term.nats(outputs()), expected, rtol=1e-5, atol=1e-3)


def test_gaussian_default_is_summed_squared_error_plus_constant():
    mean = special.expit(PARAMS)
    sse = ((X - mean) ** 2).reshape(len(X), -1).sum(axis=1)
    constant = X[0].size * 0.5 * math.log(math.pi)
    assert_all_close(Gaussian().nats(outputs()), sse + constant, rtol=1e-5)


def test_normal_is_a_normal_of_the_decoder_s_mean_and_log_scale_over_any_range():
    values = rng.normal(0, 3, (5, 1, 1, 4)).astype("float32")  # codes, not pixels
    params = rng.normal(0, 2, (5, 1, 1, 8)).astype("float32")
    mean, log_scale = params[..., :4], np.maximum(params[..., 4:], -1.0)
    expected = per_image(stats.norm.logpdf(values, mean, np.exp(log_scale)))
    term = Normal(min_log_scale=-1.0)
    assert term.param_channels(4) == 8
    assert_all_close(term.nats(outputs(x=values, params=params)), expected, rtol=1e-5)
    assert_all_close(term.mean(tensor(params)), params[..., :4])
    start = term.params_for_mean(np.array([-2.0, 0.5, 7.0, 0.0], "float32"))
    np.testing.assert_array_equal(start, [-2.0, 0.5, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0])


def test_bernoulli_is_finite_for_extreme_logits():
    params = np.array([[-1e4, -80.0, 0.0, 80.0, 1e4]], "float32")
    x = np.array([[0.0, 1.0, 0.5, 0.0, 1.0]], "float32")
    value = to_numpy(Bernoulli().nats(outputs(x=x, params=params)))
    assert np.isfinite(value).all()
    assert value[0] == pytest.approx(80.0 + math.log(2) + 80.0, rel=1e-5)


def test_continuous_bernoulli_is_smooth_through_logit_zero():
    logits = np.array([[-1e-1, -1.1e-2, -9e-3, -1e-6, 0.0, 1e-6, 9e-3, 1.1e-2, 1e-1]], "float32")
    x = np.full_like(logits, 0.3)
    term = ContinuousBernoulli()
    value = to_numpy(term.log_prob(tensor(x), tensor(logits)))
    expected = continuous_bernoulli_log_prob(x, np.where(logits == 0, 1e-9, logits))
    np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-6)
    mean = to_numpy(term.mean(tensor(logits)))
    assert np.all(np.diff(mean) > 0) and np.all((mean > 0.49) & (mean < 0.51))


def test_continuous_bernoulli_mean_matches_numeric_integral():
    logits = np.array([-6.0, -1.0, 0.5, 3.0], "float32")
    grid = np.linspace(0, 1, 200001)
    means = to_numpy(ContinuousBernoulli().mean(tensor(logits)))
    for logit, mean in zip(logits, means, strict=True):
        density = np.exp(continuous_bernoulli_log_prob(grid, np.full_like(grid, logit)))
        assert mean == pytest.approx(np.trapezoid(grid * density, grid), abs=1e-4)


def test_kl_equals_closed_form_and_is_nonnegative():
    z_mean = rng.normal(0, 2, (6, 3)).astype("float32")
    z_log_var = rng.normal(0, 2, (6, 3)).astype("float32")
    var = np.exp(z_log_var.astype("float64"))
    expected = 0.5 * (var + z_mean**2 - 1 - np.log(var)).sum(axis=1)
    value = GaussianKL().nats(outputs(z_mean=z_mean, z_log_var=z_log_var))
    assert_all_close(value, expected, rtol=1e-5)
    assert (to_numpy(kl_divergence(tensor(z_mean), tensor(z_log_var))) >= 0).all()


def test_kl_warmup_beta_and_free_bits_shape_only_the_objective():
    z_mean = np.array([[1.0, 0.01], [1.0, -0.01]], "float32")
    out = outputs(z_mean=z_mean, z_log_var=np.zeros_like(z_mean))
    kl = GaussianKL(beta=2.0, warmup_steps=10, free_bits=0.5)
    assert kl.changes_objective and not GaussianKL().changes_objective
    assert_all_close(kl.nats(out), [0.50005, 0.50005], rtol=1e-5)  # the true KL, unweighted
    # Per dimension, batch means 0.5 and 0.00005; free bits lift the second to 0.5.
    assert float(to_numpy(kl.objective(out, 0))) == 0.0
    assert float(to_numpy(kl.objective(out, 5))) == pytest.approx(2.0 * 0.5 * 1.0, rel=1e-5)
    assert float(to_numpy(kl.objective(out, 50))) == pytest.approx(2.0 * 1.0, rel=1e-5)
    assert float(to_numpy(kl.objective(out, None))) == pytest.approx(2.0, rel=1e-5)


@pytest.mark.parametrize("name", keras_vae.list_losses())
def test_every_registered_loss_serializes(name):
    assert_config_round_trip(keras_vae.get_loss(name)())


@pytest.mark.parametrize(
    "make", [lambda: Gaussian(variance=0), lambda: Laplace(scale=-1), lambda: GaussianKL(beta=-1)]
)
def test_bad_loss_arguments_are_rejected(make):
    with pytest.raises(ValueError, match="must be"):
        make()


def test_loss_terms_work_inside_compiled_code():
    # keras.ops maths must trace under each backend's compiler, not only run eagerly.
    model = keras_vae.build_vae(
        "dense",
        input_shape=(4, 3, 2),
        latent_dim=2,
        hidden_units=8,
        losses=["continuous_bernoulli", "kl"],
    )
    model.compile(optimizer="adam", jit_compile=keras.backend.backend() != "torch")
    logs = model.train_on_batch(X, return_dict=True)
    assert np.isfinite(logs["loss"])
