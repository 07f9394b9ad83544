"""The dataset registry: every kind of dataset keras_vae reads (MNIST, `.npz`, IDX, shards,
image folders, and any a plugin adds), and `read_dataset`, the one path train, evaluate, score
and explore load them by.

A dataset is a class registered by name (`keras_vae.register_dataset("name")`, or an entry
point in the `keras_vae.datasets` group). It is built as `Dataset(path, **options)` (or with no
path, where `takes_path` is False) and `read()` returns `(x_train, y_train), (x_test, y_test)`:
images float32 (N, H, W, C) in [0, 1], labels int64 (N,) or None. `recognizes(path)` says
whether a path given with `--data` is one of its kind; plugins are asked first, then the
built-ins in `DETECTION_ORDER`. Its options are its keyword arguments (`--image-size`,
`--test-split`, ... for image folders): an option given to a dataset that does not take it is
an error naming the datasets that do.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

from keras_vae.data.binarize import Split
from keras_vae.registry import get_registry

_DATASETS = get_registry("dataset")

register_dataset = _DATASETS.register
get_dataset = _DATASETS.get
list_datasets = _DATASETS.names

# The built-ins a path is matched against, most specific first: a shard directory, an IDX
# directory or a directory of emoji tarballs may also hold image files; any other directory is
# read as a folder of images, any other file as an .npz (each names what it finds instead, where
# that fails).
DETECTION_ORDER = ("shards", "idx", "emoji", "image_folder", "npz")
# The command-line flag of each option the built-in datasets take.
OPTION_FLAGS = {
    "image_size": "--image-size",
    "test_split": "--test-split",
    "split_seed": "--split-seed",
    "skip_bad_images": "--skip-bad-images",
    "stream": "--stream",
}


class Dataset:
    """Base of the registered datasets: what `read_dataset` asks of each.

    Subclasses are usually frozen dataclasses whose first field is `path` and whose other
    fields (with defaults) are their options.
    """

    description: ClassVar[str] = "a dataset"  # for messages: "a folder of image files"
    takes_path: ClassVar[bool] = True  # False: built with no path (MNIST finds its own)

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        """Whether `path` holds a dataset of this kind (False: only chosen by name)."""
        return False

    def read(self) -> tuple[Split, Split]:
        """Returns `(x_train, y_train), (x_test, y_test)`."""
        raise NotImplementedError(f"{type(self).__name__} must define read().")


def read_dataset(
    path: str | os.PathLike | None = None,
    dataset: str | None = None,
    settings: dict[str, str] | None = None,
    **options: Any,
) -> tuple[Split, Split]:
    """Reads the dataset at `path` (or named `dataset`; neither: MNIST).

    Args:
        path: a file or directory; its kind is recognised unless `dataset` names it.
        dataset: a registered dataset's name (`list_datasets()`).
        settings: {option: text} of the dataset's options that have no flag of their own
            (`train --set dataset.OPTION=TEXT`), each converted by its type hint.
        **options: the dataset's options; one the dataset does not take must be None or the
            default of the datasets that take it.

    Returns:
        `(x_train, y_train), (x_test, y_test)`.
    """
    path = None if path is None else Path(path).expanduser()
    name = dataset or ("mnist" if path is None else dataset_name_of(path))
    cls = get_dataset(name)
    given = _check_options(cls, path, options) | _parsed_settings(cls, name, settings or {})
    if not cls.takes_path:
        if path is not None:
            raise ValueError(
                f"The {name} dataset finds its own files; drop --data {path} (or drop "
                f"--dataset {name} to read {path})."
            )
        return cls(**given).read()
    if path is None:
        raise ValueError(f"The {name} dataset ({cls.description}) needs --data PATH.")
    return cls(path, **given).read()


def dataset_name_of(path: Path) -> str:
    """Returns the name of the registered dataset that recognizes `path`, or raises naming
    what `path` is instead."""
    plugins = [name for name in list_datasets() if name not in _DATASETS.builtins]
    for name in plugins + list(DETECTION_ORDER):
        if get_dataset(name).recognizes(path):
            return name
    raise FileNotFoundError(
        f"No dataset at {path}: pass an .npz file, a directory of IDX files or shards, a folder "
        f"of images, or a path a registered dataset reads ({', '.join(list_datasets())})."
    )


def _parsed_settings(cls: type, name: str, settings: dict[str, str]) -> dict[str, Any]:
    """Returns the options of `settings` ({option: text}) converted for the dataset `cls`;
    raises a ValueError for one it does not take, or one that has its own flag."""
    from keras_vae.component_options import component_options, parse_options

    for option in settings:
        if option in OPTION_FLAGS:
            raise ValueError(
                f"--set dataset.{option}: pass {OPTION_FLAGS[option]} instead, the flag that "
                "sets it for every dataset that takes it."
            )
    return parse_options("dataset", f"the {name} dataset", component_options(cls), settings)


def _check_options(cls: type, path: Path | None, options: dict[str, Any]) -> dict:
    """Returns the options `cls` takes; raises a ValueError for another one given (set to
    other than None or the default of the datasets that take it)."""
    from keras_vae.component_options import component_options

    takes = component_options(cls)
    for option, value in options.items():
        if option in takes or value is None:
            continue
        datasets = [get_dataset(other) for other in list_datasets()]
        takers = {
            other.description: options_of[option].default
            for other in datasets
            if option in (options_of := component_options(other))
        }
        if value in takers.values():
            continue  # left at its default: not given
        flag = OPTION_FLAGS.get(option, option)
        subject = cls.description if path is None else f"{path} ({cls.description})"
        raise ValueError(
            f"{flag} applies to {' or '.join(takers) or 'no registered dataset'}; {subject} "
            f"does not take it: drop {flag}."
        )
    return {option: value for option, value in options.items() if option in takes}
