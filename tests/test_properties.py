"""Property tests (hypothesis) of the maths: KL, each likelihood against NumPy/SciPy, the IWAE
bound, and finite losses for extreme encoder outputs."""

import functools
import math

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import special, stats

from keras_vae import build_vae
from keras_vae import evaluation as metrics
from keras_vae.losses import Bernoulli, ContinuousBernoulli, Gaussian, Laplace, kl_divergence
from keras_vae.models.vae import LOG_VAR_RANGE
from tests.helpers import synthetic_images, to_numpy

# Each example runs backend ops eagerly; keep the count modest and the deadline off (the
# first call on a backend compiles).
SETTINGS = settings(max_examples=40, deadline=None)


def floats(low, high):
    return st.floats(low, high, allow_nan=False, allow_infinity=False, width=32)


def arrays(shape, low, high):
    return hnp.arrays("float32", shape, elements=floats(low, high))


image_shapes = hnp.array_shapes(min_dims=4, max_dims=4, min_side=1, max_side=5)
latent_shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8)


@st.composite
def posterior(draw):
    shape = draw(latent_shapes)
    return draw(arrays(shape, -20, 20)), draw(arrays(shape, *LOG_VAR_RANGE))


@st.composite
def pixels_and_params(draw):
    shape = draw(image_shapes)
    return draw(arrays(shape, 0, 1)), draw(arrays(shape, -30, 30))


@SETTINGS
@given(posterior())
def test_kl_is_nonnegative_and_equals_the_closed_form(arrays):
    z_mean, z_log_var = arrays
    value = to_numpy(kl_divergence(keras.ops.array(z_mean), keras.ops.array(z_log_var)))
    mean, log_var = z_mean.astype("float64"), z_log_var.astype("float64")
    expected = 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var)  # per latent dimension
    assert (value >= 0).all()
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)


def continuous_bernoulli_reference(x, logits, spread=None):
    """log CB(x; sigmoid(l)) = x log lam + (1 - x) log(1 - lam) + log(l / tanh(l / 2))."""
    safe = np.where(logits == 0, 1.0, logits)
    log_norm = np.where(logits == 0, math.log(2.0), np.log(safe / np.tanh(safe / 2)))
    return x * special.log_expit(logits) + (1 - x) * special.log_expit(-logits) + log_norm


LIKELIHOODS = {
    "bernoulli": (
        lambda v: Bernoulli(),
        lambda x, p, v: x * special.log_expit(p) + (1 - x) * special.log_expit(-p),
    ),
    "gaussian": (
        lambda v: Gaussian(variance=v),
        lambda x, p, v: stats.norm.logpdf(x, special.expit(p), math.sqrt(v)),
    ),
    "laplace": (
        lambda v: Laplace(scale=v),
        lambda x, p, v: stats.laplace.logpdf(x, special.expit(p), v),
    ),
    "continuous_bernoulli": (lambda v: ContinuousBernoulli(), continuous_bernoulli_reference),
}


@SETTINGS
@given(
    name=st.sampled_from(sorted(LIKELIHOODS)),
    data=pixels_and_params(),
    spread=st.floats(0.05, 2.0),
    binary=st.booleans(),
)
def test_each_likelihood_equals_its_reference_formula(name, data, spread, binary):
    x, params = data
    if binary:
        x = (x > 0.5).astype("float32")
    make, reference = LIKELIHOODS[name]
    value = to_numpy(make(spread).log_prob(keras.ops.array(x), keras.ops.array(params)))
    expected = reference(x.astype("float64"), params.astype("float64"), spread)
    assert value.shape == x.shape
    np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5)


@functools.cache
def small_model():
    """A small dense VAE, briefly trained on synthetic strokes, and its images."""
    x = synthetic_images(128)
    keras.utils.set_random_seed(0)
    model = build_vae("dense", latent_dim=3, hidden_units=(32,), seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, epochs=5, batch_size=32, verbose=0)
    return model, x


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_iwae_bound_is_above_the_elbo_estimate_and_tightens_with_k(seed):
    model, x = small_model()
    log_w = metrics.log_importance_weights(model, x, k=100, seed=seed)

    def by_hand(k):  # -log (1/k) sum_i w_i, mean over images, on the first k draws
        w = log_w[:, :k].astype("float64")
        peak = w.max(axis=1)
        return -np.mean(peak + np.log(np.mean(np.exp(w - peak[:, None]), axis=1)))

    bounds = {k: metrics.iwae_nll(model, x, k=k, seed=seed) for k in (1, 10, 100)}
    # iwae_nll is the log-mean-exp of these very weights (the same seed draws the same z) ...
    assert bounds[100] == pytest.approx(by_hand(100), rel=1e-6)
    # ... and by Jensen at most the mean of the one-sample estimates -log w_i, the ELBO's.
    assert bounds[100] <= -log_w.mean() + 1e-6
    # In expectation it tightens with k; over 128 images the means show it.
    assert bounds[1] > bounds[10] > bounds[100]


@given(log_var=st.sampled_from([-1e4, -80.0, 80.0, 1e4]))
@settings(max_examples=4, deadline=None)
def test_extreme_encoder_log_variance_gives_finite_losses_and_gradients(log_var):
    model = build_vae("dense", latent_dim=2, hidden_units=(8,), seed=0)
    head = model.encoder.get_layer("z_log_var")
    head.kernel.assign(np.zeros(head.kernel.shape, "float32"))
    head.bias.assign(np.full(head.bias.shape, log_var, "float32"))
    x = synthetic_images(4)
    terms = model.compute_loss_terms(x, training=False)
    for name, value in terms.items():
        assert np.isfinite(float(to_numpy(value))), name
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    logs = model.train_on_batch(x, return_dict=True)
    assert all(np.isfinite(v) for v in logs.values()), logs
    assert all(np.isfinite(to_numpy(w)).all() for w in model.trainable_weights)
