"""`keras-vae train --config FILE`: a run's settings from a TOML file, or a run's saved config.

TOML because Python reads it with no dependency (`tomllib`), it takes comments (a config file
is worth annotating, which JSON is not), and its tables map onto components one to one; YAML
would need PyYAML and its implicit types ("no" is False). A run's saved JSON config (or its
directory) is read too, so that any run, trained from flags or from a file, can be replayed.

The file becomes command-line arguments placed before the user's, so that flags given beside
it win (click keeps the last value of a flag; `--set`s add up) and every value goes through
the same checks as a flag:

    epochs = 10                  # any `train` option, by its name
    [architecture]
    name = "dense"               # the component (--architecture dense)
    hidden_units = [512, 256]    # its options (--hidden-units where a flag exists, else --set)
    [prior]
    name = "vamp"
    components = 50
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from pathlib import Path
from typing import Any

import tomllib

from keras_vae.cli.errors import BadInput
from keras_vae.data.dataset import OPTION_FLAGS
from keras_vae.run_directory import RunDirectory
from keras_vae.training.components import DATASET, FLAGS, ROLES
from keras_vae.training.config import TrainingConfig, flag_of, option_of

# What picks each role's component; the KL and MMD terms follow --objective.
_NAMED_BY = {"architecture": "architecture", "likelihood": "likelihood", "prior": "prior",
             "objective": "objective", "dataset": "dataset"}  # fmt: skip
# Runner options a file may give beside the config's fields.
_RUNNER = ("out", "overwrite")
# What a run's saved config holds that is not a setting of a new run.
_RECORDED_ONLY = ("backend", "distribution", "verbose")


def config_file_arguments(path: Path) -> list[str]:
    """Returns the command-line arguments of `train` that the TOML or JSON file at `path`
    gives (a run directory: its saved config); raises BadInput naming a key it does not know,
    or a value of the wrong kind."""
    if path.is_dir():
        path = RunDirectory(path).config
    try:
        text = path.read_text()
    except OSError as error:
        raise BadInput(f"--config {path}: cannot read it ({error.strerror}).") from None
    try:
        settings = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise BadInput(f"--config {path} is not valid {kind}: {error}.") from None
    if not isinstance(settings, dict):
        raise BadInput(f"--config {path}: expected a table of settings, got {settings!r}.")
    fields = {f.name: f for f in dataclasses.fields(TrainingConfig)}
    arguments: list[str] = []
    for key, value in settings.items():
        if key in _RECORDED_ONLY:
            continue
        if isinstance(value, dict):  # a component's table, [mmd] or a plugin's term's too
            arguments += _section_arguments(path, key, value, fields)
        elif key in _RUNNER:
            arguments += _flag(f"--{key}", value)
        elif key in fields and option_of(fields[key]).command_line:
            if key == "component_options":
                arguments += [part for setting in value for part in ("--set", setting)]
            else:
                arguments += _flag(flag_of(fields[key]), value)
        else:
            known = [name for name, f in fields.items() if option_of(f).command_line]
            close = difflib.get_close_matches(key, [*known, *_RUNNER, *ROLES], n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise BadInput(
                f"--config {path}: unknown setting {key!r}.{hint} A file takes train's options by "
                f"name ({', '.join(sorted([*known, *_RUNNER]))}) and a table per component "
                f"([{'], ['.join(ROLES)}], [dataset], and one per loss term --objective adds, "
                "as [mmd])."
            )
    return arguments


def _section_arguments(path: Path, role: str, options: dict, fields: dict) -> list[str]:
    arguments = []
    for option, value in options.items():
        if option == "name":
            if role not in _NAMED_BY:
                raise BadInput(
                    f"--config {path}: [{role}] takes no name; --objective picks the {role} term."
                )
            arguments += _flag(flag_of(fields[_NAMED_BY[role]]), value)
        elif (role, option) in FLAGS:
            arguments += _flag(flag_of(fields[FLAGS[role, option]]), value)
        elif role == DATASET and option in fields and option in OPTION_FLAGS:
            arguments += _flag(flag_of(fields[option]), value)  # [dataset] image_size = 32
        else:
            arguments += ["--set", f"{role}.{option}={_text(value)}"]
    return arguments


def _flag(flag: str, value: Any) -> list[str]:
    if value is None or value is False:
        return []  # the default: unset, or a flag not given
    if value is True:
        return [flag]
    return [flag, _text(value)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return ",".join(_text(v) for v in value)
    return str(value)


def with_config_file(args: list[str]) -> list[str]:
    """Returns `args` with the arguments of the `--config FILE` among them placed first."""
    for i, arg in enumerate(args):
        if arg == "--config" and i + 1 < len(args):
            return config_file_arguments(Path(args[i + 1])) + args
        if arg.startswith("--config="):
            return config_file_arguments(Path(arg.partition("=")[2])) + args
        if arg == "--":
            break
    return args
