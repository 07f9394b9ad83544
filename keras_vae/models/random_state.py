"""A VAE's randomness: noise drawn apart on each data-parallel replica, and the seed state that
a saved model keeps so that a resumed run draws what the uninterrupted one would have."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from keras_vae.backend import replica_context

SEED_STATE = "seed_generator_state"  # its key among a model's saved variables


def replica_noise(draw, shape, seed_generator) -> Any:
    """Returns `draw(shape)` from `seed_generator`, different on each replica of a
    data-parallel run whose replicas each see their own part of the batch.

    Args:
        draw: a `keras.random` function taking a shape and `seed=` (`normal`, `uniform`).
    """
    index, count = replica_context()
    if isinstance(count, int) and count == 1:
        return draw(shape, seed=seed_generator)
    # Every replica draws the same (count, *shape) block from the shared state and keeps its
    # own row: independent noise without per-replica generator state.
    return ops.take(draw((count, *shape), seed=seed_generator), index, axis=0)


def save_seed_state(store, seed_generator) -> None:
    """Adds `seed_generator`'s state to a model's saved variables (Keras saves no
    `SeedGenerator`)."""
    store[SEED_STATE] = ops.convert_to_numpy(seed_generator.state.value)


def load_seed_state(store, seed_generator) -> dict:
    """Sets `seed_generator` to the state `save_seed_state` saved in `store`, if there is one
    (older files have none); returns the rest of the store, for Keras to load."""
    keys = list(store.keys())
    if SEED_STATE in keys:
        state = seed_generator.state
        state.assign(np.asarray(store[SEED_STATE]).astype(state.dtype))
    return {key: store[key] for key in keys if key != SEED_STATE}
