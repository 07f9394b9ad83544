"""The hierarchical VAE: its densities against NumPy, its bounds, training, sampling and saving,
from the library and the command line."""

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import norm

import keras_vae
from keras_vae.cli import main
from keras_vae.evaluation import iwae_nll, log_importance_weights
from keras_vae.losses import GaussianKL
from keras_vae.models.hierarchical import HierarchicalVAE
from tests.helpers import to_numpy, write_strokes_npz

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SHAPE = (6, 5, 1)
LATENT = 3


def _hvae(layers=2, prior="standard_normal", seed=1, **kwargs):
    return keras_vae.build_vae(
        "hvae", SHAPE, LATENT, hidden_units=(8,), latent_layers=layers, prior=prior, seed=seed,
        **kwargs,
    )  # fmt: skip


def _images(n=10, seed=0):
    return (np.random.default_rng(seed).random((n, *SHAPE)) < 0.4).astype("float32")


def _log_normal(z, mean_log_var):
    mean, log_var = (to_numpy(t) for t in mean_log_var)
    return norm.logpdf(z, mean, np.exp(0.5 * log_var)).sum(-1)


def test_build_gives_a_hierarchy_of_the_requested_layers():
    vae = _hvae(layers=3)
    assert isinstance(vae, HierarchicalVAE)
    assert vae.latent_dims == (LATENT, LATENT, LATENT) and vae.noise_dim == 3 * LATENT
    assert vae.latent_dim == LATENT  # the top layer: what the prior, sample and plots see
    assert len(vae.inference_networks) == len(vae.generative_networks) == 2


def test_log_importance_weights_sum_every_layers_densities():
    """log w = log p(x | z1, z2) + log p(z2) + log p(z1 | z2) - log q(z2 | x) - log q(z1 | x, z2),
    each density recomputed here from the networks' outputs with SciPy."""
    vae = _hvae()
    x = _images(4)
    eps = np.random.default_rng(3).normal(size=(2, 4, vae.noise_dim)).astype("float32")
    got = to_numpy(vae.log_importance_weights(x, eps))

    q2_mean, q2_log_var = (to_numpy(t) for t in vae.encode(x))
    z2 = q2_mean + np.exp(0.5 * q2_log_var) * eps[..., :LATENT]
    expected = []
    for d in range(2):
        q1 = vae.inference_networks[0]([x, z2[d]])
        q1_mean, q1_log_var = (np.clip(to_numpy(t), -20, 20) for t in q1)
        z1 = q1_mean + np.exp(0.5 * q1_log_var) * eps[d, :, LATENT:]
        logits = to_numpy(vae.decoder([z2[d], z1])).reshape(4, -1)
        flat = x.reshape(4, -1)
        log_px = (flat * -np.logaddexp(0, -logits) + (1 - flat) * -np.logaddexp(0, logits)).sum(-1)
        log_pz2 = norm.logpdf(z2[d]).sum(-1)
        log_pz1 = _log_normal(z1, vae.generative_networks[0](z2[d]))
        log_q = _log_normal(z2[d], (q2_mean, q2_log_var)) + _log_normal(z1, (q1_mean, q1_log_var))
        expected.append(log_px + log_pz2 + log_pz1 - log_q)
    np.testing.assert_allclose(got, np.stack(expected), rtol=1e-4, atol=1e-3)


def test_one_draw_bound_equals_the_negative_elbo_of_the_same_noise():
    # With a Monte-Carlo KL in both (a mixture prior), -log w of one draw is the loss exactly:
    # the KL term must add the lower layers' log q - log p, or the two part.
    vae = _hvae(prior=keras_vae.priors.MixtureOfGaussians(components=3, seed=0))
    x = _images(5)
    eps = np.random.default_rng(4).normal(size=(5, vae.noise_dim)).astype("float32")
    terms = vae.compute_loss_terms(x, epsilon=eps)
    log_w = to_numpy(vae.log_importance_weights(x, eps[None]))
    np.testing.assert_allclose(-log_w.mean(), float(to_numpy(terms["loss"])), rtol=1e-5)


def test_training_lowers_the_negative_elbo_and_the_iwae_bound(images):
    vae = keras_vae.build_vae("hvae", (28, 28, 1), 4, hidden_units=(32,), seed=0)
    before = iwae_nll(vae, images[:32], k=20)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(images, epochs=4, batch_size=32, verbose=0).history
    assert history["loss"][-1] < history["loss"][0] - 20
    after = iwae_nll(vae, images[:32], k=20)
    assert after < before - 20
    # The bound on -log p(x) is at most the one-draw negative ELBO, up to sampling noise.
    elbo = keras_vae.evaluation.negative_elbo(vae, images[:32])["loss"]
    assert after <= elbo + 1.0


def test_iwae_objective_and_vamp_prior_train_a_hierarchy(images):
    vae = keras_vae.build_vae(
        "hvae", (28, 28, 1), 4, hidden_units=(16,), seed=0,
        prior=keras_vae.priors.VampPrior(components=5, seed=0),
        objective=keras_vae.objectives.IWAE(k=3),
    )  # fmt: skip
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(images, epochs=3, batch_size=64, verbose=0).history
    assert history["iwae"][-1] < history["iwae"][0]
    assert history["iwae"][-1] <= history["loss"][-1] + 1.0
    assert log_importance_weights(vae, images[:3], k=4).shape == (3, 4)


def test_sample_decode_and_reconstruct(images):
    vae = keras_vae.build_vae("hvae", (28, 28, 1), 4, hidden_units=(16,), seed=0)
    a, b = to_numpy(vae.sample(6, seed=3)), to_numpy(vae.sample(6, seed=3))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (6, 28, 28, 1) and 0 <= a.min() and a.max() <= 1
    # Ancestral sampling draws the lower layer: at temperature 0 only the top layer's mean is
    # left, which decode() decodes with the lower layer at its conditional prior's mean.
    cold = to_numpy(vae.sample(2, seed=3, temperature=0.0))
    np.testing.assert_allclose(cold, to_numpy(vae.decode(np.zeros((2, 4)))), atol=1e-6)
    mode = to_numpy(vae.reconstruct(images[:3]))
    np.testing.assert_array_equal(mode, to_numpy(vae.reconstruct(images[:3])))
    np.testing.assert_allclose(mode, to_numpy(vae(images[:3])), atol=1e-6)
    assert not np.allclose(mode, to_numpy(vae.reconstruct(images[:3], sampler="sample")))


def test_save_and_load_give_the_same_densities(tmp_path):
    vae = _hvae(layers=3, prior=keras_vae.priors.VampPrior(components=4, seed=0))
    x = _images(3)
    eps = np.random.default_rng(0).normal(size=(2, 3, vae.noise_dim)).astype("float32")
    vae.save(tmp_path / "h.keras")
    loaded = keras.models.load_model(tmp_path / "h.keras")
    assert isinstance(loaded, HierarchicalVAE) and loaded.latent_dims == vae.latent_dims
    np.testing.assert_allclose(
        to_numpy(loaded.log_importance_weights(x, eps)),
        to_numpy(vae.log_importance_weights(x, eps)),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "losses, message",
    [
        (["bernoulli", GaussianKL(free_bits=0.1)], "hierarchical"),
        (["bernoulli", keras_vae.losses.BetaTC(dataset_size=100)], "hierarchical"),
    ],
)
def test_terms_that_read_a_factorised_kl_are_refused(losses, message):
    with pytest.raises(ValueError, match=message):
        _hvae(losses=losses)


def test_bad_hierarchies_are_refused():
    with pytest.raises(ValueError, match="latent_layers must be an int >= 2"):
        _hvae(layers=1)
    networks = keras_vae.get_architecture("hvae")(SHAPE, LATENT, hidden_units=(8,))
    with pytest.raises(ValueError, match="one inference and one generative network"):
        HierarchicalVAE(
            networks.encoder, networks.decoder, networks.inference_networks, generative_networks=()
        )


@pytest.mark.parametrize(
    "architecture, options, latent_dims",
    [
        ("hvae", ["--latent-layers", "3"], (2, 2, 2)),
        ("conv_hvae", ["--filters", "4,8"], (2, 2)),
    ],
)
def test_train_evaluate_and_plot_a_hierarchy_from_the_command_line(
    tmp_path, architecture, options, latent_dims
):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=200, n_test=40)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--out", str(out), "--architecture", architecture,
         *options, "--hidden-units", "16", "--latent-dim", "2", "--epochs", "2",
         "--batch-size", "50", "--prior", "vamp", "--prior-components", "4"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out)
    assert isinstance(model, HierarchicalVAE) and model.latent_dims == latent_dims
    result = CliRunner().invoke(main, ["evaluate", str(out), "--k", "5", "--generated", "20"])
    assert result.exit_code == 0, result.output
    assert "IWAE" in result.output
    for command in (
        ["plot", str(out), "--out", str(tmp_path / "plots")],
        ["generate", str(out), "-n", "4", "--out", str(tmp_path / "samples.png")],
        ["interpolate", str(out), "--out", str(tmp_path / "line.png")],
    ):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 0, (command, result.output)
    assert (tmp_path / "plots" / "latent_space.png").read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / "samples.png").read_bytes().startswith(PNG_MAGIC)


def test_latent_layers_are_refused_for_a_flat_architecture(tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=200, n_test=40)
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--out", str(tmp_path / "bad"), "--latent-layers",
               "2", "--epochs", "1"],
    )  # fmt: skip
    assert result.exit_code == 2 and "--latent-layers does not apply to the dense" in result.output


def test_the_convolutional_hierarchy_is_tomczak_and_welling_s_conv_hvae():
    networks = keras_vae.get_architecture("conv_hvae")((28, 28, 1), 40)
    # q(z2 | x): five gated convolutions, two halving the image, to 6 x 7 x 7 = 294 features.
    convs = [layer for layer in networks.encoder.layers if "gated_conv2d" in layer.name]
    assert [(c.filters, c.kernel_size, c.strides) for c in convs] == [
        (32, 7, 1), (32, 3, 2), (64, 5, 1), (64, 3, 2), (6, 3, 1),
    ]  # fmt: skip
    assert networks.encoder.get_layer("q_z2_mean").input.shape == (None, 294)
    (q_z1,), (p_z1,) = networks.inference_networks, networks.generative_networks
    assert [output.shape for output in q_z1.outputs] == [(None, 40), (None, 40)]
    assert [output.shape for output in p_z1.outputs] == [(None, 40), (None, 40)]
    assert networks.decoder.output.shape == (None, 28, 28, 1)
    decoder_convs = [layer for layer in networks.decoder.layers if "gated_conv2d" in layer.name]
    assert [(c.filters, c.kernel_size) for c in decoder_convs] == [(64, 3)] * 4


def test_a_convolutional_hierarchy_trains_saves_and_takes_wide_likelihoods(tmp_path):
    vae = keras_vae.build_vae(
        "conv_hvae", (8, 8, 3), 3, filters=(4, 8), hidden_units=16, latent_layers=3,
        losses=["discretized_logistic", "kl"], prior=keras_vae.priors.VampPrior(components=3),
        seed=0,
    )  # fmt: skip
    assert isinstance(vae, HierarchicalVAE) and vae.latent_dims == (3, 3, 3)
    x = np.rint(np.random.default_rng(0).uniform(size=(16, 8, 8, 3)) * 255) / np.float32(255)
    vae.compile(optimizer=keras.optimizers.Adam(1e-2))
    first = vae.train_on_batch(x, return_dict=True)["loss"]
    for _ in range(20):
        last = vae.train_on_batch(x, return_dict=True)["loss"]
    assert last < first
    vae.save(tmp_path / "m.keras")
    epsilon = np.random.default_rng(1).normal(size=(16, vae.noise_dim)).astype("float32")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    for name, value in vae.compute_loss_terms(x, epsilon=epsilon).items():
        expected = float(to_numpy(value))
        got = float(to_numpy(loaded.compute_loss_terms(x, epsilon=epsilon)[name]))
        assert got == pytest.approx(expected, rel=1e-5), name


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(filters=(4, 8, 16)), "two filter widths"),
        (dict(hidden_units=(8, 8)), "one hidden_units width"),
        (dict(latent_layers=1), "for one layer use the conv architecture"),
    ],
)
def test_bad_convolutional_hierarchies_say_what_to_pass(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras_vae.get_architecture("conv_hvae")((8, 8, 1), 2, **kwargs)
