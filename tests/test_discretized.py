"""Likelihoods over 8-bit values: each a distribution over the 256 values (masses summing to 1),
equal to SciPy's bin masses, decoders sized from them, trainable and saved like the others."""

import itertools

import keras
import numpy as np
import pytest
from scipy import stats

import keras_vae
from keras_vae.losses import (
    DiscretizedGaussian,
    DiscretizedLogistic,
    DiscretizedLogisticMixture,
)
from keras_vae.training import initialize_output_bias
from tests.helpers import to_numpy

VALUES = np.arange(256, dtype="float32") / 255.0  # every 8-bit value, as a pixel in [0, 1]
SINGLE = [DiscretizedLogistic, DiscretizedGaussian]


def log_prob(likelihood, x, params):
    return to_numpy(likelihood.log_prob(np.asarray(x, "float32"), np.asarray(params, "float32")))


@pytest.mark.parametrize("likelihood", SINGLE)
@pytest.mark.parametrize("mean,log_scale", [(0.1, -2.0), (-0.97, -4.5), (1.3, 0.5), (0.0, -9.0)])
def test_single_distributions_give_each_value_its_bin_mass(likelihood, mean, log_scale):
    # 256 images of one grey pixel, each of one value; the parameters (mean, log-scale).
    x = VALUES.reshape(256, 1, 1, 1)
    params = np.broadcast_to(np.float32([mean, log_scale]), (256, 1, 1, 2))
    got = log_prob(likelihood(), x, params).ravel()
    assert np.exp(got.astype("float64")).sum() == pytest.approx(1.0, abs=2e-4)
    # Against SciPy in float64: the mass between the bin's edges, the end bins taking the tails.
    scale = np.exp(max(log_scale, -7.0))
    distribution = (stats.logistic if likelihood is DiscretizedLogistic else stats.norm)(
        loc=mean, scale=scale
    )
    centres = 2.0 * VALUES.astype("float64") - 1.0
    upper = np.where(centres > 0.999, np.inf, centres + 1 / 255)
    lower = np.where(centres < -0.999, -np.inf, centres - 1 / 255)
    with np.errstate(divide="ignore"):  # bins far out in the tails hold no float64 mass
        expected = np.log(distribution.cdf(upper) - distribution.cdf(lower))
    resolved = expected > np.log(1e-4)  # where float32's CDF difference holds digits
    np.testing.assert_allclose(got[resolved], expected[resolved], atol=2e-3)
    assert np.all(np.isfinite(got))


@pytest.mark.parametrize("components", [1, 3])
def test_mixture_masses_sum_to_one_over_every_colour_of_a_two_channel_pixel(components):
    # Two channels, the second's mean moved by the first's value: 65,536 colours in all.
    likelihood = DiscretizedLogisticMixture(components)
    assert likelihood.param_channels(2) == components * 6
    rng = np.random.default_rng(0)
    params = rng.normal(0, 1, likelihood.param_channels(2)).astype("float32")
    params[components : 3 * components] *= 0.5  # means inside the range, spread out
    params[3 * components : 5 * components] = rng.uniform(-3, -1, 2 * components)  # log-scales
    colours = np.array(list(itertools.product(VALUES, VALUES)), "float32").reshape(-1, 1, 1, 2)
    got = log_prob(likelihood, colours, np.broadcast_to(params, (len(colours), 1, 1, len(params))))
    assert got.shape == (len(colours), 1, 1)  # one value per pixel: its channels together
    assert np.exp(got.astype("float64")).sum() == pytest.approx(1.0, abs=1e-3)


def test_the_mixture_takes_grey_images_which_have_no_coefficients():
    likelihood = DiscretizedLogisticMixture(3)
    assert likelihood.param_channels(1) == 3 * 3
    params = np.float32([0.5, -1.0, 0.0, -0.6, 0.1, 0.8, -2.0, -3.0, -1.5])
    x = VALUES.reshape(256, 1, 1, 1)
    got = log_prob(likelihood, x, np.broadcast_to(params, (256, 1, 1, 9)))
    assert np.exp(got.astype("float64")).sum() == pytest.approx(1.0, abs=2e-4)
    weights = np.exp(params[:3]) / np.exp(params[:3]).sum()
    mean = to_numpy(likelihood.mean(params.reshape(1, 1, 1, 9)))
    assert mean.ravel()[0] == pytest.approx((weights @ params[3:6] + 1) / 2, abs=1e-5)


def test_one_component_without_coupling_is_a_logistic_per_channel():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (4, 3, 2, 3)).astype("float32") / 255
    mean, log_scale = rng.normal(0, 0.5, (2, 4, 3, 2, 3)).astype("float32")
    coupling = np.zeros((4, 3, 2, 3), "float32")
    mixture = np.concatenate([np.zeros((4, 3, 2, 1)), mean, log_scale - 2, coupling], axis=-1)
    single = np.concatenate([mean, log_scale - 2], axis=-1)
    expected = log_prob(DiscretizedLogistic(), x, single).sum(-1)
    np.testing.assert_allclose(
        log_prob(DiscretizedLogisticMixture(1), x, mixture), expected, rtol=1e-5
    )
    # The coefficients (red -> green, red -> blue, green -> blue) move a channel's mean by
    # tanh(c) times the value of each channel before it (in [-1, 1] units).
    coupled = mixture.copy()
    coupled[..., 7:] = [0.5, -1.0, 2.0]
    values = 2 * x - 1
    moved = mean.copy()
    moved[..., 1] += np.tanh(0.5) * values[..., 0]
    moved[..., 2] += np.tanh(-1.0) * values[..., 0] + np.tanh(2.0) * values[..., 1]
    expected = log_prob(DiscretizedLogistic(), x, np.concatenate([moved, log_scale - 2], -1))
    np.testing.assert_allclose(
        log_prob(DiscretizedLogisticMixture(1), x, coupled), expected.sum(-1), rtol=1e-5
    )


@pytest.mark.parametrize(
    "likelihood", [DiscretizedLogistic(), DiscretizedGaussian(), DiscretizedLogisticMixture(4)]
)
def test_the_parameters_for_a_mean_image_have_that_mean(likelihood):
    mean = np.random.default_rng(2).uniform(0, 1, (5, 4, 3))
    params = likelihood.params_for_mean(mean)
    assert params.shape == (5, 4, likelihood.param_channels(3))
    np.testing.assert_allclose(to_numpy(likelihood.mean(params[None]))[0], mean, atol=1e-6)


@pytest.mark.parametrize(
    "architecture,options",
    [
        ("conv", dict(filters=(4, 8), dense_units=16)),
        ("resnet", dict(filters=(4,), blocks_per_stage=1)),
        ("dense", dict(hidden_units=(16,))),
    ],
)
def test_decoders_give_the_likelihoods_parameters_and_train_and_reload(
    architecture, options, tmp_path
):
    vae = keras_vae.build_vae(
        architecture, input_shape=(8, 8, 3), latent_dim=4, seed=0,
        losses=[DiscretizedLogisticMixture(3), "kl"], **options,
    )  # fmt: skip
    assert vae.decoder.output_shape == (None, 8, 8, 3 * (1 + 6 + 3))
    x = np.random.default_rng(3).integers(0, 256, (32, 8, 8, 3)).astype("float32") / 255
    x[:, :4] = x[:1, :4]  # half of every image the same: something to learn
    initialize_output_bias(vae, x)
    vae.compile(optimizer=keras.optimizers.Adam(3e-2))
    first = float(vae.evaluate(x, batch_size=32, verbose=0, return_dict=True)["reconstruction"])
    vae.fit(x, epochs=40, batch_size=32, verbose=0)
    trained = vae.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    # The 96 shared values are learnt (nats per image; each of the 192 values' bin alone
    # would be ln 256 = 5.5 nats under a uniform guess).
    assert np.isfinite(first) and trained["reconstruction"] < first - 50
    vae.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    assert again.likelihood.components == 3
    epsilon = np.random.default_rng(4).normal(size=(32, 4)).astype("float32")
    for name, value in vae.compute_loss_terms(x, epsilon=epsilon).items():
        reloaded = again.compute_loss_terms(x, epsilon=epsilon)[name]
        assert float(to_numpy(reloaded)) == pytest.approx(float(to_numpy(value)), rel=1e-5)
    images = to_numpy(vae.reconstruct(x[:2]))
    assert images.shape == (2, 8, 8, 3) and images.min() >= 0 and images.max() <= 1


def test_architectures_that_cannot_size_their_decoder_are_named():
    with pytest.raises(ValueError, match="needs 6 decoder outputs per pixel.*'hvae'"):
        keras_vae.build_vae("hvae", input_shape=(8, 8, 3), losses=["discretized_logistic", "kl"])
    with pytest.raises(ValueError, match="components must be >= 1"):
        DiscretizedLogisticMixture(0)


@pytest.mark.parametrize("channels", [1, 2])
def test_the_mixtures_draws_follow_its_masses(channels):
    # Two channels with a strong coupling: the second's draw must move with the first's.
    likelihood, rng = DiscretizedLogisticMixture(3), np.random.default_rng(2)
    params = rng.normal(0, 0.5, likelihood.param_channels(channels)).astype("float32")
    params[3 + 3 * channels : 3 + 6 * channels] = rng.uniform(-3, -1.5, 3 * channels)
    params[3 + 6 * channels :] = 2.0  # tanh(2) = 0.96 of red moves green
    draws = to_numpy(likelihood.sample(np.broadcast_to(params, (40_000, 1, 1, len(params))), 5))
    values = np.rint(draws.reshape(-1, channels) * 255)
    np.testing.assert_allclose(values, draws.reshape(-1, channels) * 255, atol=1e-3)  # 8-bit
    # Against the masses of every colour, over 8 coarse bins per channel.
    colours = np.array(list(itertools.product(VALUES, repeat=channels)), "float32")
    masses = np.exp(
        log_prob(
            likelihood,
            colours.reshape(-1, 1, 1, channels),
            np.broadcast_to(params, (len(colours), 1, 1, len(params))),
        ).astype("float64")
    ).reshape((256,) * channels)
    expected = masses.reshape(*(8, 32) * channels).sum(axis=tuple(range(1, 2 * channels, 2)))
    cells = tuple((values // 32).astype(int).T)
    found = np.zeros_like(expected)
    np.add.at(found, cells, 1.0 / len(values))
    assert 0.5 * np.abs(found - expected).sum() < 0.03


def test_a_colour_draw_moves_each_channel_by_the_values_drawn_before_it():
    # One component, scales below a bin, the logistics' medians: each draw is the colour the
    # coupled means point to, which log_prob (coupled by the true values) must find likely.
    likelihood, rng = DiscretizedLogisticMixture(1), np.random.default_rng(3)
    params = np.concatenate([
        np.zeros((100, 1)),  # the logit
        rng.uniform(-0.4, 0.4, (100, 3)),  # means
        np.full((100, 3), -7.0),  # log-scales
        rng.normal(0, 1.5, (100, 3)),  # coefficients: green <- red, blue <- red, blue <- green
    ], axis=1).astype("float32").reshape(100, 1, 1, 10)  # fmt: skip
    uniforms = np.full((100, 1, 1, 4), 0.5, "float32")
    drawn = to_numpy(likelihood.draw(params, uniforms))
    assert np.all(log_prob(likelihood, drawn, params) > np.log(0.1))
    shuffled = params.copy()
    shuffled[..., 7:] = params[..., [8, 7, 9]]  # the two couplings to red and green swapped
    assert np.mean(log_prob(likelihood, drawn, shuffled) < np.log(0.1)) > 0.9
