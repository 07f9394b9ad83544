"""Assertions shared by the tests."""

import json
import os
import runpy
import sys

import keras
import numpy as np


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def comparable_reconstruction(vae, x, labels=None):
    """Returns `vae.reconstruct(x)` as NumPy, every backend's alike: for an autoregressive
    likelihood, which draws with its backend's own random numbers, the mean fill instead."""
    if not vae.likelihood.autoregressive:
        return to_numpy(vae.reconstruct(x, labels=labels))
    z_mean, _ = vae.encode(x, labels)
    return to_numpy(vae.likelihood.mean(vae.decoder(z_mean)))


def assert_all_close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_numpy(actual), to_numpy(expected), rtol=rtol, atol=atol)


def assert_config_round_trip(obj):
    """get_config -> JSON -> Keras deserialisation gives an equal object of the same class."""
    serialized = keras.saving.serialize_keras_object(obj)
    restored = keras.saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert type(restored) is type(obj)
    assert restored.get_config() == obj.get_config()
    return restored


def backend_env(**extra):
    """Returns the environment for a subprocess on this test run's backend."""
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    env.pop("KERAS_VAE_DATA", None)  # the user's, not one a test passes in `extra`
    env.update(extra)
    return env


def synthetic_images(n, seed=0):
    """n synthetic 28x28x1 images in [0, 1]: a horizontal and a vertical bar, lightly noised."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 28, 28, 1), "float32")
    rows = rng.integers(4, 24, size=n)
    cols = rng.integers(4, 24, size=n)
    for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
        x[i, r - 3 : r + 3, 4:24, 0] = 0.9  # a bar
        x[i, 4:24, c - 2 : c + 2, 0] = 0.8
    return np.clip(x + rng.uniform(0, 0.1, x.shape).astype("float32"), 0.0, 1.0)


def write_strokes_npz(path, n_train, n_test):
    """Writes n_train + n_test synthetic images as uint8 in Keras's npz layout; returns `path`."""
    x = (synthetic_images(n_train + n_test) * 255).astype("uint8")
    np.savez(path, x_train=x[:n_train], x_test=x[n_train:])
    return path


def four_step_run(data, **options):
    """Returns TrainingConfig options of a tiny dense run on `data` (256 training images from
    `write_strokes_npz`): four steps an epoch at rate 0.01, a checkpoint each epoch."""
    return dict(data=data, hidden_units=(16,), latent_dim=2, batch_size=64, seed=5,
                checkpoint_every=1, learning_rate=0.01, verbose=0, **options)  # fmt: skip


def labelled_bars(n, classes=4, seed=0):
    """n synthetic 28x28x1 images and their labels: class k has a horizontal bar at rows
    4 + 5k .. 7 + 5k, and every image a vertical bar at a random column (its "style")."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, size=n)
    cols = rng.integers(4, 24, size=n)
    x = np.zeros((n, 28, 28, 1), "float32")
    for i, (k, c) in enumerate(zip(y, cols, strict=True)):
        x[i, 4 + 5 * k : 7 + 5 * k, 4:24, 0] = 0.9
        x[i, 4:24, c - 2 : c + 2, 0] = 0.8
    return np.clip(x + rng.uniform(0, 0.1, x.shape).astype("float32"), 0.0, 1.0), y


def write_labelled_npz(path, n_train, n_test, classes=4):
    """Writes `labelled_bars` as uint8 images with labels in Keras's npz layout; returns
    `path`."""
    x, y = labelled_bars(n_train + n_test, classes)
    x = (x * 255).astype("uint8")
    np.savez(path, x_train=x[:n_train], y_train=y[:n_train], x_test=x[n_train:], y_test=y[n_train:])
    return path


def run_script(path, *args, monkeypatch, capsys):
    """Runs the script at `path` in this process, as `python path args...` would; returns what
    it printed. (A script that is one click command needs no process of its own to be tested:
    that costs a Python start and a backend import, 3-5 s.)"""
    monkeypatch.setattr(sys, "argv", [str(path), *map(str, args)])
    code = 0
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as exit:  # click's commands end with sys.exit(0)
        code = exit.code or 0
    captured = capsys.readouterr()
    assert code == 0, captured.out[-3000:] + captured.err[-3000:]
    return captured.out
