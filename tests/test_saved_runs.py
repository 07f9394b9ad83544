"""Runs written by earlier versions still load, evaluate and resume on every backend: keras_vae
0.1.0's (tests/fixtures/run_0_1_0, before the 0.2.0 package layout) and a conditional run of
0.2 with a validation split, written before the model families moved to keras_vae/models/
(tests/fixtures/run_0_2_0; tests/fixtures/make_run_fixture.py says how each was made)."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import pytest
from click.testing import CliRunner

from keras_vae import load_vae
from keras_vae.cli import main
from tests.helpers import backend_env

FIXTURES = Path(__file__).parent / "fixtures"


def copied_run(name, tmp_path, monkeypatch):
    """A copy of the run `name` and its dataset; the working directory is where it was made
    (its config.json names the data as strokes.npz, relative)."""
    shutil.copytree(FIXTURES / name, tmp_path / "old")
    monkeypatch.chdir(tmp_path / "old")
    return Path("run")


@pytest.fixture
def old_run(tmp_path, monkeypatch):
    return copied_run("run_0_1_0", tmp_path, monkeypatch)


@pytest.fixture
def conditional_run(tmp_path, monkeypatch):
    return copied_run("run_0_2_0", tmp_path, monkeypatch)


def rows(log):
    with open(log, newline="") as file:
        return list(csv.DictReader(file))


def test_the_model_and_its_checkpoints_load(old_run):
    model = load_vae(old_run / "model.keras")
    assert model.image_shape == (10, 10, 1) and model.latent_dim == 2
    assert model.dynamic_binarization and int(model.optimizer.iterations) == 8  # 2 epochs x 4
    for checkpoint in ("epoch_001.keras", "epoch_002.keras"):
        assert load_vae(old_run / "checkpoints" / checkpoint).latent_dim == 2


def test_keras_loads_it_after_a_bare_import_of_keras_vae(old_run):
    """No custom_objects: importing keras_vae registers the VAE and its loss terms with Keras,
    whichever of keras and keras_vae is imported first."""
    for imports in ("import keras_vae, keras", "import keras, keras_vae"):
        code = f"{imports}; m = keras.models.load_model('run/model.keras'); print(type(m).__name__)"
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=backend_env()
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == ["VAE"]


def test_evaluate_scores_it_as_its_run_did(old_run):
    result = CliRunner().invoke(
        main, ["evaluate", str(old_run / "model.keras"), "--k", "8", "--json", "eval.json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(Path("eval.json").read_text())
    last_validation = float(rows(old_run / "log.csv")[-1]["val_loss"])
    assert report["test_images"] == 32
    # Another draw of the posterior noise than the run's own validation pass: close, not equal.
    assert report["negative_elbo"] == pytest.approx(last_validation, rel=0.03)
    assert report["iwae_nll"] <= report["negative_elbo"] + 0.5
    assert report["classifier_fid"] is None  # 10x10 images are not MNIST


def test_resume_continues_it(old_run):
    before = rows(old_run / "log.csv")
    result = CliRunner().invoke(main, ["train", "--out", str(old_run), "--resume", "--epochs", "3"])
    assert result.exit_code == 0, result.output
    after = rows(old_run / "log.csv")
    assert after[:2] == before and [row["epoch"] for row in after] == ["0", "1", "2"]
    assert (old_run / "checkpoints" / "latest").read_text().strip() == "epoch_003.keras"
    model = keras.models.load_model(old_run / "model.keras")
    assert int(model.optimizer.iterations) == 12


def test_commands_take_the_run_directory(old_run):
    result = CliRunner().invoke(main, ["generate", str(old_run), "-n", "4", "--out", "g.png"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["plot", str(old_run), "--out", "plots"])
    assert result.exit_code == 0, result.output
    # The run was found from its directory: its log gave the training curves.
    assert sorted(p.name for p in Path("plots").iterdir()) == [
        "latent_space.png",
        "manifold.png",
        "training_curves.png",
    ]


def test_a_0_2_conditional_run_loads_with_its_labels_and_prior(conditional_run):
    for file in ("model.keras", "best.keras", "checkpoints/epoch_001.keras"):
        model = load_vae(conditional_run / file)
        assert model.labelling.num_classes == 3 and model.image_shape == (10, 10, 1)
        assert model.prior.components == 3  # --set prior.components=3
    assert int(model.optimizer.iterations) == 4  # epoch 1: 64 training images / 16


def test_a_0_2_conditional_run_evaluates_resumes_and_samples(conditional_run):
    result = CliRunner().invoke(
        main, ["evaluate", str(conditional_run), "--k", "8", "--json", "eval.json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(Path("eval.json").read_text())
    assert report["test_images"] == 32 and report["conditional"]
    assert report["iwae_nll"] <= report["negative_elbo"] + 0.5
    # The mixture per class is fitted to the training images less the 16 validated on.
    result = CliRunner().invoke(
        main,
        ["generate", str(conditional_run), "-n", "6", "--label", "2", "--out", "g.png",
         "--latent-sampler", "gmm", "--gmm-components", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "to 64 training codes" in result.output
    before = rows(conditional_run / "log.csv")
    result = CliRunner().invoke(
        main, ["train", "--out", str(conditional_run), "--resume", "--epochs", "3"]
    )
    assert result.exit_code == 0, result.output
    after = rows(conditional_run / "log.csv")
    assert after[:2] == before and [row["epoch"] for row in after] == ["0", "1", "2"]
    latest = conditional_run / "checkpoints" / "epoch_003.keras"
    assert (conditional_run / "checkpoints" / "latest").read_text().strip() == latest.name
    assert int(load_vae(latest).optimizer.iterations) == 12  # 3 epochs of 64 images / 16
