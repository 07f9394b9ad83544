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
    """Registers an `Objective` subclass under `name` and as a Keras serializable.

    Args:
        name: the name `VAE(objective=...)` accepts.
        package: the Keras serialization package; defaults to the class's top-level module.
    """
    return _OBJECTIVES.register_serializable(name, package)


def get_objective(name: str) -> type:
    """Returns the objective class registered as `name`."""
    return _OBJECTIVES.get(name)


def list_objectives(pattern: str = "*") -> list[str]:
    """Returns the registered objective names matching `pattern`, plugins included."""
    return _OBJECTIVES.names(pattern)


def resolve_objective(objective: str | dict | Objective | None) -> Objective:
    """Returns `objective` as an `Objective`: None (the ELBO), a name, a config or an instance."""
    from keras_vae.objectives.base import ELBO, Objective

    return ELBO() if objective is None else _OBJECTIVES.resolve(objective, Objective)
