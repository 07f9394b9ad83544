"""The `keras-vae` command and `examples/train_mnist.py`, run as a user runs them."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from tests.helpers import backend_env, run_script, write_strokes_npz

ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_version_and_list():
    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0 and keras_vae.__version__ in result.output
    result = runner.invoke(main, ["list"])
    assert result.exit_code == 0
    assert "architectures: conv, conv_hvae, dense, gated_dense, hvae, resnet" in result.output
    assert "priors: mixture_of_gaussians, standard_normal, vamp" in result.output
    assert "objectives: elbo, iwae" in result.output
    assert "beta_tc" in result.output and "mmd" in result.output
    assert "bernoulli" in result.output and "kl" in result.output


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run(
        [sys.executable, "-m", "keras_vae", "list"],
        capture_output=True,
        text=True,
        env=backend_env(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "resnet" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--architecture", "resent"], "Did you mean 'resnet'"),
        (["--likelihood", "bernouli"], "Did you mean 'bernoulli'"),
        (["--hidden-units", "400,x"], "comma-separated integers"),
        (["--latent-dim", "0"], "latent-dim"),
        (["--data", "/no/such/file.npz"], "does not exist"),
    ],
)
def test_bad_train_arguments_exit_2_with_a_one_line_reason(args, message):
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_train_refuses_to_overwrite_a_previous_run(tmp_path):
    (tmp_path / "log.csv").write_text("epoch,loss\n")
    result = CliRunner().invoke(main, ["train", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--overwrite" in result.output
    assert (tmp_path / "log.csv").read_text() == "epoch,loss\n"


def run_example(*args, env=None):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "train_mnist.py"), *args],
        capture_output=True,
        text=True,
        env=env or backend_env(),
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def check_run_directory(out, epochs):
    with open(out / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == list(range(epochs))
    assert {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"} <= set(
        rows[0]
    )
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    for name in ("samples.png", "reconstructions.png", "training_curves.png"):
        assert (out / name).read_bytes()[:8] == PNG_MAGIC, name
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == [
        *(f"epoch_{e:03d}.keras" for e in range(1, epochs + 1)),
        "latest",
    ]
    return keras.models.load_model(out / "model.keras")


def test_example_trains_on_any_npz_dataset(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(300, 12, 12, 3)) < 0.3).astype("uint8") * 255
    np.savez(tmp_path / "colour.npz", x_train=x[:256], x_test=x[256:])
    out = tmp_path / "run"
    # In this process (the next test runs the script in its own, as the README does).
    stdout = run_script(
        ROOT / "examples" / "train_mnist.py",
        *("--data", tmp_path / "colour.npz", "--architecture", "conv", "--filters", "4,8"),
        *("--latent-dim", 3, "--epochs", 2, "--batch-size", 32, "--checkpoint-every", 1),
        *("--out", out),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    model = check_run_directory(out, epochs=2)
    assert model.image_shape == (12, 12, 3)
    assert re.search(r"test -ELBO\s+[\d.]+ nats", stdout)


def test_example_trains_on_a_subset_of_real_mnist(tmp_path, mnist_npz):
    out = tmp_path / "run"
    stdout = run_example(
        "--hidden-units",
        "64",
        "--latent-dim",
        "4",
        "--limit",
        "1024",
        "--epochs",
        "2",
        "--checkpoint-every",
        "1",
        "--binarize",
        "dynamic",
        "--out",
        str(out),
        env=backend_env(KERAS_VAE_DATA=str(mnist_npz)),
    )
    model = check_run_directory(out, epochs=2)
    assert model.dynamic_binarization
    test_elbo = float(re.search(r"test -ELBO\s+([\d.]+) nats", stdout).group(1))
    assert 100 < test_elbo < 544  # below the 784 * log(2) of an untrained model


@pytest.mark.slow
def test_classic_784_400_20_matches_the_pytorch_example(tmp_path, mnist_npz):
    """Full MNIST, 10 epochs; the PyTorch example reaches 105.5-105.8 nats here (seeds 1-3)."""
    stdout = run_example(
        "--hidden-units",
        "400",
        "--latent-dim",
        "20",
        "--epochs",
        "10",
        "--out",
        str(tmp_path / "run"),
        env=backend_env(KERAS_VAE_DATA=str(mnist_npz)),
    )
    test_elbo = float(re.search(r"test -ELBO\s+([\d.]+) nats", stdout).group(1))
    assert test_elbo < 106.3


def test_a_bad_dataset_is_a_one_line_error_with_exit_2(tmp_path):
    np.savez(tmp_path / "bad.npz", x_train=np.full((4, 5, 5), 300.0), x_test=np.zeros((2, 5, 5)))
    result = CliRunner().invoke(
        main, ["train", "--data", str(tmp_path / "bad.npz"), "--out", str(tmp_path / "run")]
    )
    assert result.exit_code == 2
    assert "divide 0..255 images by 255" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--prior", "vamp", "--free-bits", "0.5"], "factorise"),
        (["--objective", "beta_tc", "--prior", "mixture_of_gaussians"], "factorise"),
        (["--objective", "iwae", "--warmup-steps", "10"], "trains its own bound"),
        (
            ["--prior-components", "5"],
            "--prior-components does not apply to the standard_normal "
            "prior: it has no 'components' option",
        ),
        (
            ["--objective", "beta_tc", "--warmup-steps", "5"],
            "--warmup-steps does not apply to the beta_tc kl",
        ),
        (["--k", "7"], "--k does not apply to the elbo objective"),
        (["--mmd-weight", "3"], "applies to the mmd term, which this run does not have"),
        (["--objective", "gaussian"], "gaussian is a likelihood, not an objective"),
        (
            ["--objective", "bogus"],
            "Registered objectives: elbo, iwae; loss terms that shape the ELBO: beta_tc, kl, mmd",
        ),
        (["--prior", "vampp"], "Did you mean 'vamp'"),
        (["--early-stopping", "3"], "--validation-split"),
        (["--validation-split", "5000"], "validation_split 5000.0 holds out"),
    ],
)
def test_train_refuses_settings_that_do_not_go_together(args, message, tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=100, n_test=20)
    out = tmp_path / "run"
    out.mkdir()
    (out / "model.keras").write_bytes(b"an earlier run's model")
    args = [*args, "--overwrite"]
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--out", str(out), "--batch-size", "20", *args]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert (out / "model.keras").read_bytes() == b"an earlier run's model"  # nothing lost


def test_train_a_vamp_prior_with_the_iwae_objective_from_the_command_line(tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=200, n_test=40)
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--out", str(out), "--prior", "vamp",
         "--prior-components", "6", "--objective", "iwae", "--k", "3", "--hidden-units", "16",
         "--latent-dim", "2", "--epochs", "2", "--batch-size", "50", "--validation-split", "50"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "validation iwae" in result.output
    # An IWAE-trained model is chosen by the bound it optimises.
    assert "(lowest validation iwae)" in result.output
    model = keras_vae.load_vae(out)
    assert model.prior.components == 6 and model.objective.k == 3
    assert "iwae" in (out / "log.csv").read_text().splitlines()[0]
    result = CliRunner().invoke(main, ["plot", str(out), "--out", str(tmp_path / "plots")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plots" / "pseudo_inputs.png").read_bytes().startswith(PNG_MAGIC)
