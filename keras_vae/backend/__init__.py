"""The gradient step of each Keras backend, chosen once, at import, like Keras's own trainers."""

import keras

from keras_vae.backend.common import SINGLE, Replicas

_BACKEND = keras.backend.backend()

if _BACKEND == "jax":
    from keras_vae.backend.jax import (
        VAETrainer,
        data_parallel,
        inference_mode,
        replica_context,
    )
elif _BACKEND == "tensorflow":
    from keras_vae.backend.tensorflow import (
        VAETrainer,
        data_parallel,
        inference_mode,
        replica_context,
    )
elif _BACKEND == "torch":
    from keras_vae.backend.torch import (
        VAETrainer,
        data_parallel,
        inference_mode,
        replica_context,
    )
else:
    raise ImportError(
        f"keras_vae runs on the jax, tensorflow and torch backends, but KERAS_BACKEND is "
        f"{_BACKEND!r}. Set KERAS_BACKEND to one of those."
    )

__all__ = [
    "SINGLE",
    "Replicas",
    "VAETrainer",
    "data_parallel",
    "inference_mode",
    "replica_context",
]
