"""The learning rate's final decay: its values, a run that follows it, and resumed runs."""

import csv
import os

import numpy as np
import pytest

from keras_vae import load_vae
from keras_vae.training import TrainingConfig, train
from keras_vae.training.callbacks import decayed_learning_rate
from tests.helpers import four_step_run, write_strokes_npz


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_strokes_npz(tmp_path_factory.mktemp("data") / "strokes.npz", 256, 64)


def learning_rate(path):
    return float(np.asarray(load_vae(path).optimizer.learning_rate))


def test_the_rate_is_constant_then_falls_along_a_half_cosine():
    rates = [decayed_learning_rate(1.0, epoch, 10, 4) for epoch in range(10)]
    assert rates[:6] == [1.0] * 6
    # cos at the middle of each of the last four epochs: pi/8, 3pi/8, 5pi/8, 7pi/8
    np.testing.assert_allclose(rates[6:], [0.96194, 0.69134, 0.30866, 0.03806], atol=1e-5)
    assert [decayed_learning_rate(1.0, epoch, 10, 0) for epoch in range(10)] == [1.0] * 10
    # Every epoch of a run that decays throughout trains at a rate above zero.
    assert min(decayed_learning_rate(1.0, epoch, 3, 3) for epoch in range(3)) > 0


def test_a_run_trains_each_epoch_at_its_rate(dataset, tmp_path):
    run = tmp_path / "run"
    train(TrainingConfig(out=run, epochs=3, learning_rate_decay_epochs=2, **four_step_run(dataset)))
    rates = [learning_rate(run / "checkpoints" / f"epoch_00{n}.keras") for n in (1, 2, 3)]
    np.testing.assert_allclose(rates, [0.01, 0.01 * 0.85355, 0.01 * 0.14645], rtol=1e-4)
    with open(run / "log.csv", newline="") as f:
        assert "learning_rate" not in next(csv.reader(f))  # the log keeps its columns

    # Resumed without a decay, the run goes back to the constant rate its optimizer lost.
    train(TrainingConfig(out=run, epochs=4, **four_step_run(dataset)), resume=True)
    assert learning_rate(run / "checkpoints" / "epoch_004.keras") == pytest.approx(0.01)


def test_a_decay_added_on_resume_matches_one_run_with_it(dataset, tmp_path):
    """Resuming a constant-rate run before its last epochs with a decay gives the weights of a
    run that had the decay from the start (the README's hierarchy rows were made so)."""
    decayed = four_step_run(dataset, learning_rate_decay_epochs=2)
    train(TrainingConfig(out=tmp_path / "one", epochs=4, **decayed))
    train(TrainingConfig(out=tmp_path / "two", epochs=2, **four_step_run(dataset)))
    os.remove(tmp_path / "two" / "model.keras")  # resume from the checkpoint alone
    train(TrainingConfig(out=tmp_path / "two", epochs=4, **decayed), resume=True)
    one = load_vae(tmp_path / "one" / "model.keras").get_weights()
    two = load_vae(tmp_path / "two" / "model.keras").get_weights()
    for got, want in zip(two, one, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # ... and differs from a run without it: the decay changes the training.
    train(TrainingConfig(out=tmp_path / "flat", epochs=4, **four_step_run(dataset)))
    flat = load_vae(tmp_path / "flat" / "model.keras").get_weights()
    assert max(np.abs(a - b).max() for a, b in zip(flat, one, strict=True)) > 1e-4


def test_a_decay_longer_than_the_run_anneals_all_of_it(dataset, tmp_path):
    """A preset's 50-epoch anneal on a 2-epoch try anneals both epochs, as a 2-epoch decay."""
    assert [decayed_learning_rate(1.0, epoch, 2, 50) for epoch in range(2)] == [
        decayed_learning_rate(1.0, epoch, 2, 2) for epoch in range(2)
    ]
    train(TrainingConfig(out=tmp_path / "run", epochs=2, learning_rate_decay_epochs=50,
                         **four_step_run(dataset)))  # fmt: skip
    rates = [learning_rate(tmp_path / "run" / "checkpoints" / f"epoch_00{n}.keras") for n in (1, 2)]
    np.testing.assert_allclose(rates, [0.01 * 0.85355, 0.01 * 0.14645], rtol=1e-4)
