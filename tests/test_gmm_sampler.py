"""The Gaussian-mixture latent sampler: fitting, sampling, saving, and the commands that use it."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.cli import main
from keras_vae.gmm_sampler import (
    ClassConditionalSampler,
    GaussianMixtureSampler,
    load_latent_sampler,
)
from tests.helpers import write_labelled_npz, write_strokes_npz


def _two_clusters(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    which = rng.random(n) < 0.3
    z = np.where(
        which[:, None], rng.normal([4, 0], [0.5, 1.0], (n, 2)), rng.normal(-2, 0.3, (n, 2))
    )
    return z, which


def test_fit_recovers_a_known_mixture():
    z, which = _two_clusters()
    gmm = GaussianMixtureSampler.fit(z, components=2, seed=0)
    order = np.argsort(gmm.means[:, 0])
    np.testing.assert_allclose(gmm.weights[order], [0.7, 0.3], atol=0.02)
    np.testing.assert_allclose(gmm.means[order], [[-2, -2], [4, 0]], atol=0.1)
    np.testing.assert_allclose(np.diagonal(gmm.covariances[order[1]]), [0.25, 1.0], rtol=0.15)
    # A fitted mixture explains its data better than one Gaussian does.
    single = GaussianMixtureSampler.fit(z, components=1)
    assert gmm.log_prob(z).mean() > single.log_prob(z).mean() + 0.5


def test_samples_follow_the_mixture_and_repeat_with_the_seed(tmp_path):
    gmm = GaussianMixtureSampler.fit(_two_clusters()[0], components=2)
    draws = gmm.sample(20_000, seed=1)
    assert draws.dtype == np.float32 and draws.shape == (20_000, 2)
    assert np.mean(draws[:, 0] > 1) == pytest.approx(0.3, abs=0.02)
    np.testing.assert_array_equal(gmm.sample(5, seed=2), gmm.sample(5, seed=2))
    loaded = GaussianMixtureSampler.load(gmm.save(tmp_path / "gmm.npz"))
    np.testing.assert_array_equal(loaded.sample(5, seed=2), gmm.sample(5, seed=2))


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ValueError, match="at least as many codes"):
        GaussianMixtureSampler.fit(np.zeros((3, 2)), components=5)
    with pytest.raises(ValueError, match="NaN"):
        GaussianMixtureSampler.fit(np.full((30, 2), np.nan), components=2)
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable Gaussian-mixture sampler.*delete it"):
        GaussianMixtureSampler.load(tmp_path / "bad.npz")


def test_a_class_conditional_sampler_draws_each_label_from_its_own_codes(tmp_path):
    z, which = _two_clusters()
    labels = which.astype(int)  # class 1: the cluster at (4, 0); class 0: the one at (-2, -2)
    sampler = ClassConditionalSampler.fit(z, labels, num_classes=2, components=1)
    asked = np.array([0, 1] * 500)
    draws = sampler.sample(1000, asked, seed=3)
    np.testing.assert_allclose(draws[asked == 0].mean(axis=0), [-2, -2], atol=0.05)
    np.testing.assert_allclose(draws[asked == 1].mean(axis=0), [4, 0], atol=0.1)
    # A class's draws do not hang on how many of the others were asked for.
    np.testing.assert_array_equal(sampler.sample(500, [1] * 500, seed=3), draws[asked == 1])
    loaded = load_latent_sampler(sampler.save(tmp_path / "gmm.npz"))
    assert isinstance(loaded, ClassConditionalSampler)
    np.testing.assert_array_equal(
        loaded.sample(4, [1, 0, 0, 1], 5), sampler.sample(4, [1, 0, 0, 1], 5)
    )
    with pytest.raises(
        ValueError, match="holds one mixture per class; read it with load_latent_sampler"
    ):
        GaussianMixtureSampler.load(tmp_path / "gmm.npz")
    with pytest.raises(ValueError, match=r"Expected 2 labels in 0..1"):
        sampler.sample(2, [0, 2])
    with pytest.raises(ValueError, match="Class 2 has 0 training codes"):
        ClassConditionalSampler.fit(z, labels, num_classes=3, components=1)


def test_a_conditional_model_gets_one_mixture_per_class(tmp_path):
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=200, n_test=40, classes=4)
    run = tmp_path / "run"
    runner = CliRunner()
    train = ["train", "--data", str(data), "--out", str(run), "--conditional", "--hidden-units",
             "16", "--latent-dim", "2", "--epochs", "1", "--batch-size", "50"]  # fmt: skip
    assert runner.invoke(main, train).exit_code == 0
    # A mixture of every class's codes, as an older version wrote, is refitted per class.
    GaussianMixtureSampler.fit(np.random.default_rng(0).normal(size=(50, 2)), 2).save(
        run / "gmm_sampler.npz"
    )
    generate = ["generate", str(run), "--latent-sampler", "gmm", "--gmm-components", "2",
                "-n", "8", "--label", "3", "--out", str(tmp_path / "threes.png")]  # fmt: skip
    result = runner.invoke(main, generate)
    assert result.exit_code == 0, result.output
    assert "fitted a 2-component mixture one per class to 200 training codes" in result.output
    saved = load_latent_sampler(run / "gmm_sampler.npz")
    assert isinstance(saved, ClassConditionalSampler) and len(saved.mixtures) == 4
    assert saved.mixtures[0].means.shape == (2, 2)
    result = runner.invoke(main, generate)
    assert result.exit_code == 0 and "fitted" not in result.output


def test_generate_and_evaluate_fit_the_sampler_once_and_reuse_it(tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=200, n_test=40)
    run = tmp_path / "run"
    runner = CliRunner()
    train = ["train", "--data", str(data), "--out", str(run), "--hidden-units", "16",
             "--latent-dim", "3", "--epochs", "1", "--batch-size", "50"]  # fmt: skip
    assert runner.invoke(main, train).exit_code == 0
    result = runner.invoke(
        main, ["generate", str(run), "--latent-sampler", "gmm", "--gmm-components", "3",
               "--out", str(tmp_path / "g.png"), "--npz", str(tmp_path / "g.npz")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "fitted a 3-component mixture to 200 training codes" in result.output
    saved = GaussianMixtureSampler.load(run / "gmm_sampler.npz")
    assert saved.means.shape == (3, 3)
    images = np.load(tmp_path / "g.npz")["x"]
    assert images.shape == (64, 28, 28, 1) and (tmp_path / "g.png").exists()
    result = runner.invoke(
        main, ["evaluate", str(run), "--latent-sampler", "gmm", "--gmm-components", "3",
               "--k", "5", "--generated", "20", "--json", str(tmp_path / "e.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "fitted" not in result.output  # the saved one, newer than the model
    assert json.loads((tmp_path / "e.json").read_text())["latent_sampler"] == "gmm"
