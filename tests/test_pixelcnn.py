"""The `pixelcnn` likelihood: each pixel given the ones before it in raster order and the
decoder's features, normalised over 8-bit values, trained, saved and reached from the CLI."""

import itertools
import json
import math

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from keras_vae.losses import PixelCNN
from tests.helpers import to_numpy
from tests.test_bits_per_dim import colour_images


def connected(shape, seed=0, **options):
    """A PixelCNN built for images of `shape`, with random features for them."""
    keras.utils.set_random_seed(seed)
    likelihood = PixelCNN(**{"components": 2, "filters": 6, "residual_layers": 2, **options})
    likelihood.connect(shape)
    features = np.random.default_rng(seed).normal(size=(1, *shape[:2], likelihood.filters))
    return likelihood, features.astype("float32")


def eight_bit(rng, shape):
    return (rng.integers(0, 256, shape) / 255).astype("float32")


def test_a_pixels_parameters_read_only_the_pixels_before_it():
    likelihood, features = connected((5, 4, 3))
    rng = np.random.default_rng(1)
    x = eight_bit(rng, (1, 5, 4, 3))
    params = to_numpy(likelihood._pixel_params(x, features))[0]
    for row, column in [(0, 0), (2, 1), (4, 3)]:
        changed = x.copy()
        changed[0, row, column] = 1.0 - changed[0, row, column]
        moved = np.abs(to_numpy(likelihood._pixel_params(changed, features))[0] - params)
        moved = moved.max(axis=-1).reshape(-1)  # raster order
        here = row * 4 + column
        # Nothing at or before the changed pixel moves; the pixels after it that read it do.
        assert moved[: here + 1].max() == 0.0, (row, column)
        if here < 5 * 4 - 1:
            assert moved[here + 1 :].max() > 1e-4, (row, column)


def test_the_probabilities_of_every_image_sum_to_one():
    # Two pixels of one channel: the second's distribution depends on the first's value, so
    # summing over all 256 x 256 images checks the chain of conditionals, not one pixel.
    likelihood, features = connected((1, 2, 1), components=3)
    values = np.array(list(itertools.product(range(256), repeat=2)), "float32") / 255
    images = values.reshape(-1, 1, 2, 1)
    tiled = np.repeat(features, len(images), axis=0)
    log_prob = to_numpy(likelihood.log_prob(images, tiled)).sum(axis=(1, 2))
    assert np.exp(log_prob.astype("float64")).sum() == pytest.approx(1.0, abs=2e-3)
    # The second pixel does depend on the first (else this would test one pixel twice).
    second = to_numpy(likelihood.log_prob(images[:512:255], tiled[:3]))[:, 0, 1]
    assert np.ptp(second) > 1e-3


def test_the_mean_image_is_filled_pixel_by_pixel_from_the_ones_before():
    likelihood, features = connected((4, 3, 3))
    filled = to_numpy(likelihood.mean(np.concatenate([features, -features])))
    assert filled.shape == (2, 4, 3, 3) and 0.0 <= filled.min() <= filled.max() <= 1.0
    # Each pixel is its mean given the filled pixels before it: the fill is a fixed point.
    again = likelihood.distribution.mean(
        likelihood._pixel_params(filled, np.concatenate([features, -features]))
    )
    np.testing.assert_allclose(to_numpy(again), filled, atol=1e-5)
    assert np.abs(filled[0] - filled[1]).max() > 1e-3  # the features reach the image


def test_draws_follow_the_chain_of_conditionals():
    likelihood, features = connected((1, 2, 1), components=3)
    # A stronger reach of the first pixel into the second's distribution than at random.
    likelihood.image_conv.kernel.assign(8.0 * likelihood.image_conv.kernel)
    values = np.array(list(itertools.product(range(256), repeat=2)), "float32") / 255
    log_prob = likelihood.log_prob(values.reshape(-1, 1, 2, 1), np.repeat(features, 65536, 0))
    joint = np.exp(to_numpy(log_prob).astype("float64").sum(axis=(1, 2))).reshape(256, 256)
    expected = joint.reshape(8, 32, 8, 32).sum(axis=(1, 3))  # over 8 x 8 coarse cells
    draws = to_numpy(likelihood.sample(np.repeat(features, 20_000, 0), seed=3))
    values = np.rint(draws.reshape(-1, 2) * 255)
    np.testing.assert_allclose(values, draws.reshape(-1, 2) * 255, atol=1e-3)  # 8-bit values
    found = np.zeros((8, 8))
    np.add.at(found, tuple((values // 32).astype(int).T), 1.0 / len(values))
    assert 0.5 * np.abs(found - expected).sum() < 0.05
    # Drawing the second pixel as if the first were still blank is far off (0.12 here).
    blank_first = joint[0] / joint[0].sum()
    independent = np.outer(joint.sum(axis=1), blank_first).reshape(8, 32, 8, 32).sum((1, 3))
    assert 0.5 * np.abs(independent - expected).sum() > 0.1


def test_a_vaes_pictures_are_draws_reproducible_by_seed():
    x = colour_images(4)
    losses = [PixelCNN(components=2, filters=6, residual_layers=1), "kl"]
    vae = keras_vae.build_vae(
        "conv", input_shape=x.shape[1:], latent_dim=4, filters=(8,), losses=losses, seed=1
    )
    samples = to_numpy(vae.sample(3, seed=7))
    assert samples.shape == (3, *x.shape[1:])
    np.testing.assert_array_equal(samples, to_numpy(vae.sample(3, seed=7)))
    assert np.abs(samples - to_numpy(vae.sample(3, seed=8))).max() > 0.1
    # Drawn, not the greedy mean fill: 8-bit values, apart from the mean's.
    np.testing.assert_allclose(np.rint(samples * 255), samples * 255, atol=1e-3)
    z = np.zeros((2, 4), "float32")
    drawn = to_numpy(vae.decode(z, seed=0))
    mean = to_numpy(vae.likelihood.mean(vae.decoder(z)))
    assert np.abs(drawn - mean).mean() > 0.05
    reconstructions = to_numpy(vae.reconstruct(x, seed=2))
    np.testing.assert_array_equal(reconstructions, to_numpy(vae.reconstruct(x, seed=2)))


def test_a_finished_run_draws_fewer_images_the_more_pixels_each_takes():
    from keras_vae.plots.figures import images_in_run_grid

    def model(likelihood, size):
        return keras_vae.build_vae("conv", input_shape=(size, size, 3), latent_dim=2,
                                   filters=(4,), losses=[likelihood, "kl"], seed=0)  # fmt: skip

    # Each image is H x W passes over the whole image: 64 at 32 x 32, 4 at 64 x 64.
    assert images_in_run_grid(model("pixelcnn", 32), 64) == 64
    assert images_in_run_grid(model("pixelcnn", 64), 64) == 4
    assert images_in_run_grid(model("pixelcnn", 64), 12) == 4
    assert images_in_run_grid(model("pixelcnn", 256), 64) == 1
    # A likelihood whose image is its mean draws the whole grid at any size.
    assert images_in_run_grid(model("discretized_logistic_mixture", 64), 64) == 64


def test_a_vae_with_it_trains_its_weights_and_round_trips(tmp_path):
    x = colour_images(32)
    losses = [PixelCNN(components=2, filters=8, residual_layers=1), "kl"]
    vae = keras_vae.build_vae(
        "conv", input_shape=x.shape[1:], latent_dim=4, filters=(8,), losses=losses, seed=1
    )
    assert vae.decoder.outputs[0].shape[-1] == 8  # the decoder gives the features
    before = [to_numpy(w).copy() for w in vae.likelihood.weights]
    assert len(before) == 2 * (3 + 1)  # image, condition, residual, mixture: kernel and bias
    epsilon = np.random.default_rng(0).normal(size=(len(x), 4)).astype("float32")
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(x, epochs=8, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0] - 50
    trained = [to_numpy(w) for w in vae.likelihood.weights]
    assert all(np.abs(w - b).max() > 0 for w, b in zip(trained, before, strict=True))
    vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    for name, value in vae.compute_loss_terms(x, epsilon=epsilon).items():
        expected = float(to_numpy(value))
        assert float(to_numpy(loaded.compute_loss_terms(x, epsilon=epsilon)[name])) == (
            pytest.approx(expected, rel=1e-5)
        ), name
    np.testing.assert_allclose(
        to_numpy(loaded.reconstruct(x[:2])), to_numpy(vae.reconstruct(x[:2])), atol=1e-5
    )


def test_train_and_evaluate_take_it_from_the_command_line(tmp_path):
    data = tmp_path / "colour.npz"
    np.savez(data, x_train=colour_images(64), x_test=colour_images(16, seed=1))
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--out", str(out), "--likelihood", "pixelcnn",
         "--set", "likelihood.filters=8", "--set", "likelihood.residual_layers=1",
         "--architecture", "conv", "--filters", "8", "--latent-dim", "4", "--epochs", "1",
         "--batch-size", "32"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out / "model.keras")
    assert isinstance(model.likelihood, PixelCNN) and model.likelihood.filters == 8
    report_file = tmp_path / "e.json"
    output = CliRunner().invoke(
        main, ["evaluate", str(out / "model.keras"), "--k", "4", "--json", str(report_file)]
    )
    assert output.exit_code == 0, output.output
    report = json.loads(report_file.read_text())
    dims = 12 * 12 * 3
    assert report["bits_per_dim"] == pytest.approx(report["iwae_nll"] / (dims * math.log(2)))
    assert report["bits_per_dim"] == pytest.approx(report["negative_elbo_bits_per_dim"], rel=0.05)
    assert report["png_bits_per_dim"] > 0
    # Reconstructions and samples take a network pass per pixel: no PSNR, no FID/IS, said so.
    assert report["psnr"] is None and report["classifier_fid"] is None
    assert "n/a (skipped for an autoregressive likelihood" in output.output


def binary_chain(seed=0):
    """A Bernoulli PixelCNN over one row of three binary pixels, each read by those after it
    more strongly than at random, and the exact probability of each of the 8 images."""
    likelihood, features = connected((1, 3, 1), seed=seed, pixels="bernoulli")
    likelihood.image_conv.kernel.assign(8.0 * likelihood.image_conv.kernel)
    images = np.array(list(itertools.product((0.0, 1.0), repeat=3)), "float32")
    log_prob = likelihood.log_prob(images.reshape(-1, 1, 3, 1), np.repeat(features, 8, 0))
    return likelihood, features, images, np.exp(to_numpy(log_prob).astype("float64").sum((1, 2)))


def test_bernoulli_pixels_are_a_chain_of_conditionals_over_binary_images():
    likelihood, features, images, joint = binary_chain()
    assert not likelihood.discrete  # nats, as the bernoulli likelihood: no bits/dim
    assert joint.sum() == pytest.approx(1.0, abs=1e-5)
    # The last pixel depends on those before it (else this would test independent pixels).
    last_given = joint.reshape(4, 2)[:, 1] / joint.reshape(4, 2).sum(axis=1)
    assert np.ptp(last_given) > 0.05
    draws = to_numpy(likelihood.sample(np.repeat(features, 20_000, 0), seed=3)).reshape(-1, 3)
    assert set(np.unique(draws)) <= {0.0, 1.0}
    found = np.bincount((draws @ np.array([4, 2, 1])).astype(int), minlength=8) / len(draws)
    assert 0.5 * np.abs(found - joint).sum() < 0.02
    # The greedy fill: each pixel its probability of 1 given the fill before it.
    filled = to_numpy(likelihood.mean(features))
    again = likelihood.distribution.mean(likelihood._pixel_params(filled, features))
    np.testing.assert_allclose(to_numpy(again), filled, atol=1e-5)


def test_a_bernoulli_pixelcnn_trains_from_the_command_line_and_reloads(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "binary.npz"
    np.savez(data, x_train=(rng.random((64, 8, 8)) * 255).astype("uint8"),
             x_test=(rng.random((16, 8, 8)) * 255).astype("uint8"))  # fmt: skip
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--out", str(out), "--likelihood", "pixelcnn",
         "--set", "likelihood.pixels=bernoulli", "--set", "likelihood.filters=8",
         "--set", "likelihood.residual_layers=1", "--binarize", "dynamic", "--architecture",
         "conv", "--filters", "8", "--latent-dim", "4", "--epochs", "1", "--batch-size", "32"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out / "model.keras")
    assert model.likelihood.pixels == "bernoulli"
    assert set(np.unique(to_numpy(model.sample(4, seed=0)))) <= {0.0, 1.0}
    report_file = tmp_path / "e.json"
    output = CliRunner().invoke(
        main, ["evaluate", str(out / "model.keras"), "--k", "4", "--json", str(report_file)]
    )
    assert output.exit_code == 0, output.output
    report = json.loads(report_file.read_text())
    # Nats over binary pixels: below the 64 ln 2 of a coin per pixel, at most a little above.
    assert 0 < report["iwae_nll"] < 64 * math.log(2) * 1.2
    assert report.get("bits_per_dim") is None


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="pixels must be one of logistic_mixture, bernoulli"):
        PixelCNN(pixels="gaussian")
    with pytest.raises(ValueError, match="filters must be an int >= 1"):
        PixelCNN(filters=0)
    with pytest.raises(ValueError, match="components must be >= 1"):
        PixelCNN(components=0)
    with pytest.raises(ValueError, match="not connected"):
        PixelCNN().log_prob(np.zeros((1, 2, 2, 1)), np.zeros((1, 2, 2, 64)))


def test_a_masked_convolution_rebuilds_from_its_config():
    layer = keras_vae.losses.pixelcnn.MaskedConv2D(2, 3, include_centre=False)
    layer.build((None, 4, 4, 1))
    copy = keras_vae.losses.pixelcnn.MaskedConv2D.from_config(layer.get_config())
    copy.build((None, 4, 4, 1))
    assert copy.include_centre is False and copy.kernel_size == (3, 3)
    np.testing.assert_array_equal(copy._mask, layer._mask)
    with pytest.raises(ValueError, match="odd, square kernel"):
        keras_vae.losses.pixelcnn.MaskedConv2D(2, 4, include_centre=True)


def test_a_convolutional_hierarchy_takes_it_and_draws_the_same_after_loading(tmp_path):
    # conv_hvae with a PixelCNN and the VampPrior: Tomczak & Welling's PixelHVAE.
    x = (np.random.default_rng(0).random((64, 12, 12, 1)) > 0.5).astype("float32")
    losses = [PixelCNN(components=2, filters=8, residual_layers=1), "kl"]
    vae = keras_vae.build_vae(
        "conv_hvae", input_shape=(12, 12, 1), latent_dim=4, losses=losses, prior="vamp", seed=0
    )
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(x, epochs=3, batch_size=32, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    samples = to_numpy(vae.sample(2, seed=1))
    np.testing.assert_allclose(np.rint(samples * 255), samples * 255, atol=1e-3)  # drawn
    vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(to_numpy(loaded.sample(2, seed=1)), samples)
    assert to_numpy(loaded.reconstruct(x[:2], seed=3)).shape == (2, 12, 12, 1)
