"""A named registry that third-party packages extend by decorator or entry point."""

from __future__ import annotations

import difflib
import fnmatch
import importlib.metadata
import warnings
from collections.abc import Callable
from typing import Any


class Registry:
    """Maps names to objects; plugins from an entry-point group load on first lookup.

    Args:
        kind: what the registry holds, for messages ("architecture", "loss").
        group: the `importlib.metadata` entry-point group third-party packages use.
    """

    def __init__(self, kind: str, group: str) -> None:
        self.kind = kind
        self.group = group
        self._entries: dict[str, Any] = {}
        self._plugins_loaded = False

    def register(self, name: str) -> Callable[[Any], Any]:
        """Returns a decorator that registers its argument under `name`."""

        def decorator(obj: Any) -> Any:
            if name in self._entries and self._entries[name] is not obj:
                warnings.warn(
                    f"{self.kind} {name!r} was registered twice; the later one "
                    f"({_qualname(obj)}) replaces {_qualname(self._entries[name])}.",
                    stacklevel=2,
                )
            self._entries[name] = obj
            return obj

        return decorator

    def get(self, name: str) -> Any:
        """Returns the object registered as `name`, or raises a ValueError naming the choices."""
        self._load_plugins()
        if name in self._entries:
            return self._entries[name]
        known = sorted(self._entries)
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
        return sorted(n for n in self._entries if fnmatch.fnmatch(n, pattern))

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
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
