"""Anomaly scores: per-image likelihoods, the complexity correction, the AUROC and ROC, and the
`score` and `train --exclude-labels` commands."""

import csv
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import mannwhitneyu

import keras_vae
from keras_vae.cli import main
from keras_vae.evaluation import (
    anomaly_scores,
    auroc,
    compressed_length,
    iwae_nll,
    iwae_nll_per_image,
    log_importance_weights,
    negative_elbo_per_image,
    roc_curve,
)
from keras_vae.evaluation.anomaly import SCORES
from keras_vae.training.config import TrainingConfig
from keras_vae.training.start import load_data
from tests.helpers import labelled_bars, run_script, write_labelled_npz

ROOT = Path(__file__).resolve().parents[1]

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_auroc_is_the_normalised_mann_whitney_statistic_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=300).astype(float)  # many ties
    anomalous = rng.random(300) < 0.3
    scores[anomalous] += 1.0  # anomalies score a little higher
    u = mannwhitneyu(scores[anomalous], scores[~anomalous]).statistic
    expected = u / (anomalous.sum() * (~anomalous).sum())
    assert auroc(scores, anomalous) == pytest.approx(expected, rel=1e-12)
    assert 0.5 < expected < 1.0
    assert auroc(np.r_[1.0, 2.0, 3.0, 4.0], np.r_[False, False, True, True]) == 1.0
    assert auroc(np.r_[4.0, 3.0, 2.0, 1.0], np.r_[False, False, True, True]) == 0.0
    assert auroc(np.ones(4), np.r_[False, False, True, True]) == 0.5


def test_the_roc_curve_runs_from_nothing_to_everything_and_its_area_is_the_auroc():
    rng = np.random.default_rng(1)
    scores = np.round(rng.normal(size=200), 1)  # ties again
    anomalous = rng.random(200) < 0.4
    scores[anomalous] += 0.8
    fpr, tpr = roc_curve(scores, anomalous)
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert len(fpr) == len(np.unique(scores)) + 1  # one point per distinct threshold
    area = np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2)  # trapezoids: ties count half
    assert area == pytest.approx(auroc(scores, anomalous), rel=1e-12)


@pytest.mark.parametrize(
    ("scores", "anomalous", "message"),
    [
        (np.ones(3), np.zeros(3, bool), "needs both anomalies and normal images"),
        (np.ones(3), np.ones(3, bool), "needs both anomalies and normal images"),
        (np.r_[1.0, np.nan, 2.0], np.r_[True, False, False], "1 scores are NaN or infinite"),
        (np.ones(3), np.ones(4, bool), "one score and one anomaly flag per image"),
    ],
)
def test_bad_scores_or_flags_name_the_problem(scores, anomalous, message):
    with pytest.raises(ValueError, match=message):
        auroc(scores, anomalous)
    with pytest.raises(ValueError, match=message):
        roc_curve(scores, anomalous)


def test_compressed_length_is_shorter_for_simpler_images():
    rng = np.random.default_rng(0)
    blank = np.zeros((1, 28, 28, 1), "float32")
    bar = blank.copy()
    bar[0, 10:13, 4:24] = 1.0
    noise = (rng.random((1, 28, 28, 1)) < 0.5).astype("float32")
    lengths = compressed_length(np.concatenate([blank, bar, noise]))
    assert lengths[0] < lengths[1] < lengths[2]
    assert lengths[2] - lengths[0] > 784 * 0.5 * np.log(2)  # random bits cannot be compressed
    assert compressed_length(np.zeros((2, 8, 8, 3))).shape == (2,)  # colour images too
    with pytest.raises(ValueError, match=r"Expected images \(N, H, W, 1\)"):
        compressed_length(np.zeros((28, 28)))


@pytest.fixture(scope="module")
def bars_model():
    """A small dense VAE trained a few epochs on binarised labelled bars."""
    keras.utils.set_random_seed(0)
    x, _ = labelled_bars(512, classes=4, seed=0)
    x = (x > 0.5).astype("float32")
    vae = keras_vae.build_vae("dense", (28, 28, 1), 4, hidden_units=(64,), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    vae.fit(x, epochs=4, batch_size=64, verbose=0)
    return vae


def test_per_image_scores_agree_with_the_bounds_they_come_from(bars_model):
    x, _ = labelled_bars(20, classes=4, seed=5)
    x = (x > 0.5).astype("float32")
    nll = iwae_nll_per_image(bars_model, x, k=50, seed=3)
    assert nll.shape == (20,)
    assert nll.mean() == pytest.approx(iwae_nll(bars_model, x, k=50, seed=3), rel=1e-9)
    # From the same 50 draws, Jensen: the mean of -log w is at least -log of the mean of w.
    elbo = negative_elbo_per_image(bars_model, x, draws=50, seed=3)
    np.testing.assert_array_less(nll - 1e-6, elbo)
    log_w = log_importance_weights(bars_model, x, 50, seed=3)
    np.testing.assert_allclose(elbo, -log_w.mean(axis=1), rtol=1e-9)
    complexity = anomaly_scores(bars_model, x, "complexity", draws=50, seed=3)
    np.testing.assert_allclose(complexity.columns["nll"], nll, rtol=1e-9)
    np.testing.assert_allclose(complexity.values, nll - compressed_length(x), rtol=1e-9)
    assert anomaly_scores(bars_model, x, "elbo").draws == 1  # the fast score's default


def test_the_complexity_score_flags_simpler_images_that_the_likelihood_prefers(bars_model):
    # Nalisnick et al.'s blind spot on a small scale: a model of two-bar images finds a
    # single short bar more likely than its own test images; the PNG length undoes it.
    normal, _ = labelled_bars(100, classes=4, seed=7)
    normal = (normal > 0.5).astype("float32")
    simple = np.zeros((100, 28, 28, 1), "float32")
    rows = np.random.default_rng(8).integers(4, 22, size=100)
    for image, row in zip(simple, rows, strict=True):
        image[row : row + 2, 10:18] = 1.0
    x = np.concatenate([normal, simple])
    anomalous = np.r_[np.zeros(100, bool), np.ones(100, bool)]
    scores = anomaly_scores(bars_model, x, "complexity", draws=20, seed=0)
    assert auroc(scores.columns["nll"], anomalous) < 0.5  # the raw likelihood gets it wrong
    assert auroc(scores.values, anomalous) > 0.8  # the corrected score gets it right (0.89-1)


def test_unknown_score_and_wrong_images_are_refused(bars_model):
    with pytest.raises(ValueError, match="Unknown score 'regret'; choose one of nll, elbo"):
        anomaly_scores(bars_model, np.zeros((2, 28, 28, 1)), "regret")
    with pytest.raises(ValueError, match="images to score"):
        anomaly_scores(bars_model, np.zeros((2, 14, 14, 1)))


def test_the_commands_choices_are_the_librarys_scores():
    score = main.get_command(None, "score")
    option = next(p for p in score.params if p.name == "score_name")
    assert tuple(option.type.choices) == SCORES


def _invoke(*args, code=0):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == code, result.output + repr(result.exception)
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(scope="module")
def run_without_3(tmp_path_factory):
    """A one-epoch run on labelled bars (4 classes) trained without class 3."""
    root = tmp_path_factory.mktemp("anomaly")
    data = write_labelled_npz(root / "bars.npz", 256, 64, classes=4)
    out = root / "run"
    _invoke("train", "--data", data, "--out", out, "--exclude-labels", 3, "--epochs", 1,
            "--hidden-units", 32, "--latent-dim", 3, "--binarize", "static")  # fmt: skip
    return data, out


def test_exclude_labels_drops_them_from_training_only(run_without_3):
    data, out = run_without_3
    config = keras_vae.training.config.read_config(out / "config.json")
    assert config.exclude_labels == (3,)
    (x_train, y_train), (x_test, y_test) = load_data(config)
    _, y_all = labelled_bars(256 + 64, classes=4)
    assert 3 not in set(y_train) and len(y_train) == int(np.sum(y_all[:256] != 3))
    assert 3 in set(y_test) and len(y_test) == 64  # the test set keeps the anomalies


def test_score_writes_one_row_per_test_image_and_the_auroc(run_without_3, tmp_path):
    data, out = run_without_3
    output = _invoke(
        *("score", out, "--score", "complexity", "--k", 5, "--out", tmp_path / "s.csv"),
        *("--anomalous-labels", 3, "--roc", tmp_path / "roc.png"),
    )
    with open(tmp_path / "s.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    _, y = labelled_bars(256 + 64, classes=4)
    assert len(rows) == 64
    assert list(rows[0]) == ["index", "label", "complexity", "nll", "png_nats"]
    assert [int(r["label"]) for r in rows] == list(y[256:])
    for r in rows:
        assert float(r["complexity"]) == pytest.approx(float(r["nll"]) - float(r["png_nats"]),
                                                       abs=2e-4)  # fmt: skip
    count = int(np.sum(y[256:] == 3))
    assert f"AUROC of labels 3 ({count} images) against the rest ({64 - count})" in output
    assert "complexity 0." in output and "nll 0." in output
    assert (tmp_path / "roc.png").read_bytes().startswith(PNG_MAGIC)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--roc", "r.png"], "--roc draws the ROC of --anomalous-labels"),
        (["--anomalous-labels", "7"], "marks 0 of 64 test images"),
        (["--anomalous-labels", "x"], "expected comma-separated integers >= 0"),
    ],
)
def test_score_refuses_what_it_cannot_do(run_without_3, tmp_path, args, message):
    _, out = run_without_3
    output = _invoke("score", out, "--out", tmp_path / "s.csv", *args, code=2)
    assert message in output


def test_exclude_labels_needs_labels_that_occur(tmp_path):
    data = write_labelled_npz(tmp_path / "bars.npz", 64, 16, classes=4)
    config = TrainingConfig(data=data, exclude_labels=(5,))
    with pytest.raises(ValueError, match="--exclude-labels 5: no training image has that label"):
        load_data(config)
    with pytest.raises(ValueError, match="drops every training image"):
        load_data(TrainingConfig(data=data, exclude_labels=(0, 1, 2, 3)))
    x = np.zeros((8, 28, 28), "uint8")
    np.savez(tmp_path / "unlabelled.npz", x_train=x, x_test=x)
    with pytest.raises(ValueError, match="needs the training images' labels"):
        load_data(TrainingConfig(data=tmp_path / "unlabelled.npz", exclude_labels=(1,)))


def test_the_simpler_images_example_swaps_the_test_nines_for_strokes(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = np.arange(40) % 10
    np.savez(tmp_path / "digits.npz", x_train=x[:20], y_train=y[:20], x_test=x[20:], y_test=y[20:])
    run_script(ROOT / "examples" / "simpler_images.py", "--data", tmp_path / "digits.npz",
               "--out", tmp_path / "s.npz", "--strokes", 30, monkeypatch=monkeypatch,
               capsys=capsys)  # fmt: skip
    written = np.load(tmp_path / "s.npz")
    np.testing.assert_array_equal(written["x_train"], x[:20])
    assert list(written["y_test"]) == [d for d in y[20:] if d != 9] + [10] * 30
    np.testing.assert_array_equal(written["x_test"][:18], x[20:][y[20:] != 9])
    strokes = written["x_test"][18:]
    assert set(np.unique(strokes)) == {0, 255}
    assert np.all((strokes > 0).sum(axis=(1, 2)) >= 12)  # at least one 6x2 stroke each
