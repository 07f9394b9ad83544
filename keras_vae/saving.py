"""Loading a saved VAE, with an error that says what is wrong with the file instead of a deep
Keras traceback."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import keras

from keras_vae.lazy_imports import register_serializables
from keras_vae.models.vae import VAE
from keras_vae.run_directory import RunDirectory


def load_vae(path: str | os.PathLike) -> VAE:
    """Returns the VAE saved at `path` by `model.save()`, or the final model of the
    `keras-vae train` run whose directory `path` is.

    Raises:
        FileNotFoundError: nothing at `path`.
        ValueError: the file is not a `.keras` archive, cannot be read, or holds another model.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No model at {path}; pass the directory of a `keras-vae train` run, its "
            f"{RunDirectory.MODEL}, or one of its checkpoints."
        )
    if path.is_dir():
        path = RunDirectory(path).model
        if not path.exists():
            raise FileNotFoundError(f"{path.parent} is a directory without a {RunDirectory.MODEL}.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path} is not a .keras model file (not a zip archive); it may be truncated or "
            "something else. Pass a model written by `keras-vae train` or model.save()."
        )
    register_serializables()  # done already by the import hook, unless something defeated it
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
