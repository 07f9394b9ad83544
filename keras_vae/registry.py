"""A named registry that third-party packages extend by decorator or entry point.

Built-in entries are given as "module:attribute" and imported on first lookup, so that listing
the names (`keras-vae list`) loads neither Keras nor a backend.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import importlib.metadata
import warnings
from collections.abc import Callable
from typing import Any


class Registry:
    """Maps names to objects; plugins from an entry-point group load on first lookup.

    Args:
        kind: what the registry holds, for messages ("architecture", "loss").
        group: the `importlib.metadata` entry-point group third-party packages use.
        builtins: {name: "module:attribute"} of the built-in entries, imported on first lookup.
    """

    def __init__(self, kind: str, group: str, builtins: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.group = group
        self.builtins = dict(builtins or {})
        self._entries: dict[str, Any] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[Any], Any]:
        """Returns a decorator that registers its argument under `name`."""

        def decorator(obj: Any) -> Any:
            earlier = self._entries.get(name, self.builtins.get(name))
            if earlier is not None and earlier is not obj:
                warnings.warn(
                    f"{self.kind} {name!r} was registered twice; the later one "
                    f"({_qualname(obj)}) replaces {_qualname(earlier)}.",
                    stacklevel=2,
                )
            self._entries[name] = obj
            return obj

        return decorator

    def register_serializable(self, name: str, package: str | None = None) -> Callable:
        """Returns a decorator that registers a class under `name` and as a Keras serializable,
        so that saved models holding it reload without `custom_objects`.

        Args:
            package: the Keras serialization package; defaults to the class's top-level module.
        """

        def decorator(cls: type) -> type:
            import keras  # loaded already: `cls` subclasses one of keras_vae's Keras classes

            keras_package = package or cls.__module__.split(".")[0]
            cls = keras.saving.register_keras_serializable(package=keras_package)(cls)
            return self.register(name)(cls)

        return decorator

    def resolve(self, obj: Any, base: type) -> Any:
        """Returns `obj` as an instance of `base`: a registered name (built with no
        arguments), a Keras config, or an instance; raises a TypeError naming the choices."""
        if isinstance(obj, str):
            obj = self.get(obj)()
        elif isinstance(obj, dict):
            import keras

            obj = keras.saving.deserialize_keras_object(obj)
        if not isinstance(obj, base):
            raise TypeError(
                f"A {self.kind} must be a registered name ({', '.join(self.names())}) or a "
                f"{base.__module__.rsplit('.', 1)[0]}.{base.__name__}, got {obj!r} "
                f"({type(obj).__name__})."
            )
        return obj

    def get(self, name: str) -> Any:
        """Returns the object registered as `name`, or raises a ValueError naming the choices."""
        self._load_plugins()
        if name in self._entries:
            return self._entries[name]
        if name in self.builtins:
            module, _, attribute = self.builtins[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        known = sorted(set(self._entries) | set(self.builtins))
        close = difflib.get_close_matches(str(name), known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"Unknown {self.kind} {name!r}.{hint} Registered {self.kind}s: {', '.join(known)}. "
            f"Register your own with register_{self.kind}({name!r}) or the "
            f"{self.group!r} entry-point group."
        )

    def names(self, pattern: str = "*") -> list[str]:
        """Returns the sorted registered names matching a shell-style `pattern`."""
        self._load_plugins()
        names = set(self._entries) | set(self.builtins)
        return sorted(n for n in names if fnmatch.fnmatch(n, pattern))

    def _load_plugins(self) -> None:
        # Lazily, so that importing keras_vae never imports third-party code.
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        for entry_point in importlib.metadata.entry_points(group=self.group):
            try:
                obj = entry_point.load()
            except Exception as error:  # a broken plugin must not break us
                dist = entry_point.dist.name if entry_point.dist else "unknown distribution"
                warnings.warn(
                    f"Skipping {self.kind} plugin {entry_point.name!r} from {dist} "
                    f"({entry_point.value}): {type(error).__name__}: {error}",
                    stacklevel=3,
                )
                continue
            # Loading the module usually registers the name by decorator already.
            if entry_point.name not in self._entries:
                self._entries[entry_point.name] = obj


def _qualname(obj: Any) -> str:
    if isinstance(obj, str):  # a built-in not imported yet
        return obj.replace(":", ".")
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
