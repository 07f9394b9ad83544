"""How keras_vae is imported: names loaded on first use, the module names of earlier versions,
and Keras serializables registered as soon as Keras is loaded.

`import keras_vae` loads neither Keras nor a backend, so that `keras-vae --help` answers at
once (the scientific Python ecosystem's SPEC 1 lazy loading, by PEP 562 module `__getattr__`).
Keras finds a saved VAE's classes only among objects registered before it loads the file, so
the import hook below registers them the moment Keras and keras_vae are both loaded, whichever
comes first: `keras.models.load_model` then needs no `custom_objects` after `import keras_vae`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from collections.abc import Callable

from keras_vae.backend_choice import check_backend_installed

# Modules that moved in 0.2.0 (CHANGELOG.md), importable under their old names with a
# DeprecationWarning.
MOVED_MODULES = {
    "keras_vae.build": "keras_vae.models.build",
    "keras_vae.conditioning": "keras_vae.models.conditioning",
    "keras_vae.hierarchical": "keras_vae.models.hierarchical",
    "keras_vae.model": "keras_vae.models.vae",
    "keras_vae.batches": "keras_vae.data.batches",
    "keras_vae.callbacks": "keras_vae.training.callbacks",
    "keras_vae.checkpoints": "keras_vae.training.checkpoints",
    "keras_vae.classifier": "keras_vae.evaluation.classifier",
    "keras_vae.datasets": "keras_vae.data",
    "keras_vae.distribution": "keras_vae.training.distribution",
    "keras_vae.inputs": "keras_vae.images",
    "keras_vae.metrics": "keras_vae.evaluation",
    "keras_vae.shards": "keras_vae.data.shards",
    "keras_vae.visualize": "keras_vae.plots",
}
# The modules whose import registers keras_vae's Keras serializables: the VAE and the
# built-in loss terms, priors, objectives, layers and optimizers (what a saved VAE's config
# names).
SERIALIZABLES = (
    "keras_vae.models.vae",
    "keras_vae.models.hierarchical",
    "keras_vae.models.semi_supervised",
    "keras_vae.architectures.conv_hvae",
    "keras_vae.architectures.gated_dense",
    "keras_vae.architectures.resampling",
    "keras_vae.losses.beta_tc",
    "keras_vae.losses.discretized",
    "keras_vae.losses.kl",
    "keras_vae.losses.likelihoods",
    "keras_vae.losses.mmd",
    "keras_vae.losses.pixelcnn",
    "keras_vae.objectives.base",
    "keras_vae.objectives.iwae",
    "keras_vae.optimizers",
    "keras_vae.priors.mixture",
    "keras_vae.priors.standard_normal",
    "keras_vae.priors.vamp",
)


def lazy_exports(
    package: str, exports: dict[str, str], submodules: tuple[str, ...] = ()
) -> tuple[Callable, Callable]:
    """Returns a package's `__getattr__` and `__dir__`, which import each exported name from
    its module on first use.

    Args:
        package: the package's `__name__`.
        exports: {name: the module that defines it}, relative to `package` (".run") or absolute.
        submodules: names of submodules (or moved modules' old names) to import on first use.
    """

    def __getattr__(name: str):
        if name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        elif name in exports:
            value = getattr(importlib.import_module(exports[name], package), name)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports) | set(submodules))

    return __getattr__, __dir__


class _Hooks(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the old names of moved modules as the new modules, checks that Keras's backend
    is installed before Keras loads, and registers keras_vae's Keras serializables once Keras
    and keras_vae have both been imported."""

    registered = False

    def find_spec(self, name, path, target=None):
        if name in MOVED_MODULES:
            return importlib.util.spec_from_loader(name, self)
        if self.registered or not (name == "keras" or name.startswith("keras_vae.")):
            return None
        spec = self._spec_from_other_finders(name, path, target)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            run_module = spec.loader.exec_module

            def exec_module(module):
                if name == "keras":  # fail with the fix, not deep inside Keras
                    check_backend_installed()
                run_module(module)
                self.register_when_ready(just_loaded=name)

            spec.loader.exec_module = exec_module
        return spec

    def _spec_from_other_finders(self, name, path, target):
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is not self and find is not None:
                spec = find(name, path, target)
                if spec is not None:
                    return spec
        return None

    # The loader of a moved module's old name: its module is the new one.
    def create_module(self, spec):
        return None

    def exec_module(self, module):
        new = MOVED_MODULES[module.__name__]
        warnings.warn(
            f"{module.__name__} moved to {new} in keras_vae 0.2; import it from there (the old "
            "name will go in a later version).",
            DeprecationWarning,
            stacklevel=2,
        )
        sys.modules[module.__name__] = importlib.import_module(new)

    def register_when_ready(self, just_loaded: str | None = None) -> None:
        """Registers the serializables if Keras is loaded and no module of Keras or keras_vae
        is half-imported (registering then could import a module in the middle of its own
        import); otherwise a later import's hook does."""
        if self.registered or "keras" not in sys.modules:
            return
        for name, module in list(sys.modules.items()):
            loading = getattr(getattr(module, "__spec__", None), "_initializing", False)
            if (
                loading
                and name != just_loaded
                and (name == "keras" or name.startswith("keras_vae."))
            ):
                return
        self.registered = True
        try:
            register_serializables()
        except Exception as error:  # e.g. an unsupported backend: Keras itself must still load
            warnings.warn(
                f"keras_vae could not register its models with Keras ({error}); "
                "load them with keras_vae.load_vae.",
                stacklevel=2,
            )


def register_serializables() -> None:
    """Registers the VAE and the built-in loss terms with Keras (by importing their modules)."""
    for module in SERIALIZABLES:
        importlib.import_module(module)


def install() -> None:
    """Installs the import hook (once) and registers at once if Keras is already loaded."""
    if not any(isinstance(finder, _Hooks) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Hooks())
    next(f for f in sys.meta_path if isinstance(f, _Hooks)).register_when_ready()
