"""Proof from outside: a plugin package, installed with pip, adds a prior with a hyperparameter.

tests/plugin_example is a distribution of its own (one module and its pyproject.toml) whose
entry point registers the prior `scaled_normal`. Installed, it trains from the command line with
`--set prior.scale=...`, and a model saved on one backend loads on every other.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from keras_vae.registry import get_registry
from tests.helpers import synthetic_images

PLUGIN = Path(__file__).parent / "plugin_example"
FIXTURES = Path(__file__).parent / "fixtures"
CODES = np.array([[0.0, 0.0], [0.5, -1.0], [-2.0, 1.5]], "float32")


def write_small_npz(path: Path) -> Path:
    """Writes 12x12 crops of the synthetic strokes (64 train, 32 test): a model small enough
    to keep as a fixture."""
    x = (synthetic_images(96)[:, 8:20, 8:20] * 255).astype("uint8")
    np.savez(path, x_train=x[:64], x_test=x[64:])
    return path


def train_command(data: Path, out: Path) -> list[str]:
    """`keras-vae train` of a small model with the plugin's prior, its scale set to 0.5."""
    return [sys.executable, "-m", "keras_vae", "train", "--data", str(data), "--epochs", "1",
            "--batch-size", "32", "--latent-dim", "2", "--hidden-units", "8",
            "--prior", "scaled_normal", "--set", "prior.scale=0.5", "--out", str(out)]  # fmt: skip


def install_plugin(tmp: Path) -> Path:
    """Installs tests/plugin_example with pip into a folder under `tmp`; returns the folder."""
    source, site = tmp / "plugin_source", tmp / "site"
    shutil.copytree(PLUGIN, source)  # pip builds in the source folder: not in the checkout
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
               "--no-build-isolation", "--target", str(site), str(source)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return site


@contextlib.contextmanager
def plugin_on_path(site: Path):
    """Puts the installed plugin on sys.path, and lets the prior registry find it again."""
    registry = get_registry("prior")
    saved = (dict(registry._entries), registry._plugins_loaded)
    sys.path.insert(0, str(site))
    registry._plugins_loaded = False
    try:
        yield
    finally:
        sys.path.remove(str(site))
        registry._entries, registry._plugins_loaded = saved
        sys.modules.pop("keras_vae_plugin_example", None)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return install_plugin(tmp_path_factory.mktemp("plugin"))


def test_an_installed_plugin_prior_trains_from_the_command_line_with_its_option(site, tmp_path):
    out = tmp_path / "run"
    # A fresh process, as a user runs it: the prior arrives through the installed entry point.
    command = train_command(write_small_npz(tmp_path / "small.npz"), out)
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(), PYTHONPATH=str(site))
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    saved = json.loads((out / "config.json").read_text())
    assert (saved["prior"], saved["component_options"]) == ("scaled_normal", ["prior.scale=0.5"])
    with plugin_on_path(site):
        model = keras_vae.load_vae(out / "model.keras")
        assert type(model.prior).__name__ == "ScaledNormal" and model.prior.scale == 0.5
        # N(0, 0.25 I) in two dimensions at z = 0: -log(2 pi 0.25).
        log_prob = keras.ops.convert_to_numpy(model.prior.log_prob(CODES[:1]))
        np.testing.assert_allclose(log_prob, [-np.log(2 * np.pi * 0.25)], rtol=1e-6)
        listed = CliRunner().invoke(main, ["list", "--options"]).output.splitlines()
        assert listed[listed.index("  scaled_normal") + 1] == "    scale: float = 1.0"
    assert "scaled_normal" not in keras_vae.list_priors()  # gone with the plugin


def test_a_model_with_the_plugin_prior_saved_on_jax_loads_on_every_backend(site):
    expected = json.loads((FIXTURES / "plugin_expected.json").read_text())
    assert expected["generated_with"] == "jax"
    with plugin_on_path(site):
        model = keras_vae.load_vae(FIXTURES / "plugin_scaled_normal.keras")
        assert model.prior.scale == 0.5
        log_prob = keras.ops.convert_to_numpy(model.prior.log_prob(CODES))
        decoded = keras.ops.convert_to_numpy(model.decoder(CODES))
    np.testing.assert_allclose(log_prob, expected["log_prob"], rtol=1e-5)
    np.testing.assert_allclose(decoded, expected["decoded"], rtol=1e-4, atol=1e-5)
