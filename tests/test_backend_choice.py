"""A backend that Keras would load but is not installed: the command line picks an installed
one, and the library names the setting and the fix instead of failing deep inside Keras."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from keras_vae.backend_choice import BACKENDS, installed_backends
from keras_vae.cli import main
from keras_vae.cli.backend import KerasCommand
from tests.helpers import backend_env

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests" / "fixtures" / "parity_dense.keras"


@pytest.fixture
def missing_backend():
    """A backend keras_vae runs on that this environment lacks (tox installs one per env)."""
    missing = [name for name in BACKENDS if name not in installed_backends()]
    if not missing:
        pytest.skip("all three backends are installed here")
    return missing[0]


def env_naming(backend, tmp_path, *, by_env):
    """An environment whose Keras would load `backend`: by KERAS_BACKEND, or by keras.json."""
    home = tmp_path / "keras_home"
    home.mkdir()
    (home / "keras.json").write_text(json.dumps({"backend": backend}))
    env = backend_env(KERAS_HOME=str(home))
    if by_env:
        env["KERAS_BACKEND"] = backend
    else:
        del env["KERAS_BACKEND"]
    return env, home / "keras.json"


def run(args, env):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT
    )


def test_a_command_uses_an_installed_backend_when_keras_json_names_a_missing_one(
    missing_backend, tmp_path
):
    env, keras_json = env_naming(missing_backend, tmp_path, by_env=False)
    grid = tmp_path / "grid.png"
    done = run(["-m", "keras_vae", "generate", str(MODEL), "-n", "4", "--out", str(grid)], env)
    assert done.returncode == 0, done.stderr
    assert grid.stat().st_size > 0
    chosen = installed_backends()[0]
    assert (
        f"Using the {chosen} backend, as {missing_backend} ({keras_json}) is not installed; "
        "set KERAS_BACKEND to choose another." in done.stderr
    )


def test_a_missing_backend_named_by_keras_backend_is_a_one_line_error(missing_backend, tmp_path):
    env, _ = env_naming(missing_backend, tmp_path, by_env=True)
    grid = tmp_path / "grid.png"
    done = run(["-m", "keras_vae", "generate", str(MODEL), "--out", str(grid)], env)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: Keras would load the {missing_backend} backend (KERAS_BACKEND), which is not "
        f"installed: set KERAS_BACKEND to an installed one ({', '.join(installed_backends())}), "
        f'or install it with pip install "keras-vae[{missing_backend}]" '
        f'(".[{missing_backend}]" in a checkout).'
    ]
    assert not grid.exists()


def test_the_library_names_the_setting_instead_of_a_missing_module(missing_backend, tmp_path):
    env, keras_json = env_naming(missing_backend, tmp_path, by_env=False)
    done = run(["-c", "import keras_vae; keras_vae.VAE"], env)
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith(
            "keras_vae.backend_choice.BackendNotInstalled: Keras would load the "
            f"{missing_backend} backend ({keras_json}), which is not installed: set KERAS_BACKEND"
        )
    ), done.stderr


def test_every_command_but_list_checks_the_backend_first():
    for name, command in main.commands.items():
        assert isinstance(command, KerasCommand) == (name != "list"), name
