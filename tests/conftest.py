"""Test setup shared by every backend: tox sets KERAS_BACKEND; the same tests run on each."""

import importlib.util
from pathlib import Path

import tests.xla_flags  # noqa: F401  (sets XLA_FLAGS before anything starts JAX)

# As in Keras's own conftest: with both installed, importing TensorFlow before torch can crash.
if importlib.util.find_spec("torch") is not None:
    import torch  # noqa: F401

import keras
import pytest

from tests.helpers import synthetic_images

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend {keras.backend.backend()}"


@pytest.fixture
def images():
    """256 synthetic 28x28x1 images in [0, 1]: blurry strokes, so a VAE has something to learn."""
    return synthetic_images(256)


@pytest.fixture
def mnist_npz():
    """The real MNIST in Keras's layout, where this checkout has ../shared beside it (CI does)."""
    path = SHARED_DATA / "mnist.npz"
    if not path.exists():
        pytest.skip(f"real MNIST not found at {path}")
    return path


@pytest.fixture(autouse=True)
def _isolated_keras_home(tmp_path, monkeypatch):
    # No test reads or writes the user's ~/.keras, nor picks up their KERAS_VAE_DATA.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("KERAS_VAE_DATA", raising=False)
    # No test reaches the network: pip (the MNIST fallback) sees local folders only.
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    keras.utils.set_random_seed(0)
