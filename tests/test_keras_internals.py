"""keras_vae uses Keras's public API, with one named exception, pinned here.

`framework_isolation` reaches two internals that no public API reaches (Keras's global seed
and its lazy TensorFlow module). Every other private Keras name, read, imported or overridden,
fails `test_no_other_private_keras_name_is_used`; a Keras release that moves one of the two
fails `test_the_internals_framework_isolation_reads_are_where_it_expects` with a message that
names the change.
"""

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import keras
import pytest

import keras_vae

PACKAGE = Path(keras_vae.__file__).parent
KERAS_SOURCE = Path(keras.__file__).parent / "src"
# The private Keras names keras_vae may use, each with the module that uses it and why.
ALLOWED = {
    "keras.src.backend.common.global_state": "framework_isolation (Keras's global seed)",
    "keras.src.utils.module_utils": "framework_isolation (Keras's lazy TensorFlow module)",
    "_available": "framework_isolation (whether Keras has looked for TensorFlow)",
}


def _keras_defines(name: str, source: str) -> bool:
    return re.search(rf"\bdef {name}\b|\bself\.{name}\s*=|\b{name}\s*=", source) is not None


@pytest.fixture(scope="module")
def keras_source():
    return "\n".join(path.read_text() for path in KERAS_SOURCE.rglob("*.py"))


def test_no_other_private_keras_name_is_used(keras_source):
    trees = {path: ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py")}
    ours = set()  # private names keras_vae defines itself
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                ours.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                ours.add(node.id)
    found = []
    for path, tree in trees.items():
        where = path.relative_to(PACKAGE.parent)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("keras.src"):
                found += [
                    f"{where}:{node.lineno} imports {node.module}.{alias.name}"
                    for alias in node.names
                    if f"{node.module}.{alias.name}" not in ALLOWED
                ]
            elif isinstance(node, ast.Attribute) and re.fullmatch(r"_[a-z]\w*", node.attr):
                if node.attr in ours or node.attr in ALLOWED:
                    continue
                if _keras_defines(node.attr, keras_source):
                    found.append(f"{where}:{node.lineno} reads Keras's private {node.attr}")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"_[a-z]\w*", node.value) and f"{node.value}=" in keras_source:
                    found.append(f"{where}:{node.lineno} passes Keras's private {node.value}")
    assert not found, "private Keras names (use the public API): " + "; ".join(found)


def _keras_vae_classes():
    for module in pkgutil.walk_packages([str(PACKAGE)], "keras_vae."):
        if ".explorer" in module.name or module.name.endswith("__main__"):
            continue  # optional extras; their classes are no Keras subclasses
        try:
            loaded = importlib.import_module(module.name)
        except ModuleNotFoundError as error:  # another backend's module, its framework absent
            if error.name in ("jax", "tensorflow", "torch"):
                continue
            raise
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if cls.__module__.startswith("keras_vae"):
                yield cls


def test_no_private_keras_method_is_overridden():
    overridden = set()
    for cls in _keras_vae_classes():
        keras_bases = [base for base in cls.__mro__ if base.__module__.startswith("keras.")]
        for name in vars(cls):
            if re.fullmatch(r"_[a-z]\w*", name) and any(hasattr(b, name) for b in keras_bases):
                overridden.add(f"{cls.__module__}.{cls.__qualname__}.{name}")
    assert not overridden, f"overrides of private Keras methods: {sorted(overridden)}"


def test_the_internals_framework_isolation_reads_are_where_it_expects():
    from keras.src.backend.common import global_state
    from keras.src.utils import module_utils

    from keras_vae import framework_isolation

    keras.utils.set_random_seed(11)
    assert global_state.get_global_attribute(framework_isolation._GLOBAL_RANDOM_SEED) == 11, (
        f"Keras {keras.__version__} no longer keeps its global seed as the global attribute "
        f"{framework_isolation._GLOBAL_RANDOM_SEED!r} (keras/src/utils/rng_utils.py); "
        "framework_isolation.set_random_seed must seed it where Keras now does."
    )
    keras.random.normal((1,))  # makes Keras's global seed generator
    assert global_state.get_global_attribute(framework_isolation._GLOBAL_SEED_GENERATOR), (
        f"Keras {keras.__version__} no longer keeps its global SeedGenerator as the global "
        f"attribute {framework_isolation._GLOBAL_SEED_GENERATOR!r} "
        "(keras/src/random/seed_generator.py); framework_isolation.set_random_seed must reset "
        "it where Keras now does."
    )
    tensorflow = getattr(module_utils, "tensorflow", None)
    assert tensorflow is not None and hasattr(tensorflow, "_available"), (
        f"Keras {keras.__version__} no longer has keras.src.utils.module_utils.tensorflow with "
        "an `_available` flag; framework_isolation.tensorflow_left_unimported must tell Keras "
        "another way that TensorFlow is absent (or model.save() imports it on every backend)."
    )
