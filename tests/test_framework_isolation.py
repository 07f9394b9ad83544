"""framework_isolation: Keras's seeding without TensorFlow, and a run that imports only its
backend's framework."""

import random
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_vae.framework_isolation import set_random_seed
from tests.helpers import backend_env, write_strokes_npz

# The frameworks a run on each backend must not import. Keras itself imports JAX, where it
# is installed, at `import keras` on every backend (keras/src/callbacks/orbax_checkpoint.py,
# Keras 3.15), before any keras_vae code runs: a PyTorch run cannot avoid that one.
NOT_IMPORTED = {"jax": ("tensorflow", "torch"), "torch": ("tensorflow",)}


def _draws():
    """Weights Keras's default initialisers draw, and a Python, NumPy and keras.random draw."""
    layer = keras.layers.Dense(5)
    layer.build((None, 3))
    return (
        keras.ops.convert_to_numpy(layer.kernel),
        random.random(),
        np.random.random(),
        keras.ops.convert_to_numpy(keras.random.normal((4,))),
    )


@pytest.mark.parametrize("seed", [0, 7])
def test_seeding_draws_what_keras_set_random_seed_draws(seed):
    keras.utils.set_random_seed(seed)
    _draws()  # the global seed generator is now in use: the next seeding must reset it
    keras.utils.set_random_seed(seed)
    want = _draws()
    set_random_seed(seed + 1)
    _draws()
    set_random_seed(seed)
    got = _draws()
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_seeding_refuses_what_is_not_an_int():
    with pytest.raises(ValueError, match="seed must be an int"):
        set_random_seed(1.5)


@pytest.mark.skipif(
    keras.backend.backend() == "tensorflow", reason="a TensorFlow run imports TensorFlow"
)
def test_a_training_run_imports_no_other_framework(tmp_path):
    # Each tox env installs one framework, so stand-ins play the others: importing one fails
    # the run (an ImportError would be caught as "not installed"; this error is not).
    stand_ins = tmp_path / "stand_ins"
    for name in NOT_IMPORTED[keras.backend.backend()]:
        (stand_ins / name).mkdir(parents=True)
        (stand_ins / name / "__init__.py").write_text(
            f"raise RuntimeError('the {name} stand-in was imported')\n"
        )
    data = write_strokes_npz(tmp_path / "strokes.npz", 256, 64)
    env = backend_env(PYTHONPATH=f"{stand_ins}:{':'.join(sys.path)}")
    command = [sys.executable, "-m", "keras_vae", "train", "--data", str(data), "--epochs", "1"]
    command += ["--hidden-units", "16", "--latent-dim", "2", "--out", str(tmp_path / "run")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "run" / "model.keras").exists()
