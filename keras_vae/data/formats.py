"""Image datasets in files: `load_images` reads any kind the dataset registry knows
(`keras_vae.data.dataset`); this module defines two of them, a Keras-style `.npz` and a
directory of IDX files (LeCun's MNIST format). Shards are in `keras_vae.data.shards`, folders of
image files in `keras_vae.data.image_folder`.

Every dataset returns `(x_train, y_train), (x_test, y_test)`: images float32 (N, H, W, C) in
[0, 1] and labels int64 (N,) or None.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.data.binarize import Split, binarize_splits
from keras_vae.data.dataset import Dataset
from keras_vae.images import as_float_images


def load_images(
    path: str | os.PathLike,
    binarize: str | None = None,
    seed: int = 0,
    image_size: Sequence[int] | None = None,
    test_split: float | None = None,
    split_seed: int = 0,
    skip_bad_images: bool = False,
) -> tuple[Split, Split]:
    """Loads any image dataset from a Keras-style `.npz`, a directory of IDX files, a
    directory of `.npy` shards larger than memory, a folder of image files, or a kind a plugin
    registers (`keras_vae.data.dataset`).

    Args:
        path: an `.npz` with `x_train`, `x_test` (uint8 in 0..255 or float in [0, 1]; (N, H, W)
            or (N, H, W, C)) and optional `y_train`, `y_test`; or a directory holding
            `*-images-idx3-ubyte[.gz]` and `*-labels-idx1-ubyte[.gz]` for train and test; or a
            directory of `train/*.npy` and `test/*.npy` shards (see `keras_vae.data.shards`): the
            training images then stay on disk as a `ShardedImages`, read batch by batch, and
            the test images are read into memory; or a folder of images (`ImageFolder`).
        binarize: None, "static" or "dynamic", as for `load_mnist` ("static" is not available
            for shards: binarise the shards themselves).
        seed: seed of the one-off test-set draw for `binarize="dynamic"`.
        image_size, test_split, split_seed, skip_bad_images: for a folder of images, as
            `ImageFolder` takes them; other datasets refuse them.

    Returns:
        `(x_train, y_train), (x_test, y_test)`; labels are None where the file has none.
    """
    from keras_vae.data.dataset import read_dataset

    splits = read_dataset(
        path,
        image_size=image_size,
        test_split=test_split,
        split_seed=split_seed,
        skip_bad_images=skip_bad_images,
    )
    return binarize_splits(splits, binarize, seed)


def is_idx_directory(path: Path) -> bool:
    """Whether `path` is a directory holding IDX files (`*-idx?-ubyte*`)."""
    return path.is_dir() and any(path.glob("*-idx?-ubyte*"))


@dataclass(frozen=True)
class NpzFile(Dataset):
    """A Keras-style `.npz`: `x_train`, `x_test` and optionally `y_train`, `y_test`."""

    description = "an .npz of arrays"
    path: Path

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        return path.is_file()  # any file: one that is not an .npz gets an error saying so

    def read(self) -> tuple[Split, Split]:
        try:
            with np.load(self.path, allow_pickle=False) as archive:
                arrays = {key: archive[key] for key in archive.files}
        except (ValueError, OSError, zipfile.BadZipFile) as error:
            raise ValueError(f"{self.path} is not a readable .npz file ({error}).") from error
        missing = {"x_train", "x_test"} - set(arrays)
        if missing:
            raise ValueError(
                f"{self.path} lacks {sorted(missing)}; it holds {sorted(arrays)}. A dataset .npz "
                "needs x_train and x_test (and optionally y_train, y_test), as keras.datasets "
                "writes them."
            )
        return normalise_splits(arrays, source=str(self.path))


@dataclass(frozen=True)
class IdxDirectory(Dataset):
    """A directory of IDX files (LeCun's MNIST format): train and test images and labels."""

    description = "a directory of IDX files"
    path: Path

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        return is_idx_directory(path)

    def read(self) -> tuple[Split, Split]:
        return normalise_splits(_read_idx_directory(self.path), source=str(self.path))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads one IDX file (LeCun's MNIST format, optionally gzipped) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in dtypes:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()}).")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(dtypes[data[2]])
    offset = 4 + 4 * ndim
    expected = offset + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{path} is truncated or corrupt: its header says {shape} ({expected} bytes) but "
            f"the file has {len(data)} bytes."
        )
    return np.frombuffer(data, dtype, offset=offset).reshape(shape).astype(dtype.newbyteorder("="))


def _read_idx_directory(directory: Path) -> dict[str, np.ndarray]:
    def find(kind: str, split: str) -> Path:
        prefixes = ("train",) if split == "train" else ("t10k", "test")
        matches = sorted(
            p
            for p in directory.glob(f"*-{kind}-idx?-ubyte*")
            if p.name.startswith(prefixes) and p.suffix in ("", ".gz")
        )
        if not matches:
            raise FileNotFoundError(
                f"{directory} has no {split} {kind} IDX file; expected e.g. "
                f"{prefixes[0]}-{kind}-idx{3 if kind == 'images' else 1}-ubyte[.gz]."
            )
        return matches[0]

    paths = {
        "x_train": find("images", "train"),
        "y_train": find("labels", "train"),
        "x_test": find("images", "test"),
        "y_test": find("labels", "test"),
    }
    return {key: read_idx(path) for key, path in paths.items()}


def normalise_splits(arrays: dict, source: str = "the dataset") -> tuple[Split, Split]:
    splits = []
    for split in ("train", "test"):
        x = as_float_images(
            arrays[f"x_{split}"], what=f"images in x_{split} of {source}", taker="keras_vae"
        )
        y = arrays.get(f"y_{split}")
        if y is not None:
            y = np.asarray(y).astype("int64").reshape(-1)
            if len(y) != len(x):
                raise ValueError(
                    f"{source}: y_{split} has {len(y)} labels for {len(x)} images; they must match."
                )
        splits.append((x, y))
    return tuple(splits)
