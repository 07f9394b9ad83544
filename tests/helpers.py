"""Assertions shared by the tests."""

import json
import os

import keras
import numpy as np


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


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
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend(), **extra)
    env.pop("KERAS_VAE_DATA", None)
    return env
