"""Loading a saved VAE, with an error that says what is wrong with the file instead of a deep
Keras traceback."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras

from keras_vae.model import VAE


def load_vae(path: str | os.PathLike) -> VAE:
    """Returns the VAE saved at `path` by `model.save()` or a `keras-vae train` run.

    Raises:
        FileNotFoundError: nothing at `path`.
        ValueError: the file is not a `.keras` archive, cannot be read, or holds another model.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No model at {path}; pass the model.keras that `keras-vae train` wrote "
            "(or one of its checkpoints/epoch_NNN.keras)."
        )
    if path.is_dir():
        path = path / "model.keras"
        if not path.exists():
            raise FileNotFoundError(f"{path.parent} is a directory without a model.keras.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a .keras model file (not a zip archive); it may be truncated or "
            "something else. Pass a model.keras written by `keras-vae train` or model.save()."
        )
    try:
        model = keras.models.load_model(path)
    except Exception as error:  # Keras raises many types for a bad archive; report them alike.
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"Could not load {path} as a Keras model: {reason}") from None
    if not isinstance(model, VAE):
        raise ValueError(
            f"{path} holds a {type(model).__name__}, not a keras_vae VAE; pass a model saved by "
            "keras_vae."
        )
    return model
