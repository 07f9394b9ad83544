"""UncorrectedAdam, Adam as Kingma et al.'s 2014 code steps: its raw moment averages, no bias
correction; and the --uncorrected-adam flag that trains with it."""

import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.cli import main
from keras_vae.optimizers import UncorrectedAdam
from tests.helpers import backend_env, to_numpy, write_strokes_npz

ROOT = Path(__file__).resolve().parents[1]

GRADIENTS = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")


def steps_taken(optimizer):
    """The values of a variable started at 0 after each of GRADIENTS' steps."""
    variable = keras.Variable(np.zeros(3, "float32"))
    values = []
    for gradient in GRADIENTS:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
        values.append(to_numpy(variable).copy())
    return np.array(values)


def test_each_step_uses_the_raw_moment_averages():
    lr, b1, b2, eps = 1e-2, 0.9, 0.999, 1e-7
    m, v, w, expected = np.zeros(3), np.zeros(3), np.zeros(3), []
    for g in GRADIENTS.astype("float64"):  # dpkingma/nips14-ssl adam.py, step by step
        m += (1 - b1) * (g - m)
        v += (1 - b2) * (g**2 - v)
        w -= lr * m / (np.sqrt(v) + eps)
        expected.append(w.copy())
    taken = steps_taken(UncorrectedAdam(lr))
    np.testing.assert_allclose(taken, expected, rtol=1e-5, atol=1e-7)
    # Adam's first step is lr * sign(g); this one's (1 - b1) / sqrt(1 - b2) = 3.16 times it.
    first = steps_taken(keras.optimizers.Adam(lr))[0]
    np.testing.assert_allclose(taken[0] / first, (1 - b1) / np.sqrt(1 - b2), rtol=1e-4)


def test_it_round_trips_through_its_config():
    optimizer = keras.optimizers.deserialize(
        keras.optimizers.serialize(UncorrectedAdam(3e-4, beta_1=0.8))
    )
    assert isinstance(optimizer, UncorrectedAdam) and optimizer.beta_1 == 0.8
    with pytest.raises(ValueError, match="no AMSGrad"):
        UncorrectedAdam(amsgrad=True)


def test_the_flag_trains_with_it_and_a_resumed_run_keeps_it(tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=200, n_test=40)
    out = tmp_path / "run"
    common = ["train", "--data", str(data), "--batch-size", "100", "--hidden-units", "16",
              "--latent-dim", "2", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, [*common, "--epochs", "1", "--uncorrected-adam"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["uncorrected_adam"] is True
    result = CliRunner().invoke(main, [*common, "--epochs", "2", "--uncorrected-adam", "--resume"])
    assert result.exit_code == 0, result.output
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model.optimizer, UncorrectedAdam)
    assert int(to_numpy(model.optimizer.iterations)) == 4
    # A user's fresh process finds it by importing keras_vae, as it finds the model's classes.
    code = (
        "import keras, keras_vae\n"
        f"print(type(keras.models.load_model({str(out / 'model.keras')!r}).optimizer).__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=backend_env(), cwd=ROOT)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["UncorrectedAdam"]
