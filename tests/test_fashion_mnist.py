"""Fashion-MNIST: read from Debian's package, and scored by its own shipped classifier, so that
classifier FID and IS work on it as on MNIST."""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.cli import main
from keras_vae.data import load_mnist
from keras_vae.data.fashion_mnist import (
    DataNotFoundError,
    is_fashion_mnist_test_set,
    load_fashion_mnist,
)
from keras_vae.evaluation import MNISTClassifier, fid


@pytest.fixture(scope="module")
def fashion():
    """Fashion-MNIST, or a skip where it is not installed (a failure under CI, which installs
    it)."""
    try:
        return load_fashion_mnist()
    except DataNotFoundError:
        if os.environ.get("CI"):
            raise
        pytest.skip("apt-get install dataset-fashion-mnist")


def test_a_missing_copy_says_how_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist(tmp_path / "nowhere")


def test_the_shipped_fashion_classifier_describes_clothes_not_digits(fashion, mnist_npz):
    (x_train, _), (x_test, y_test) = fashion
    assert x_test.shape == (10_000, 28, 28, 1) and is_fashion_mnist_test_set(x_test)
    assert not is_fashion_mnist_test_set(x_test[::-1])
    classifier = MNISTClassifier(dataset="fashion_mnist")
    assert classifier.accuracy(x_test, y_test) > 0.88
    # In its features, held-out clothes are close to the training clothes; digits far away.
    digits = load_mnist(mnist_npz)[1][0][:2000]
    same = fid(x_train[:2000], x_test[:2000], classifier)
    assert same < 0.1 * fid(digits, x_test[:2000], classifier)


def test_train_and_evaluate_on_fashion_mnist_score_classifier_fid(fashion, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--dataset", "fashion_mnist", "--limit", "512", "--epochs", "1",
         "--hidden-units", "32", "--latent-dim", "4", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report_file = tmp_path / "e.json"
    result = CliRunner().invoke(
        main,
        ["evaluate", str(out / "model.keras"), "--k", "2", "--generated", "500",
         "--json", str(report_file)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text())
    assert report["sample_quality_note"] is None and report["classifier"] == "fashion_mnist"
    assert np.isfinite(report["classifier_fid"]) and 1 <= report["inception_score"] <= 10
    assert "classifier FID (500 samples, prior; fashion_mnist classifier)" in result.output


def test_m2_trains_on_fashion_mnist_s_labels(fashion, tmp_path):
    out = tmp_path / "m2"
    result = CliRunner().invoke(
        main,
        ["train", "--dataset", "fashion_mnist", "--limit", "600", "--labelled", "50",
         "--epochs", "1", "--hidden-units", "32", "--latent-dim", "4", "--batch-size", "100",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "test error" in result.output
    result = CliRunner().invoke(main, ["classify", str(out), "--out", str(tmp_path / "c.csv")])
    assert result.exit_code == 0, result.output
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert len(rows) == 601 and rows[0].endswith(",p_9")  # ten classes of clothes
