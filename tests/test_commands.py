"""`keras-vae` generate, reconstruct, interpolate, plot, evaluate, train --resume: a tiny run."""

import csv
import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae import load_vae
from keras_vae.cli import main
from tests.helpers import run_script, synthetic_images

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def invoke_bad(*args):
    """Runs a command that must fail on its input: exit code 2, one line, no traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2, result.output + repr(result.exception)
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def read_log(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """A tiny labelled 28x28x1 dataset in Keras's npz layout."""
    x = (synthetic_images(320) * 255).astype("uint8")
    labels = np.arange(320) % 10
    path = tmp_path_factory.mktemp("data") / "strokes.npz"
    np.savez(path, x_train=x[:256], y_train=labels[:256], x_test=x[256:], y_test=labels[256:])
    return path


@pytest.fixture(scope="module")
def run(dataset, tmp_path_factory):
    """A two-epoch run of a tiny dense VAE (latent 3) trained with `keras-vae train`."""
    out = tmp_path_factory.mktemp("run")
    invoke(
        "train",
        *("--data", dataset, "--out", out, "--overwrite", "--epochs", 2, "--batch-size", 32),
        *("--hidden-units", 32, "--latent-dim", 3, "--checkpoint-every", 1),
    )
    return out


def test_generate_writes_a_grid_and_the_images(run, tmp_path):
    output = invoke(
        "generate", run / "model.keras", "-n", 10, "--out", tmp_path / "grid.png",
        "--npz", tmp_path / "s.npz", "--temperature", 0.5, "--seed", 3,
    )  # fmt: skip
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG_MAGIC
    samples = np.load(tmp_path / "s.npz")["x"]
    assert samples.shape == (10, 28, 28, 1) and 0 <= samples.min() <= samples.max() <= 1
    assert "wrote" in output
    # The same seed gives the same images; another seed others.
    invoke("generate", run / "model.keras", "-n", 10, "--out", tmp_path / "g2.png",
           "--npz", tmp_path / "same.npz", "--temperature", 0.5, "--seed", 3)  # fmt: skip
    np.testing.assert_allclose(np.load(tmp_path / "same.npz")["x"], samples, atol=1e-6)
    invoke("generate", run / "model.keras", "-n", 10, "--out", tmp_path / "g3.png",
           "--npz", tmp_path / "other.npz", "--temperature", 0.5, "--seed", 4)  # fmt: skip
    assert np.abs(np.load(tmp_path / "other.npz")["x"] - samples).max() > 1e-3


def test_generate_follows_the_latest_checkpoint_pointer(run, tmp_path):
    def samples(model):
        npz = tmp_path / "s.npz"
        invoke("generate", model, "-n", 4, "--out", tmp_path / "g.png", "--npz", npz, "--seed", 3)
        return np.load(npz)["x"]

    checkpoints = run / "checkpoints"
    assert (checkpoints / "latest").read_text() == "epoch_002.keras\n"
    newest = samples(checkpoints / "epoch_002.keras")
    # The two epochs' models differ, so agreeing with epoch 2 means the pointer was followed.
    assert np.abs(samples(checkpoints / "epoch_001.keras") - newest).max() > 1e-4
    np.testing.assert_array_equal(samples(checkpoints / "latest"), newest)
    np.testing.assert_array_equal(samples(checkpoints), newest)


def test_an_empty_checkpoints_directory_is_refused_with_the_fix(tmp_path):
    def refusal(model):
        arguments = ["generate", str(model), "--out", str(tmp_path / "g.png")]
        result = CliRunner().invoke(main, arguments)
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
        assert "names no checkpoint that exists" in result.output, result.output
        return result.output

    checkpoints = tmp_path / "run" / "checkpoints"
    checkpoints.mkdir(parents=True)
    assert ".keras file" in refusal(checkpoints)
    # A pointer naming a file that is gone is refused the same way, not loaded as a model.
    (checkpoints / "latest").write_text("epoch_009.keras\n")
    refusal(checkpoints / "latest")
    assert not (tmp_path / "g.png").exists()


def test_reconstruct_interpolate_and_plot(run, tmp_path):
    invoke("reconstruct", run / "model.keras", "--out", tmp_path / "r.png", "-n", 8)
    invoke(
        "interpolate", run / "model.keras", "--from", 2, "--to", 5, "--steps", 6,
        "--out", tmp_path / "i.png",
    )  # fmt: skip
    invoke("plot", run / "checkpoints" / "epoch_002.keras", "--out", tmp_path / "plots")
    for png in ("r.png", "i.png", "plots/latent_space.png", "plots/manifold.png",
                "plots/training_curves.png"):  # fmt: skip
        assert (tmp_path / png).read_bytes()[:8] == PNG_MAGIC, png
    assert not (tmp_path / "plots" / "pseudo_inputs.png").exists()  # a standard-normal prior


def test_evaluate_prints_a_table_and_writes_json(run, tmp_path):
    output = invoke(
        "evaluate", run / "model.keras", "--k", 20, "--generated", 100,
        "--iwae-images", 30, "--json", tmp_path / "e.json",
    )  # fmt: skip
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["test_images"] == 64 and report["iwae_k"] == 20 and report["iwae_images"] == 30
    assert report["iwae_nll"] < report["iwae_images_negative_elbo"]
    assert 0 <= report["active_units"] <= 3 and len(report["kl_per_dimension"]) == 3
    # Synthetic strokes are not MNIST: the MNIST classifier's FID and IS would mean nothing.
    assert report["classifier_fid"] is None and report["inception_score"] is None
    assert "MNIST only" in report["sample_quality_note"]
    # The run's own validation pass scored the same model on the same test set.
    last = read_log(run / "log.csv")[-1]
    assert report["negative_elbo"] == pytest.approx(float(last["val_loss"]), rel=0.05)
    assert "IWAE NLL (k=20, first 30 images)" in output
    assert "classifier FID / IS" in output and "MNIST only" in output
    # The -ELBO's posterior samples come from --seed: the same seed, the same figure.
    invoke("evaluate", run / "model.keras", "--k", 2, "--generated", 100, "--iwae-images", 2,
           "--json", tmp_path / "again.json")  # fmt: skip
    invoke("evaluate", run / "model.keras", "--k", 2, "--generated", 100, "--iwae-images", 2,
           "--json", tmp_path / "other.json", "--seed", 5)  # fmt: skip
    again = json.loads((tmp_path / "again.json").read_text())
    other = json.loads((tmp_path / "other.json").read_text())
    assert again["negative_elbo"] == report["negative_elbo"]
    assert other["negative_elbo"] != report["negative_elbo"]


def test_evaluate_scores_the_test_images_the_run_used(dataset, tmp_path):
    out = tmp_path / "limited"
    invoke("train", "--data", dataset, "--out", out, "--epochs", 1, "--batch-size", 16,
           "--hidden-units", 8, "--latent-dim", 2, "--limit", 40)  # fmt: skip
    invoke("evaluate", out / "model.keras", "--k", 2, "--generated", 100,
           "--json", tmp_path / "e.json")  # fmt: skip
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["test_images"] == 40  # --limit 40 of the 64, as in training's validation
    last = read_log(out / "log.csv")[-1]
    assert report["negative_elbo"] == pytest.approx(float(last["val_loss"]), rel=0.05)


@pytest.mark.slow
def test_evaluate_scores_sample_quality_on_mnist(mnist_npz, tmp_path):
    out = tmp_path / "mnist"
    invoke("train", "--data", mnist_npz, "--out", out, "--epochs", 1, "--hidden-units", 64,
           "--latent-dim", 4)  # fmt: skip
    invoke("evaluate", out / "model.keras", "--k", 2, "--generated", 500, "--iwae-images", 10,
           "--json", tmp_path / "e.json")  # fmt: skip
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["classifier_fid"] > 0 and 1.0 <= report["inception_score"] <= 10.0


def test_resume_continues_the_run_to_more_epochs(dataset, tmp_path):
    args = ("--data", dataset, "--batch-size", 64, "--hidden-units", 16, "--latent-dim", 2)
    out = tmp_path / "run"
    invoke("train", *args, "--out", out, "--epochs", 2, "--checkpoint-every", 1,
           "--warmup-steps", 20)  # fmt: skip
    before = load_vae(out / "model.keras")
    assert int(before.optimizer.iterations) == 8  # 256 images / 64, two epochs
    invoke("train", "--out", out, "--resume", "--epochs", 3)
    rows = read_log(out / "log.csv")
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    after = load_vae(out / "model.keras")
    # The optimizer's step count carried on, so a KL warm-up continues where it stopped.
    assert int(after.optimizer.iterations) == 12
    assert json.loads((out / "config.json").read_text())["epochs"] == 3
    output = invoke_bad("train", "--out", out, "--resume", "--epochs", 3)
    assert "already trained 3 epochs" in output
    # A 2-D latent is plotted directly, not through PCA.
    invoke("plot", out / "model.keras", "--out", out / "plots")
    assert (out / "plots" / "manifold.png").read_bytes()[:8] == PNG_MAGIC


def test_bad_model_files_exit_2(run, tmp_path):
    assert "No model at" in invoke_bad("generate", tmp_path / "missing.keras")
    (tmp_path / "text.keras").write_text("not a model")
    assert "not a .keras model file" in invoke_bad("evaluate", tmp_path / "text.keras")
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes((run / "model.keras").read_bytes()[:5000])
    assert "not a .keras model file" in invoke_bad("plot", truncated)
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other.save(tmp_path / "other.keras")
    assert "not a keras_vae VAE" in invoke_bad("reconstruct", tmp_path / "other.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "Could not load" in invoke_bad("generate", tmp_path / "empty.keras")


def test_bad_data_and_arguments_exit_2(run, tmp_path):
    rgb = np.zeros((4, 32, 32, 3))
    np.savez(tmp_path / "rgb.npz", x_train=rgb, x_test=rgb)
    output = invoke_bad("evaluate", run / "model.keras", "--data", tmp_path / "rgb.npz")
    assert "(28, 28, 1)" in output and "(32, 32, 3)" in output
    output = invoke_bad("interpolate", run / "model.keras", "--from", 0, "--to", 500)
    assert "out of range" in output
    assert "is a directory" in invoke_bad("generate", run / "model.keras", "--out", tmp_path)
    assert "--resume needs --out" in invoke_bad("train", "--resume")


@pytest.mark.parametrize("command", ["train", "generate", "reconstruct", "interpolate", "plot",
                                     "evaluate", "score", "list"])  # fmt: skip
def test_every_command_has_help_with_an_example(command):
    output = invoke(command, "--help")
    assert "Example: keras-vae " + command in output or "Example: KERAS_BACKEND" in output


def test_examples_generate_script_writes_a_sample_grid(run, tmp_path, monkeypatch, capsys):
    run_script(ROOT / "examples" / "generate.py", run / "model.keras", "--out",
               tmp_path / "grid.png", "-n", 16, monkeypatch=monkeypatch, capsys=capsys)  # fmt: skip
    assert (tmp_path / "grid.png").read_bytes()[:8] == PNG_MAGIC
