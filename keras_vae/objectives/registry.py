"""The objective registry's functions: the bound methods of `get_registry("objective")`."""

from keras_vae.registry import get_registry

_OBJECTIVES = get_registry("objective")

register_objective = _OBJECTIVES.register
get_objective = _OBJECTIVES.get
list_objectives = _OBJECTIVES.names
resolve_objective = _OBJECTIVES.resolve
