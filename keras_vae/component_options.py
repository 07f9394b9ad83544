"""The options a registered component takes, read from its signature, and their text form.

A component (an architecture factory, a loss term, a prior, an objective) declares its options
by its `__init__` (or factory) signature: each keyword parameter with a default is an option,
and its type hint says how a value given as text on the command line is converted. A plugin's
component is configurable from `keras-vae train --set` with no code of ours.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Parameters a run fills in itself, never options: the image shape and latent size a factory
# is built for, the decoder outputs the likelihood needs (`build_vae` sets them), and what
# Keras layers take through **kwargs.
_NOT_OPTIONS = frozenset({"self", "input_shape", "latent_dim", "output_channels"})
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


@dataclass(frozen=True)
class ComponentOption:
    """One option of a component: its name, type hint and default."""

    name: str
    annotation: Any
    default: Any

    def type_name(self) -> str:
        """Returns the type hint as it reads in Python ("int", "int | None", ...)."""
        if self.annotation is inspect.Parameter.empty:
            return type(self.default).__name__ if self.default is not None else "str"
        if isinstance(self.annotation, type) and not typing.get_args(self.annotation):
            return self.annotation.__name__
        return str(self.annotation).replace("typing.", "").replace("collections.abc.", "")

    def describe(self) -> str:
        """Returns "name: type = default", as `keras-vae list --options` prints it."""
        return f"{self.name}: {self.type_name()} = {self.default!r}"

    def parse(self, text: str) -> Any:
        """Returns `text` converted by the option's type hint; raises ValueError if it does not
        read as one."""
        hint = self.annotation
        if hint is inspect.Parameter.empty:
            hint = type(self.default) if self.default is not None else str
        return _convert(text, hint)


def component_options(component: Any) -> dict[str, ComponentOption]:
    """Returns {name: option} of a component class or factory: its keyword parameters with
    defaults, in signature order (not *args, **kwargs, nor the image shape and latent size)."""
    function = component.__init__ if isinstance(component, type) else component
    if getattr(function, "__module__", "").split(".")[0] == "keras":
        return {}  # Keras's own __init__ (Layer's name, dtype, ...): the class declares none
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # a hint that does not evaluate: the defaults' types stand in
        hints = {}
    options = {}
    for parameter in inspect.signature(function).parameters.values():
        if (
            parameter.name in _NOT_OPTIONS
            or parameter.default is inspect.Parameter.empty
            or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ):
            continue
        annotation = hints.get(parameter.name, parameter.annotation)
        options[parameter.name] = ComponentOption(parameter.name, annotation, parameter.default)
    return options


def _convert(text: str, hint: Any) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if type(None) in args and text.strip().lower() == "none":
            return None
        members = [a for a in args if a is not type(None)]
        # The narrowest reading first ("512" is an int before it is a one-item sequence), text
        # last: a str member would accept anything.
        members.sort(key=lambda a: (a is str, _is_sequence(a)))
        for member in members:
            try:
                return _convert(text, member)
            except ValueError:
                continue
        raise ValueError(f"expected {' or '.join(_reads_as(m) for m in members)}")
    if origin is typing.Literal:
        for choice in args:
            if str(choice) == text:
                return choice
        raise ValueError(f"expected one of {', '.join(map(str, args))}")
    if _is_sequence(hint):
        items = [item.strip() for item in text.split(",") if item.strip()]
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(items) != len(args):
                raise ValueError(f"expected {len(args)} comma-separated values")
            return tuple(_convert(item, arg) for item, arg in zip(items, args, strict=True))
        item_hint = args[0] if args else str
        if not items:
            raise ValueError("expected comma-separated values")
        return tuple(_convert(item, item_hint) for item in items)
    if hint is bool:
        if text.strip().lower() in _TRUE:
            return True
        if text.strip().lower() in _FALSE:
            return False
        raise ValueError("expected true or false")
    if hint is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected an integer") from None
    if hint is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number") from None
    if hint is str or hint is Any:
        return text
    raise ValueError(f"a {hint} has no text form; set it from Python instead")


def _is_sequence(hint: Any) -> bool:
    origin = typing.get_origin(hint) or hint
    return origin in (tuple, list, collections.abc.Sequence)


def _reads_as(hint: Any) -> str:
    if hint is int:
        return "an integer"
    if hint is float:
        return "a number"
    if _is_sequence(hint):
        return "comma-separated values"
    return getattr(hint, "__name__", str(hint))


def parse_settings(settings: Sequence[str]) -> dict[str, dict[str, str]]:
    """Returns {role: {option: text}} of "role.option=value" strings; raises a ValueError for
    one that is malformed."""
    parsed: dict[str, dict[str, str]] = {}
    for setting in settings:
        key, equals, text = setting.partition("=")
        role, dot, option = key.strip().partition(".")
        if not (equals and dot and role and option):
            raise ValueError(
                f"--set takes ROLE.OPTION=VALUE (e.g. prior.components=500), got {setting!r}."
            )
        parsed.setdefault(role, {})[option.strip().replace("-", "_")] = text.strip()
    return parsed


def parse_options(
    role: str, what: str, options: dict[str, ComponentOption], given: dict[str, str]
) -> dict[str, Any]:
    """Returns {option: value} of the texts `given` (`--set role.option=text`) for the
    component `what`, whose options are `options`, each converted by its type hint; raises a
    ValueError naming its options for one it does not take, or a text that does not read."""
    values = {}
    for option, text in given.items():
        if option not in options:
            raise ValueError(
                f"--set {role}.{option}: {what} has no option {option!r}. Its options: "
                f"{'; '.join(o.describe() for o in options.values()) or 'none'}."
            )
        try:
            values[option] = options[option].parse(text)
        except ValueError as error:
            raise ValueError(
                f"--set {role}.{option}={text}: {error} ({what}'s {options[option].describe()})."
            ) from None
    return values
