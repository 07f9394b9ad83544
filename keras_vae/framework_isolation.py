"""Keeps a JAX or PyTorch process from importing TensorFlow where Keras would for no use.

Keras imports TensorFlow whenever it is installed, whatever the backend, in two places a
keras_vae run reaches: `keras.utils.set_random_seed` (to seed it) and `model.save()` (to ask
whether each object it serialises is a `tf.TensorShape`, `tf.DType` or `tf.TypeSpec`). In a
JAX or PyTorch process that costs hundreds of MB and seconds of import for nothing.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Iterator

import keras
import numpy as np

# Keras's global seed, its global SeedGenerator and its lazy TensorFlow module live in these
# internal places (keras/src/utils/rng_utils.py, keras/src/random/seed_generator.py,
# keras/src/utils/module_utils.py, Keras 3.x); no public API reaches them.
# They are keras_vae's only private Keras names: tests/test_keras_internals.py fails, naming
# the change, for a Keras that moves them (and for any other private name used), and
# tests/test_framework_isolation.py checks the draws against keras.utils.set_random_seed's.
from keras.src.backend.common import global_state
from keras.src.utils import module_utils

_GLOBAL_RANDOM_SEED = "global_random_seed"
_GLOBAL_SEED_GENERATOR = "global_seed_generator"


def set_random_seed(seed: int) -> None:
    """Seeds Python, NumPy, Keras's global seed generator and the backend, as
    `keras.utils.set_random_seed` does, seeding TensorFlow only on its own backend (keras_vae
    feeds no `tf.data` pipeline on the others)."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an int, got {seed!r}.")
    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    global_state.set_global_attribute(_GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(_GLOBAL_SEED_GENERATOR, None)  # remade from the seed
    random.seed(seed)
    np.random.seed(seed)
    if keras.backend.backend() == "torch":
        import torch

        torch.manual_seed(seed)


@contextlib.contextmanager
def tensorflow_left_unimported() -> Iterator[None]:
    """Within it, Keras treats TensorFlow as absent if this process has not imported it yet.

    That answer is exact: while TensorFlow is not imported no object can be one of its
    types, so what Keras serialises is unchanged. Outside it, Keras's own check is restored.
    """
    tensorflow = module_utils.tensorflow
    if "tensorflow" in sys.modules or tensorflow._available is not None:
        yield  # imported, or Keras has already looked: nothing to save
        return
    tensorflow._available = False
    try:
        yield
    finally:
        tensorflow._available = None
