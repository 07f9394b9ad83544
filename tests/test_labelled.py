"""`train --labelled N`: a balanced, seeded labelled subset, batches that each hold labelled
images, and M2 trained from the command line; bad requests get errors naming the fix. Then the
trained M2 from the other commands: evaluate's classification error, classify's probabilities,
generate --label, and the explorer's plane coloured by predicted class."""

import csv
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.cli import main
from keras_vae.data.batch_order import BatchOrder
from keras_vae.data.labelled_subset import keep_balanced_labels, labelled_per_batch
from keras_vae.models.semi_supervised import SemiSupervisedVAE
from tests.helpers import labelled_bars, run_script, to_numpy, write_labelled_npz, write_strokes_npz


def test_the_labelled_subset_is_balanced_and_seeded():
    y = np.random.default_rng(0).integers(0, 10, 5000)
    kept = keep_balanced_labels(y, 100, seed=3)
    labelled = kept >= 0
    assert labelled.sum() == 100 and np.all(kept[labelled] == y[labelled])
    assert np.bincount(kept[labelled], minlength=10).tolist() == [10] * 10
    assert np.all(kept[~labelled] == -1)
    np.testing.assert_array_equal(keep_balanced_labels(y, 100, seed=3), kept)
    assert not np.array_equal(keep_balanced_labels(y, 100, seed=4), kept)
    uneven = keep_balanced_labels(y, 23, seed=0)
    assert np.bincount(uneven[uneven >= 0], minlength=10).tolist() == [3, 3, 3] + [2] * 7


def test_bad_labelled_requests_say_what_to_pass():
    y = np.array([0, 0, 0, 1, 1, 2, 2, 2, 2])
    with pytest.raises(ValueError, match="is more than the 9 training images"):
        keep_balanced_labels(y, 10)
    with pytest.raises(ValueError, match="fewer labels than the 3 classes"):
        keep_balanced_labels(y, 2)
    with pytest.raises(ValueError, match="class 1, which has only 2"):
        keep_balanced_labels(y, 9)
    with pytest.raises(ValueError, match="needs the dataset's labels"):
        keep_balanced_labels(None, 5)


def test_every_batch_holds_its_labelled_images():
    labelled = np.array([3, 50, 77, 120, 199])
    order = BatchOrder(205, 20, seed=1, labelled=labelled, labelled_per_batch=2)
    for epoch in (0, 1):
        seen = []
        indices = order.order(epoch)
        assert len(indices) == order.images_per_epoch == 205 and order.steps == 11
        for index in range(order.steps):
            batch = order.batch(indices, index)
            assert np.isin(batch, labelled).sum() == 2
            seen += batch[np.isin(batch, labelled)].tolist()
        np.testing.assert_array_equal(order.order(epoch), indices)  # (seed, epoch) decide it
        # Drawn in turn from shuffles of them: 22 draws, each labelled image 4 or 5 times.
        assert sorted(np.bincount(seen, minlength=200)[labelled]) == [4, 4, 4, 5, 5]
    halves = BatchOrder(205, 20, seed=1, part=(1, 2), replicas=2, labelled=labelled,
                        labelled_per_batch=2)  # fmt: skip
    first = order.batch(order.order(0), 0)
    np.testing.assert_array_equal(halves.batch(halves.order(0), 0), np.array_split(first, 2)[1])
    assert labelled_per_batch(100, 50_000, 100) == 1 and labelled_per_batch(1000, 50_000, 100) == 2


@pytest.fixture(scope="module")
def m2_run(tmp_path_factory):
    """A run of M2 trained from the CLI on labelled bars (20 labels of 600), and its output."""
    tmp_path = tmp_path_factory.mktemp("m2")
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=600, n_test=200)
    out = tmp_path / "m2"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--labelled", "20", "--labelled-per-batch", "4",
         "--classification-weight", "10", "--class-noise", "per_class", "--fixed-batches",
         "--latent-dim", "4", "--hidden-units", "64", "--batch-size", "50",
         "--learning-rate", "3e-3", "--epochs", "6", "--out", str(out)],
    )  # fmt: skip
    return out, data, result


def test_train_labelled_trains_m2_from_the_cli(m2_run):
    out, _, result = m2_run
    assert result.exit_code == 0, result.output
    assert "test error" in result.output
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, SemiSupervisedVAE) and model.classification_weight == 10
    assert model.class_noise == "per_class"
    assert json.loads((out / "config.json").read_text())["fixed_batches"] is True
    errors = [float(row["val_error"]) for row in csv.DictReader((out / "log.csv").open())]
    assert errors[-1] < 0.2 < errors[0] + 0.2, errors  # chance: 0.75


@pytest.mark.parametrize(
    ("data", "flags", "message"),
    [
        ("bars", ["--labelled", "1000"], "is more than the 60 training images"),
        ("bars", ["--labelled", "2"], "fewer labels than the 4 classes"),
        ("strokes", ["--labelled", "10"], "needs the dataset's labels"),
        ("bars", ["--labelled", "8", "--conditional"], "drop --conditional"),
        ("bars", ["--labelled", "8", "--labelled-per-batch", "30"], "between 1 and the batch"),
    ],
)
def test_bad_labelled_runs_are_refused_before_any_file(tmp_path, data, flags, message):
    path = (write_labelled_npz(tmp_path / "d.npz", 60, 20) if data == "bars"
            else write_strokes_npz(tmp_path / "d.npz", 60, 20))  # fmt: skip
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main, ["train", "--data", str(path), "--batch-size", "20", "--epochs", "1",
               "--out", str(out), *flags],
    )  # fmt: skip
    assert result.exit_code != 0 and message in result.output, result.output
    assert not (out / "model.keras").exists()


def test_evaluate_and_classify_report_the_classifier_s_error(m2_run, tmp_path):
    out, data, _ = m2_run
    report_file = tmp_path / "e.json"
    result = CliRunner().invoke(
        main, ["evaluate", str(out), "--k", "4", "--generated", "20", "--json", str(report_file)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(report_file.read_text())
    assert report["conditional"] is False  # M2's likelihoods are of x, y summed out
    assert "classification error" in result.output and "(of x given y)" not in result.output
    classes = tmp_path / "classes.csv"
    result = CliRunner().invoke(main, ["classify", str(out), "--out", str(classes)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(classes.open()))
    probabilities = np.array([[float(row[f"p_{k}"]) for k in range(4)] for row in rows])
    labels = np.array([int(row["label"]) for row in rows])
    predicted = np.array([int(row["predicted"]) for row in rows])
    assert len(rows) == 200 and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(predicted, probabilities.argmax(axis=1))
    error = np.mean(predicted != labels)
    assert report["classification_error"] == pytest.approx(error) and error < 0.2
    assert f"error {error:.2%}" in result.output


def test_generate_label_draws_that_class(m2_run, tmp_path):
    out, _, _ = m2_run
    samples = tmp_path / "s.npz"
    result = CliRunner().invoke(
        main, ["generate", str(out), "--label", "2", "-n", "40", "--out", str(tmp_path / "g.png"),
               "--npz", str(samples)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with np.load(samples) as drawn:
        rows = drawn["x"][..., 0].mean(axis=(0, 2))
    # Class k's horizontal bar spans rows 4 + 5k .. 6 + 5k (`labelled_bars`): for 2, 14 .. 16.
    assert sorted(np.argsort(rows)[-3:].tolist()) == [14, 15, 16], rows.round(2)


def test_generate_from_each_class_s_mixture_of_m2_s_codes(m2_run, tmp_path):
    # The mixtures are fitted to codes of the 20 labelled images' classes and, for the other
    # training images, of the classifier's.
    out, _, _ = m2_run
    samples = tmp_path / "s.npz"
    result = CliRunner().invoke(
        main, ["generate", str(out), "--label", "2", "-n", "40", "--latent-sampler", "gmm",
               "--gmm-components", "2", "--out", str(tmp_path / "g.png"), "--npz", str(samples)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "one per class to 600 training codes" in result.output
    with np.load(samples) as drawn:
        rows = drawn["x"][..., 0].mean(axis=(0, 2))
    assert sorted(np.argsort(rows)[-3:].tolist()) == [14, 15, 16], rows.round(2)


def test_the_explorer_colours_the_plane_by_predicted_class(m2_run):
    from keras_vae.explorer.latent_space import LatentSpace

    out, data, _ = m2_run
    model = keras.models.load_model(out / "model.keras")
    with np.load(data) as arrays:
        images = arrays["x_test"][:50].astype("float32") / 255
    scatter = LatentSpace(model, images).scatter()
    predicted = to_numpy(model.classify(images)).argmax(axis=1)
    assert scatter["coloured_by"] == "predicted class"
    assert scatter["labels"] == predicted.tolist()


def test_classify_needs_a_semi_supervised_model(tmp_path):
    data = write_labelled_npz(tmp_path / "d.npz", 60, 20)
    out = tmp_path / "vae"
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--batch-size", "20", "--epochs", "1",
               "--hidden-units", "8", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["classify", str(out)])
    assert result.exit_code != 0 and "train --labelled N" in result.output


def test_the_supervised_baseline_trains_on_the_labelled_images_alone(tmp_path, monkeypatch,
                                                                      capsys):  # fmt: skip
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=600, n_test=200)
    report = tmp_path / "b.json"
    script = Path(__file__).parents[1] / "scripts" / "supervised_baseline.py"
    printed = run_script(script, "--data", data, "--labelled", "20", "--hidden-units", "64",
                         "--epochs", "60", "--learning-rate", "3e-3", "--json", report,
                         monkeypatch=monkeypatch, capsys=capsys)  # fmt: skip
    result = json.loads(report.read_text())
    assert f"test error {result['test_error']:.2%}" in printed
    assert result["labelled"] == 20 and result["test_error"] < 0.5  # chance: 0.75
    run_script(script, "--data", data, "--labelled", "4", "--hidden-units", "64", "--epochs",
               "60", "--learning-rate", "3e-3", "--json", report, monkeypatch=monkeypatch,
               capsys=capsys)  # fmt: skip
    assert json.loads(report.read_text())["test_error"] > result["test_error"]  # 1 per class


def test_m2_trains_on_a_folder_whose_sub_folders_are_the_classes(tmp_path):
    from PIL import Image

    x, y = labelled_bars(120, classes=3)
    for number, (image, label) in enumerate(zip(x, y, strict=True)):
        folder = tmp_path / "bars" / f"class_{label}"
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray((image[..., 0] * 255).astype("uint8")).save(folder / f"{number}.png")
    out = tmp_path / "m2"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(tmp_path / "bars"), "--test-split", "0.25", "--labelled", "9",
         "--epochs", "1", "--hidden-units", "16", "--latent-dim", "2", "--batch-size", "30",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, SemiSupervisedVAE) and model.num_classes == 3
    result = CliRunner().invoke(main, ["evaluate", str(out), "--k", "2"])
    assert result.exit_code == 0, result.output
    assert "classification error" in result.output
