"""The Gaussian-mixture latent sampler: fitting, sampling, saving, and the commands that use it."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.cli import main
from keras_vae.gmm_sampler import GaussianMixtureSampler
from tests.helpers import write_strokes_npz


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
