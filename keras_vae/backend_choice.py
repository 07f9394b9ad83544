"""Which backend Keras will load, and whether it is installed, asked before Keras is imported.

Keras reads KERAS_BACKEND, else the "backend" of keras.json in KERAS_HOME (~/.keras), which its
first import writes as "tensorflow". In an install with only JAX or PyTorch, `import keras` then
fails deep inside Keras with `No module named 'tensorflow'`; these functions name the setting
and the fix instead. Nothing here imports Keras or a backend.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys

# The backends keras_vae runs on; each is installed by the extra of the same name.
BACKENDS = ("jax", "tensorflow", "torch")


class BackendNotInstalled(ImportError):
    """The backend Keras would load is not installed."""


def keras_home() -> str:
    """Returns the directory of Keras's keras.json, chosen as Keras chooses it."""
    if "KERAS_HOME" in os.environ:
        return os.environ["KERAS_HOME"]
    home = os.path.expanduser("~")
    return os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")


def configured_backend() -> tuple[str, str]:
    """Returns the backend Keras would load and what names it: (backend, setting)."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    path = os.path.join(keras_home(), "keras.json")
    try:
        with open(path) as file:
            backend = json.load(file).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    if backend:
        return backend, path
    return "tensorflow", "Keras's default"


def installed_backends() -> list[str]:
    """Returns the backends keras_vae runs on that are installed (found, not imported)."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def _not_installed(backend: str, setting: str, installed: list[str]) -> BackendNotInstalled:
    choose = (
        f"set KERAS_BACKEND to an installed one ({', '.join(installed)}), or " if installed else ""
    )
    return BackendNotInstalled(
        f"Keras would load the {backend} backend ({setting}), which is not installed: {choose}"
        f'install it with pip install "keras-vae[{backend}]" (".[{backend}]" in a checkout).'
    )


def check_backend_installed() -> None:
    """Raises BackendNotInstalled, naming the setting and the fix, if the backend Keras would
    load is one keras_vae runs on and is not installed. (Other names are Keras's to judge.)"""
    backend, setting = configured_backend()
    installed = installed_backends()
    if backend in BACKENDS and backend not in installed:
        raise _not_installed(backend, setting, installed)


def choose_installed_backend() -> str | None:
    """Sets KERAS_BACKEND to an installed backend when it is unset and keras.json names one
    that is not installed (a user who installed only `keras-vae[jax]`); for the command line.

    Returns:
        A line telling the user which backend was chosen and why, or None if nothing changed.

    Raises:
        BackendNotInstalled: KERAS_BACKEND names a backend that is not installed, or none is.
    """
    if "keras" in sys.modules:  # too late to choose
        return None
    backend, setting = configured_backend()
    installed = installed_backends()
    if backend not in BACKENDS or backend in installed:
        return None
    if setting == "KERAS_BACKEND" or not installed:
        raise _not_installed(backend, setting, installed)
    os.environ["KERAS_BACKEND"] = installed[0]
    return (
        f"Using the {installed[0]} backend, as {backend} ({setting}) is not installed; "
        "set KERAS_BACKEND to choose another."
    )
