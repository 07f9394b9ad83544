"""keras_vae.evaluation: the IWAE bound, active units, KL per dimension, FID and IS."""

import keras
import numpy as np
import pytest
import scipy.linalg

from keras_vae import build_vae, data
from keras_vae import evaluation as metrics
from keras_vae.evaluation.classifier import MNISTClassifier, shipped_weights_path
from keras_vae.models.vae import VAE
from tests.helpers import synthetic_images


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A small dense VAE trained briefly on synthetic strokes, and its images."""
    x = synthetic_images(256)
    keras.utils.set_random_seed(0)
    model = build_vae("dense", latent_dim=4, hidden_units=(64,), seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    model.fit(x, epochs=10, batch_size=64, verbose=0)
    return model, x


def test_iwae_with_one_sample_is_the_elbo_and_tightens_with_k(trained):
    model, x = trained
    elbo = metrics.negative_elbo(model, x)["loss"]
    one = metrics.log_importance_weights(model, x, k=1, seed=1)
    assert one.shape == (len(x), 1)
    # One draw per image: an unbiased estimate of the ELBO (analytic KL differs only by noise).
    assert -one.mean() == pytest.approx(elbo, rel=0.02)
    bounds = [metrics.iwae_nll(model, x, k=k, seed=1) for k in (1, 10, 100)]
    assert bounds[0] > bounds[1] > bounds[2]
    assert bounds[2] < elbo


def test_iwae_is_the_same_however_it_is_batched(trained):
    model, x = trained
    whole = metrics.iwae_nll(model, x[:20], k=12, seed=3)
    # 12 draws in chunks of 5 (three passes with different noise): the same estimate to noise.
    chunked = metrics.iwae_nll(model, x[:20], k=12, seed=3, samples_per_pass=5)
    assert chunked == pytest.approx(whole, rel=0.02)
    weights = metrics.log_importance_weights(model, x[:7], k=12, seed=3, samples_per_pass=5)
    assert weights.shape == (7, 12) and np.isfinite(weights).all()


def test_a_scoring_pass_holds_fewer_draws_the_more_each_draw_computes():
    from keras_vae.evaluation.likelihood import default_samples_per_pass, values_per_draw

    mnist = build_vae("dense", latent_dim=2, hidden_units=(8,), seed=0)
    # The decoder's layers: z, 8 hidden units, 784 logits, reshaped; then the 784 scored.
    assert values_per_draw(mnist) == 2 + 8 + 784 + 784 + 784
    assert default_samples_per_pass(mnist) == 10_000  # as before: MNIST's figures unchanged
    colour = build_vae(
        "resnet", input_shape=(64, 64, 3), latent_dim=2, filters=(4,), seed=0,
        losses=["discretized_logistic_mixture", "kl"],
    )  # fmt: skip
    # 409,600 parameters per image (100 per pixel) scored, besides the full-size feature maps:
    # counting the parameters alone gave 2,621 pairs, and a 64-filter one ran out of 24 GiB.
    assert values_per_draw(colour) > 2 * 64 * 64 * 100 + 64 * 64 * 4
    assert default_samples_per_pass(colour) == 2**30 // values_per_draw(colour) < 2621 // 2
    # A hierarchy's draws go through the lower layers' networks too; a PixelCNN's through its
    # masked network (64 filters, 4 residual layers, 100 mixture parameters per pixel).
    hierarchy = build_vae("hvae", latent_dim=2, latent_layers=2, hidden_units=(8,), seed=0)
    assert values_per_draw(hierarchy) > 784 + values_per_draw(mnist)
    pixelcnn = build_vae("conv", input_shape=(8, 8, 3), latent_dim=2, filters=(4,), seed=0,
                         losses=["pixelcnn", "kl"])  # fmt: skip
    conv = build_vae("conv", input_shape=(8, 8, 3), latent_dim=2, filters=(4,), seed=0,
                     losses=["discretized_logistic_mixture", "kl"])  # fmt: skip
    assert values_per_draw(pixelcnn) > 8 * 8 * (64 * 14 + 2 * 100)
    assert values_per_draw(pixelcnn) > 5 * values_per_draw(conv)


def test_repeated_scoring_reuses_its_compiled_scorer_and_reads_the_current_weights(tmp_path):
    # Scoring twice compiles once; each call still restarts the noise at its seed and reads the
    # weights as they are then, and the VAE saves and reloads as it did before any scoring.
    x = synthetic_images(16)
    model = build_vae("dense", latent_dim=2, hidden_units=(8,), seed=0)
    first = metrics.log_importance_weights(model, x, k=3, seed=5)
    np.testing.assert_array_equal(metrics.log_importance_weights(model, x, k=3, seed=5), first)
    assert not np.allclose(metrics.log_importance_weights(model, x, k=3, seed=6), first)
    model.save(tmp_path / "scored.keras")
    reloaded = keras.saving.load_model(tmp_path / "scored.keras")
    assert len(reloaded.weights) == len(model.weights)
    np.testing.assert_allclose(
        metrics.log_importance_weights(reloaded, x, k=3, seed=5), first, rtol=1e-6
    )
    bias = model.decoder.weights[-1]
    bias.assign(keras.ops.convert_to_numpy(bias) + 1.0)
    assert not np.allclose(metrics.log_importance_weights(model, x, k=3, seed=5), first)


def test_iwae_rejects_bad_input(trained):
    model, x = trained
    with pytest.raises(ValueError, match="k must be >= 1"):
        metrics.iwae_nll(model, x, k=0)
    with pytest.raises(ValueError, match=r"are \(32, 32, 3\), but the model takes \(28, 28, 1\)"):
        metrics.iwae_nll(model, np.zeros((4, 32, 32, 3), "float32"), k=2)


def test_active_units_and_kl_per_dimension_on_a_known_encoder():
    # z_mean[0] = the mean pixel, z_mean[1] = 0: exactly one unit carries information.
    images = keras.Input((28, 28, 1))
    z_mean = keras.layers.Dense(2, use_bias=False, kernel_initializer="zeros", name="mean")(
        keras.layers.Flatten()(images)
    )
    z_log_var = keras.layers.Dense(2, kernel_initializer="zeros", name="log_var")(
        keras.layers.Flatten()(images)
    )
    encoder = keras.Model(images, [z_mean, z_log_var])
    kernel = np.zeros((784, 2), "float32")
    kernel[:, 0] = 10.0 / 784
    encoder.get_layer("mean").kernel.assign(kernel)
    decoder = build_vae("dense", latent_dim=2, hidden_units=(8,)).decoder
    model = VAE(encoder, decoder)
    x = np.random.default_rng(0).uniform(size=(500, 28, 28, 1)).astype("float32")
    x *= np.linspace(0.1, 1.0, 500, dtype="float32")[:, None, None, None]
    count, activity = metrics.active_units(model, x)
    means = 10.0 * x.reshape(500, -1).mean(axis=1)
    assert count == 1
    np.testing.assert_allclose(activity, [means.var(), 0.0], rtol=1e-4, atol=1e-8)
    # With unit posterior variance, KL(q || p) per dimension is z_mean^2 / 2.
    np.testing.assert_allclose(
        metrics.kl_per_dimension(model, x), [np.mean(means**2) / 2, 0.0], rtol=1e-4, atol=1e-7
    )


def test_frechet_distance_matches_the_formula_with_scipy_sqrtm():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    b = rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 0.5
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(
        cov_a + cov_b - 2 * scipy.linalg.sqrtm(cov_a @ cov_b).real
    )
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert metrics.frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="at least two"):
        metrics.frechet_distance(a[:1], b)


def test_inception_score_bounds():
    confident_even = np.eye(10)[np.arange(1000) % 10] * 0.999999 + 1e-7
    assert metrics.inception_score_from_probabilities(confident_even)[0] == pytest.approx(
        10.0, rel=1e-3
    )
    always_three = np.tile(np.eye(10)[3], (1000, 1))
    assert metrics.inception_score_from_probabilities(always_three)[0] == pytest.approx(1.0)
    uniform = np.full((1000, 10), 0.1)
    assert metrics.inception_score_from_probabilities(uniform)[0] == pytest.approx(1.0)


def test_classifier_metrics_reject_images_of_other_shapes():
    classifier = MNISTClassifier()
    with pytest.raises(ValueError, match="28x28x1"):
        metrics.fid(np.zeros((20, 32, 32, 3)), np.zeros((20, 32, 32, 3)), classifier)


def test_the_classifier_reads_the_same_images_once_and_shares_them_read_only():
    classifier = MNISTClassifier()
    images = synthetic_images(12)
    features, probabilities = classifier.features_and_probabilities(images)
    again = classifier.features_and_probabilities(images.copy())  # the same contents
    assert again[0] is features and again[1] is probabilities
    with pytest.raises(ValueError, match="read-only"):
        probabilities[0, 0] = 1.0
    changed = images.copy()
    changed[0, 14, 14, 0] = 1.0 - changed[0, 14, 14, 0]
    other_features, _ = classifier.features_and_probabilities(changed)
    assert other_features is not features
    np.testing.assert_array_equal(other_features[1:], features[1:])
    assert not np.array_equal(other_features[0], features[0])
    for n in range(1, MNISTClassifier.REMEMBERED_ARRAYS + 1):  # the oldest is forgotten
        classifier.features_and_probabilities(synthetic_images(12, seed=n))
    assert classifier.features_and_probabilities(images)[0] is not features


def test_shipped_classifier_on_real_mnist(mnist_npz):
    """The shipped weights reach 99% test accuracy, and the calibration figures are sane."""
    assert shipped_weights_path().stat().st_size < 1_000_000  # a few hundred KB
    (x_train, _), (x_test, y_test) = data.load_mnist(mnist_npz)
    classifier = MNISTClassifier()
    assert classifier.accuracy(x_test, y_test) >= 0.99
    score, _ = metrics.inception_score(x_test, classifier)
    assert 9.0 < score <= 10.0
    real = metrics.fid(x_train[:10_000], x_test, classifier)
    # 1,000 noise images are as far from the digits as 10,000, for a third less of this test.
    noise_images = np.random.default_rng(0).uniform(size=(1000, *x_test.shape[1:]))
    noise = metrics.fid(noise_images, x_test, classifier)
    assert real < 2.0 and noise > 100 * real
