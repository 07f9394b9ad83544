"""The package's shape: no import circle, one home for each run-directory file name, the CLI's
training options from the config, a `--help` that loads no backend, and every name the docs
and 0.1.0 code use still importable."""

import ast
import dataclasses
import importlib
import re
import subprocess
import sys
from pathlib import Path

import click
import keras
import pytest

import keras_vae
from keras_vae.cli import main
from keras_vae.lazy_imports import MOVED_MODULES
from keras_vae.run_directory import RunDirectory
from keras_vae.training.config import TrainingConfig, flag_of, option_of
from tests.helpers import backend_env

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "keras_vae"
BACKEND_MODULES = ("keras", "jax", "tensorflow", "torch")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """keras_vae modules that `path` imports anywhere (functions too), except for type checkers."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    modules = {name for name in found if name.startswith("keras_vae") and module_exists(name)}
    # Importing a.b.c runs a and a.b first, unless they are this module's own packages, which
    # are loaded (or loading) whenever this module runs.
    importer = module_name(path).split(".")
    own = {".".join(importer[:i]) for i in range(1, len(importer))}
    return {".".join(m.split(".")[:i]) for m in modules for i in range(1, m.count(".") + 2)} - own


def module_exists(name: str) -> bool:
    relative = ROOT / Path(*name.split("."))
    return relative.with_suffix(".py").exists() or (relative / "__init__.py").exists()


def test_no_import_circle():
    graph = {
        module_name(path): imported_modules(path) - {module_name(path)}
        for path in PACKAGE.rglob("*.py")
    }
    cycles = []

    def visit(module, trail):
        if module in trail:
            cycles.append(trail[trail.index(module) :] + [module])
            return
        for imported in sorted(graph.get(module, ())):
            if imported not in done:
                visit(imported, trail + [module])
        done.add(module)

    done = set()
    for module in sorted(graph):
        visit(module, [])
    assert not cycles, "import circles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_import_circle_between_packages():
    # keras_vae.X imports keras_vae.Y (any of their modules) and Y imports X: the two read as
    # one layer split in two. saving <-> training was one (#39).
    depends = {}
    for path in PACKAGE.rglob("*.py"):
        own = ".".join(module_name(path).split(".")[:2])
        for imported in imported_modules(path):
            other = ".".join(imported.split(".")[:2])
            if other not in (own, "keras_vae"):
                depends.setdefault(own, {}).setdefault(other, module_name(path))
    circles = [
        f"{a} ({depends[a][b]}) <-> {b} ({depends[b][a]})"
        for a in sorted(depends)
        for b in sorted(depends[a])
        if a < b and a in depends.get(b, {})
    ]
    assert not circles, "packages that import each other: " + "; ".join(circles)


def test_each_run_file_name_is_spelled_in_one_module():
    names = [
        RunDirectory.MODEL,
        RunDirectory.CONFIG,
        RunDirectory.LOG,
        RunDirectory.SAMPLES,
        RunDirectory.RECONSTRUCTIONS,
        RunDirectory.TRAINING_CURVES,
        f'"{RunDirectory.CHECKPOINTS}"',
    ]
    sources = {
        path.relative_to(ROOT).as_posix(): path.read_text()
        for folder in ("keras_vae", "examples", "benchmarks", "scripts")
        for path in (ROOT / folder).rglob("*.py")
    }
    for name in names:
        spelled = sorted(path for path, text in sources.items() if name in text)
        assert spelled == ["keras_vae/run_directory.py"], (name, spelled)
    for name in (r'"epoch_[{*"]', r'"latest"'):  # the checkpoints' own names
        spelled = sorted(path for path, text in sources.items() if re.search(name, text))
        assert spelled == ["keras_vae/training/checkpoints.py"], (name, spelled)


def train_options() -> dict[str, click.Option]:
    return {p.name: p for p in main.commands["train"].params if isinstance(p, click.Option)}


def test_every_config_field_is_a_train_option_with_its_default_and_help():
    options = train_options()
    for field in dataclasses.fields(TrainingConfig):
        option = option_of(field)
        if not option.command_line:
            assert field.name not in options or field.name == "out"
            continue
        flag = options[field.name]
        assert flag.opts == [flag_of(field)]
        assert flag.help == option.help and option.help
        default = "none" if field.default is None and option.choices else field.default
        assert flag.default == default, field.name
    runner_only = {"out", "overwrite", "resume", "preset", "distribute", "coordinator_address"}
    runner_only |= {"num_processes", "process_id", "config_file"}
    command_line = {f.name for f in dataclasses.fields(TrainingConfig) if option_of(f).command_line}
    assert set(options) == command_line | runner_only


def test_train_options_check_the_values_the_config_allows():
    from click.testing import CliRunner

    for args, message in [
        (["--beta", "-1"], "--beta"),
        (["--learning-rate", "0"], "--learning-rate"),
        (["--binarize", "sometimes"], "--binarize"),
        (["--limit", "0"], "--limit"),
    ]:
        result = CliRunner().invoke(main, ["train", *args])
        assert result.exit_code == 2 and message in result.output, (args, result.output)


@pytest.mark.parametrize("args", [["--help"], ["train", "--help"], ["list"]])
def test_help_and_list_load_no_backend(args):
    code = (
        "import sys\n"
        "from keras_vae.cli import main\n"
        f"main({args!r}, standalone_mode=False)\n"
        f"print(sorted(m for m in {BACKEND_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=backend_env(), cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]", done.stdout
    if args == ["list"]:
        assert "architectures: conv, conv_hvae, dense, gated_dense, hvae, resnet" in done.stdout


def test_an_old_module_name_warns_that_it_moved(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras_vae.model", raising=False)
    with pytest.warns(DeprecationWarning, match="keras_vae.model moved to keras_vae.models.vae"):
        importlib.import_module("keras_vae.model")


def test_moved_modules_import_under_their_old_names():
    for old, new in MOVED_MODULES.items():
        assert importlib.import_module(old) is importlib.import_module(new), old
    from keras_vae.datasets import load_mnist  # noqa: F401
    from keras_vae.model import VAE
    from keras_vae.shards import ShardedImages  # noqa: F401

    # The model families' home, under its own names and the old ones.
    assert VAE is keras_vae.models.VAE is keras_vae.VAE
    assert keras_vae.models.build_vae is keras_vae.build_vae
    assert VAE.__module__ == "keras_vae.models.vae"


def test_every_public_name_resolves():
    for name in keras_vae.__all__:
        assert getattr(keras_vae, name) is not None, name
    assert set(keras_vae.__all__) <= set(dir(keras_vae))


def resolve(dotted: str):
    """Imports the longest module prefix of `dotted` and looks the rest up as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            value = getattr(value, attribute)
        return value
    raise ModuleNotFoundError(dotted)


# What the 0.1.0 README and examples named (they have changed since).
NAMES_OF_0_1 = {
    "keras_vae.DataParallel",
    "keras_vae.build_vae",
    "keras_vae.classifier.MNISTClassifier",
    "keras_vae.data_parallel",
    "keras_vae.datasets.MNIST_SHA256",
    "keras_vae.datasets.load_images",
    "keras_vae.datasets.load_mnist",
    "keras_vae.losses.GaussianKL",
    "keras_vae.metrics.iwae_nll",
    "keras_vae.register_architecture",
    "keras_vae.register_loss",
    "keras_vae.shards.ShardedImages",
    "keras_vae.training.TrainingConfig",
    "keras_vae.training.initialize_output_bias",
    "keras_vae.training.train",
    "keras_vae.visualize.sample_images",
}


def test_every_dotted_name_the_docs_and_code_mention_is_importable():
    """README, examples, benchmarks, scripts and the package's own messages and docstrings,
    and what 0.1.0's README named."""
    files = [ROOT / "README.md"]
    for folder in ("keras_vae", "examples", "benchmarks", "scripts"):
        files += (ROOT / folder).rglob("*.py")
    mentioned = set(NAMES_OF_0_1)
    for path in files:
        mentioned |= set(re.findall(r"\bkeras_vae(?:\.[A-Za-z_]\w*)+", path.read_text()))
    assert "keras_vae.datasets.load_mnist" in mentioned  # the scan finds what it should
    other_backends = {"jax", "tensorflow", "torch"} - {keras.backend.backend()}
    mentioned -= {f"keras_vae.backend.{name}" for name in other_backends}  # not installed
    unresolved = []
    for dotted in sorted(mentioned):
        try:
            resolve(dotted)
        except (ImportError, AttributeError) as error:
            unresolved.append(f"{dotted} ({error})")
    assert not unresolved


def test_no_module_is_over_400_lines():
    # A module past this reads as more than one idea; split it by job (#39).
    long = {
        str(path.relative_to(ROOT)): lines
        for path in PACKAGE.rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > 400
    }
    assert not long, f"modules over 400 lines: {long}"
