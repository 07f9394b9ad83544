"""Training objectives (the one-sample ELBO, the IWAE bound) and their registry. Names load on
first use."""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = [
    "ELBO",
    "IWAE",
    "Objective",
    "get_objective",
    "list_objectives",
    "register_objective",
    "resolve_objective",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "ELBO": ".base",
        "IWAE": ".iwae",
        "Objective": ".base",
        "get_objective": ".registry",
        "list_objectives": ".registry",
        "register_objective": ".registry",
        "resolve_objective": ".registry",
    },
    submodules=("base", "iwae", "registry"),
)

if TYPE_CHECKING:
    from keras_vae.objectives.base import ELBO, Objective
    from keras_vae.objectives.iwae import IWAE
    from keras_vae.objectives.registry import (
        get_objective,
        list_objectives,
        register_objective,
        resolve_objective,
    )
