"""Every registry of keras_vae, one per kind of component, behind one façade.

`get_registry(kind)` returns the registry of architectures, losses, priors, objectives or
datasets; each
registers by decorator (`register`) or by an entry point in its group, and gets, lists and
resolves names the same way. The per-kind functions (`register_prior`, `get_loss`, ...) are its
bound methods. Built-in entries are given as "module:attribute" and imported on first lookup,
so that listing the names (`keras-vae list`) loads neither Keras nor a backend.
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
        base: "module:Class" of the Keras class every entry subclasses; `register` then also
            registers a class as a Keras serializable, and `resolve` returns instances of it.
            None for entries that are plain factories (architectures).
        default: the name `resolve(None)` builds; None: `resolve(None)` is an error.
        plural: the kind in the plural, for listings (default: kind + "s").
    """

    def __init__(
        self,
        kind: str,
        group: str,
        builtins: dict[str, str] | None = None,
        base: str | None = None,
        default: str | None = None,
        plural: str | None = None,
    ) -> None:
        self.kind = kind
        self.group = group
        self.builtins = dict(builtins or {})
        self.base = base
        self.default = default
        self.plural = plural or f"{kind}s"
        self._entries: dict[str, Any] = {}
        self._plugins_loaded = False

    def register(self, name: str, package: str | None = None) -> Callable[[Any], Any]:
        """Returns a decorator that registers its argument under `name`; a class of a registry
        with a Keras `base` also becomes a Keras serializable, so that saved models holding it
        reload without `custom_objects`.

        Args:
            name: the name `get`, `resolve`, `build_vae` and the command line accept.
            package: the Keras serialization package; defaults to the class's top-level module.

        Example:
            >>> @keras_vae.register_prior("my_prior")
            ... class MyPrior(keras_vae.priors.StandardNormal): ...
        """
        if self.base is not None:
            return self._register_serializable(name, package)
        if package is not None:
            raise TypeError(
                f"A {self.kind} is a plain factory, not a Keras class: it takes no package."
            )
        return self._register(name)

    def _register(self, name: str) -> Callable[[Any], Any]:
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

    def _register_serializable(self, name: str, package: str | None) -> Callable[[type], type]:
        def decorator(cls: type) -> type:
            import keras  # loaded already: `cls` subclasses one of keras_vae's Keras classes

            keras_package = package or cls.__module__.split(".")[0]
            cls = keras.saving.register_keras_serializable(package=keras_package)(cls)
            return self._register(name)(cls)

        return decorator

    def resolve(self, obj: Any) -> Any:
        """Returns `obj` as an instance of the registry's base class: a registered name (built
        with no arguments), a Keras config, an instance, or None for the default; raises a
        TypeError naming the choices. (For factories, a name gives the factory.)"""
        if obj is None and self.default is not None:
            obj = self.default
        if self.base is None:
            return self.get(obj) if isinstance(obj, str) else obj
        if isinstance(obj, str):
            obj = self.get(obj)()
        elif isinstance(obj, dict):
            import keras

            # A saved model's plugin component is a Keras class its plugin registers on import.
            self._load_plugins()
            obj = keras.saving.deserialize_keras_object(obj)
        module, _, attribute = self.base.partition(":")
        base = getattr(importlib.import_module(module), attribute)
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


_REGISTRIES = {
    registry.kind: registry
    for registry in (
        Registry(
            "architecture",
            group="keras_vae.architectures",
            builtins={
                "conv": "keras_vae.architectures.conv:conv",
                "conv_hvae": "keras_vae.architectures.conv_hvae:conv_hvae",
                "dense": "keras_vae.architectures.dense:dense",
                "gated_dense": "keras_vae.architectures.gated_dense:gated_dense",
                "hvae": "keras_vae.architectures.hvae:hvae",
                "resnet": "keras_vae.architectures.resnet:resnet",
            },
        ),
        Registry(
            "loss",
            group="keras_vae.losses",
            builtins={
                "bernoulli": "keras_vae.losses.likelihoods:Bernoulli",
                "beta_tc": "keras_vae.losses.beta_tc:BetaTC",
                "continuous_bernoulli": "keras_vae.losses.likelihoods:ContinuousBernoulli",
                "discretized_gaussian": "keras_vae.losses.discretized:DiscretizedGaussian",
                "discretized_logistic": "keras_vae.losses.discretized:DiscretizedLogistic",
                "discretized_logistic_mixture": (
                    "keras_vae.losses.discretized:DiscretizedLogisticMixture"
                ),
                "gaussian": "keras_vae.losses.likelihoods:Gaussian",
                "kl": "keras_vae.losses.kl:GaussianKL",
                "laplace": "keras_vae.losses.likelihoods:Laplace",
                "mmd": "keras_vae.losses.mmd:MMD",
                "normal": "keras_vae.losses.likelihoods:Normal",
                "pixelcnn": "keras_vae.losses.pixelcnn:PixelCNN",
            },
            base="keras_vae.losses.base:LossTerm",
            plural="losses",
        ),
        Registry(
            "prior",
            group="keras_vae.priors",
            builtins={
                "mixture_of_gaussians": "keras_vae.priors.mixture:MixtureOfGaussians",
                "standard_normal": "keras_vae.priors.standard_normal:StandardNormal",
                "vamp": "keras_vae.priors.vamp:VampPrior",
            },
            base="keras_vae.priors.base:Prior",
        ),
        Registry(
            "objective",
            group="keras_vae.objectives",
            builtins={
                "elbo": "keras_vae.objectives.base:ELBO",
                "iwae": "keras_vae.objectives.iwae:IWAE",
            },
            base="keras_vae.objectives.base:Objective",
            default="elbo",
        ),
        Registry(
            "dataset",
            group="keras_vae.datasets",
            builtins={
                "emoji": "keras_vae.data.emoji:Emoji",
                "fashion_mnist": "keras_vae.data.fashion_mnist:FashionMnist",
                "idx": "keras_vae.data.formats:IdxDirectory",
                "image_folder": "keras_vae.data.image_folder:ImageFolder",
                "m1_codes": "keras_vae.training.m1_codes:M1Codes",
                "mnist": "keras_vae.data.mnist:Mnist",
                "npz": "keras_vae.data.formats:NpzFile",
                "shards": "keras_vae.data.shards:ShardDirectory",
            },
        ),
    )
}


def list_registries() -> list[str]:
    """Returns the kinds of component that have a registry ("architecture", "loss", ...)."""
    return list(_REGISTRIES)


def get_registry(kind: str) -> Registry:
    """Returns the registry of `kind`, or raises a ValueError naming the kinds there are."""
    if kind in _REGISTRIES:
        return _REGISTRIES[kind]
    close = difflib.get_close_matches(str(kind), list(_REGISTRIES), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"No registry of kind {kind!r}.{hint} Kinds: {', '.join(list_registries())}.")


def _qualname(obj: Any) -> str:
    if isinstance(obj, str):  # a built-in not imported yet
        return obj.replace(":", ".")
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
