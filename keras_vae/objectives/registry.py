"""The objective registry: `register_objective`, `get_objective`, `list_objectives`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from keras_vae.registry import Registry

if TYPE_CHECKING:
    from keras_vae.objectives.base import Objective

_OBJECTIVES = Registry(
    "objective",
    group="keras_vae.objectives",
    builtins={
        "elbo": "keras_vae.objectives.base:ELBO",
        "iwae": "keras_vae.objectives.iwae:IWAE",
    },
)


def register_objective(name: str, package: str | None = None) -> Callable[[type], type]:
    """Registers an `Objective` subclass under `name` and as a Keras serializable."""

    def decorator(cls: type) -> type:
        import keras  # loaded already: `cls` is an Objective

        keras_package = package or cls.__module__.split(".")[0]
        cls = keras.saving.register_keras_serializable(package=keras_package)(cls)
        return _OBJECTIVES.register(name)(cls)

    return decorator


def get_objective(name: str) -> type:
    """Returns the objective class registered as `name`."""
    return _OBJECTIVES.get(name)


def list_objectives(pattern: str = "*") -> list[str]:
    """Returns the registered objective names matching `pattern`, plugins included."""
    return _OBJECTIVES.names(pattern)


def resolve_objective(objective) -> Objective:
    """Returns `objective` as an `Objective`: None (the ELBO), a name, a config or an instance."""
    import keras

    from keras_vae.objectives.base import ELBO, Objective

    if objective is None:
        return ELBO()
    if isinstance(objective, str):
        objective = get_objective(objective)()
    elif isinstance(objective, dict):
        objective = keras.saving.deserialize_keras_object(objective)
    if not isinstance(objective, Objective):
        raise TypeError(
            f"objective must be a registered name ({', '.join(list_objectives())}) or a "
            f"keras_vae.objectives.Objective, got {objective!r} ({type(objective).__name__})."
        )
    return objective
