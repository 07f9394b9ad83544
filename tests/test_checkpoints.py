"""Checkpoints survive kills; resume continues the run exactly; a NaN stops training cleanly."""

import csv
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae import build_vae, load_vae
from keras_vae.atomic_files import save_atomically
from keras_vae.cli import main
from keras_vae.training import TrainingConfig, TrainingDiverged, train
from keras_vae.training.checkpoints import latest_checkpoint, save_checkpoint
from tests.helpers import backend_env, write_strokes_npz

# Resumed and uninterrupted runs do the same float32 operations in the same order on one CPU
# process, so the weights agree to the last bit on every backend we test; the tolerance only
# allows for a BLAS that splits work differently between two processes.
WEIGHT_TOLERANCE = {"rtol": 1e-6, "atol": 1e-7}


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_strokes_npz(tmp_path_factory.mktemp("data") / "strokes.npz", 256, 64)


def read_epochs(path):
    with open(path, newline="") as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def weights(path):
    return [np.asarray(w) for w in load_vae(path).get_weights()]


def test_checkpoints_are_written_whole_and_latest_names_the_newest(tmp_path):
    model = build_vae("dense", latent_dim=2, hidden_units=(8,))
    model.compile(optimizer="adam")
    model.optimizer.build(model.trainable_variables)
    assert latest_checkpoint(tmp_path) is None
    save_checkpoint(model, tmp_path, 1)
    save_checkpoint(model, tmp_path, 2)
    assert (tmp_path / "latest").read_text() == "epoch_002.keras\n"
    assert latest_checkpoint(tmp_path) == tmp_path / "epoch_002.keras"
    # Nothing temporary is left beside them, and each loads.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "epoch_001.keras",
        "epoch_002.keras",
        "latest",
    ]
    load_vae(tmp_path / "epoch_001.keras")

    # A save that fails half-way leaves the previous file as it was.
    before = (tmp_path / "epoch_002.keras").read_bytes()

    class Unsaveable:
        def save(self, path):
            with open(path, "wb") as f:
                f.write(b"PK half a zip")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        save_atomically(Unsaveable(), tmp_path / "epoch_002.keras")
    assert (tmp_path / "epoch_002.keras").read_bytes() == before
    assert len(list(tmp_path.iterdir())) == 3


def test_a_run_killed_mid_training_resumes_to_the_same_weights(dataset, tmp_path):
    args = ["train", "--data", str(dataset), "--hidden-units", "16", "--latent-dim", "2"]
    args += ["--batch-size", "32", "--epochs", "12", "--seed", "3", "--checkpoint-every", "1"]
    args += ["--warmup-steps", "50", "--binarize", "dynamic"]
    env = backend_env()

    # The uninterrupted run needs no process of its own (that saves starting one).
    reference = tmp_path / "uninterrupted"
    result = CliRunner().invoke(main, [*args, "--out", str(reference)])
    assert result.exit_code == 0, result.output

    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "keras_vae", *args, "--out", str(killed)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 300
    while not (killed / "checkpoints" / "latest").exists():
        assert process.poll() is None, "the run ended before writing a checkpoint"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (killed / "model.keras").exists(), "the kill came too late to test anything"
    kept = latest_checkpoint(killed / "checkpoints")
    load_vae(kept)  # the pointer names a whole checkpoint, whenever the kill came

    resume = [sys.executable, "-m", "keras_vae", "train", "--out", str(killed), "--resume"]
    done = subprocess.run(resume, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert read_epochs(killed / "log.csv") == list(range(12))
    resumed = load_vae(killed / "model.keras")
    assert int(resumed.optimizer.iterations) == 12 * 8
    for got, want in zip(weights(killed / "model.keras"), weights(reference / "model.keras"),
                         strict=True):  # fmt: skip
        np.testing.assert_allclose(got, want, **WEIGHT_TOLERANCE)


def test_a_nan_loss_stops_training_names_the_step_and_keeps_the_last_good_checkpoint(
    dataset, tmp_path
):
    # Adam's first step moves every weight by about the learning rate: 1e30 makes the second
    # forward pass overflow. One batch per epoch, so epoch 1 ends finite and is checkpointed.
    config = TrainingConfig(
        data=dataset, out=tmp_path / "run", hidden_units=(16,), latent_dim=2, batch_size=256,
        learning_rate=1e30, epochs=5, checkpoint_every=1, verbose=0,
    )  # fmt: skip
    with pytest.raises(TrainingDiverged) as error:
        train(config)
    message = str(error.value)
    assert "at step 2 (epoch 2, batch 1)" in message
    assert "learning rate" in message and "epoch_001.keras" in message
    run = tmp_path / "run"
    assert latest_checkpoint(run / "checkpoints") == run / "checkpoints" / "epoch_001.keras"
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_001.keras", "latest"]
    assert not (run / "model.keras").exists()
    assert all(np.isfinite(w).all() for w in weights(run / "checkpoints" / "epoch_001.keras"))

    # The command line says the same and exits non-zero (3), without a traceback.
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(dataset), "--out", str(tmp_path / "cli"), "--hidden-units", "16",
         "--batch-size", "256", "--learning-rate", "1e30", "--epochs", "3", "--checkpoint-every",
         "1"],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "at step 2" in result.output and "Traceback" not in result.output


def test_resume_in_process_matches_one_run(dataset, tmp_path):
    """The same guarantee as the kill test, cheaply: stop after 2 epochs, resume to 4."""
    common = dict(data=dataset, hidden_units=(16,), latent_dim=2, batch_size=64, seed=5,
                  checkpoint_every=1, warmup_steps=10, verbose=0)  # fmt: skip
    keras.utils.set_random_seed(0)
    train(TrainingConfig(out=tmp_path / "one", epochs=4, **common))
    train(TrainingConfig(out=tmp_path / "two", epochs=2, **common))
    os.remove(tmp_path / "two" / "model.keras")  # resume from the checkpoint alone
    train(TrainingConfig(out=tmp_path / "two", epochs=4, **common), resume=True)
    assert read_epochs(tmp_path / "two" / "log.csv") == [0, 1, 2, 3]
    for got, want in zip(weights(tmp_path / "two" / "model.keras"),
                         weights(tmp_path / "one" / "model.keras"), strict=True):  # fmt: skip
        np.testing.assert_allclose(got, want, **WEIGHT_TOLERANCE)


def test_overwrite_removes_the_earlier_run_before_training(dataset, tmp_path):
    run = tmp_path / "run"
    args = ["train", "--data", str(dataset), "--hidden-units", "16", "--batch-size", "32"]
    args += ["--out", str(run)]
    first = CliRunner().invoke(main, [*args, "--latent-dim", "2", "--epochs", "2",
                                      "--checkpoint-every", "1"])  # fmt: skip
    assert first.exit_code == 0, first.output
    (run / "notes.txt").write_text("mine")  # not a file of the run: overwrite keeps it

    # A new run over it is killed (a process of its own) before its first checkpoint.
    command = [sys.executable, "-m", "keras_vae", *args, "--overwrite", "--latent-dim", "3"]
    command += ["--epochs", "50", "--checkpoint-every", "50"]
    process = subprocess.Popen(command, env=backend_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 300
    while '"latent_dim": 3' not in _text_or_empty(run / "config.json"):
        assert process.poll() is None, "the new run ended early"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Nothing of the old run is left to be resumed under the new run's config.
    assert not (run / "model.keras").exists()
    assert not list((run / "checkpoints").glob("epoch_*.keras"))
    assert not (run / "log.csv").exists() or read_epochs(run / "log.csv") == []
    assert (run / "notes.txt").read_text() == "mine"
    assert not list(run.glob(".replaced-*"))
    result = CliRunner().invoke(main, ["train", "--out", str(run), "--resume"])
    assert result.exit_code == 2 and "Nothing to resume" in result.output, result.output


def _text_or_empty(path):
    try:
        return path.read_text()
    except FileNotFoundError:
        return ""


def test_the_checkpoint_fallback_orders_epochs_by_number(tmp_path):
    for epoch in (998, 999, 1000):
        (tmp_path / f"epoch_{epoch:03d}.keras").write_bytes(b"")
    assert latest_checkpoint(tmp_path) == tmp_path / "epoch_1000.keras"


def test_resume_skips_a_damaged_checkpoint_and_keeps_it_for_inspection(dataset, tmp_path):
    common = dict(data=dataset, hidden_units=(16,), latent_dim=2, batch_size=64, seed=5,
                  checkpoint_every=1, verbose=0)  # fmt: skip
    run = tmp_path / "run"
    train(TrainingConfig(out=run, epochs=3, **common))
    damaged = run / "checkpoints" / "epoch_003.keras"
    damaged.write_bytes(damaged.read_bytes()[:1000])  # a disk that filled up, say
    os.remove(run / "model.keras")
    with pytest.warns(UserWarning, match="epoch_003.keras"):
        result = train(TrainingConfig(out=run, epochs=4, **common), resume=True)
    # Resumed from epoch 2 (the newest intact checkpoint); the log has each epoch once.
    assert read_epochs(run / "log.csv") == [0, 1, 2, 3]
    assert int(result.model.optimizer.iterations) == 4 * 4  # 256 images / 64, four epochs
    assert (run / "checkpoints" / "epoch_003.keras.damaged").stat().st_size == 1000
    assert latest_checkpoint(run / "checkpoints") == run / "checkpoints" / "epoch_004.keras"
    load_vae(run / "checkpoints" / "epoch_003.keras")  # rewritten by the resumed run


def test_resume_refuses_options_that_change_the_run(dataset, tmp_path):
    out = tmp_path / "run"
    base = ["train", "--data", str(dataset), "--out", str(out), "--hidden-units", "16",
            "--latent-dim", "2", "--batch-size", "64", "--epochs", "1"]  # fmt: skip
    assert CliRunner().invoke(main, base).exit_code == 0
    before = (out / "config.json").read_text()
    changed = ["--latent-dim", "8", "--likelihood", "gaussian"]
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", *changed])
    assert result.exit_code == 2, result.output
    assert "--latent-dim 8 (the run has 2)" in result.output
    assert "--likelihood gaussian (the run has bernoulli)" in result.output
    changeable = "only --learning-rate-decay-epochs, --clip-norm, --epochs, --stream, "
    assert changeable in result.output
    assert (out / "config.json").read_text() == before  # nothing touched
    assert read_epochs(out / "log.csv") == [0]
    # Options that leave the model, data and objective alone may change.
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", "--epochs", "2",
                                       "--checkpoint-every", "1", "--latent-dim", "2",
                                       "--learning-rate-decay-epochs", "1"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_epochs(out / "log.csv") == [0, 1]


def test_config_json_is_replaced_atomically(tmp_path, monkeypatch):
    from keras_vae import atomic_files
    from keras_vae.training.config import write_config

    path = tmp_path / "config.json"
    write_config(TrainingConfig(latent_dim=2), path, "jax")
    before = path.read_text()

    def crash(*args):  # a kill between writing the new file and renaming it into place
        raise OSError("killed")

    monkeypatch.setattr(atomic_files.os, "replace", crash)
    with pytest.raises(OSError, match="killed"):
        write_config(TrainingConfig(latent_dim=5), path, "jax")
    assert path.read_text() == before
