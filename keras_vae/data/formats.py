"""Image datasets in files: a Keras-style `.npz`, a directory of IDX files (LeCun's MNIST
format), a directory of `.npy` shards (`keras_vae.data.shards`), or a folder of image files
(`keras_vae.data.image_folder`).

Every loader returns `(x_train, y_train), (x_test, y_test)`: images float32 (N, H, W, C) in
[0, 1] and labels int64 (N,) or None.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from keras_vae.data.binarize import Split, binarize_splits
from keras_vae.data.image_folder import ImageFolder, images_in, is_image_folder
from keras_vae.data.shards import is_shard_directory, open_shards
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
    directory of `.npy` shards larger than memory, or a folder of image files.

    Args:
        path: an `.npz` with `x_train`, `x_test` (uint8 in 0..255 or float in [0, 1]; (N, H, W)
            or (N, H, W, C)) and optional `y_train`, `y_test`; or a directory holding
            `*-images-idx3-ubyte[.gz]` and `*-labels-idx1-ubyte[.gz]` for train and test; or a
            directory of `train/*.npy` and `test/*.npy` shards (see `keras_vae.data.shards`): the
            training images then stay on disk as a `ShardedImages`, read batch by batch, and
            the test images are read into memory.
        binarize: None, "static" or "dynamic", as for `load_mnist` ("static" is not available
            for shards: binarise the shards themselves).
        seed: seed of the one-off test-set draw for `binarize="dynamic"`.
        image_size, test_split, split_seed, skip_bad_images: for a folder of images, as
            `ImageFolder` takes them; other datasets refuse them.

    Returns:
        `(x_train, y_train), (x_test, y_test)`; labels are None where the file has none.
    """
    path = Path(path).expanduser()
    folder = ImageFolder(path, image_size, test_split, split_seed, skip_bad_images)
    if not is_shard_directory(path) and not _is_idx_directory(path) and is_image_folder(path):
        return binarize_splits(folder.read(), binarize, seed)
    for flag, value in (
        ("--image-size", image_size),
        ("--test-split", test_split),
        ("--skip-bad-images", skip_bad_images or None),
    ):
        if value is not None:
            raise ValueError(
                f"{flag} applies to a folder of image files; {path} is not one (an .npz, IDX "
                f"or shard dataset has its own size and split): drop {flag}."
            )
    if is_shard_directory(path):
        x_train, x_test = open_shards(path)
        return binarize_splits(((x_train, None), (np.asarray(x_test), None)), binarize, seed)
    return binarize_splits(_read_dataset(path), binarize, seed)


def _is_idx_directory(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*-idx?-ubyte*"))


def _read_dataset(path: Path) -> tuple[Split, Split]:
    if path.is_dir():
        if not _is_idx_directory(path):
            images_in(path)  # raises: names what the directory holds instead
        return normalise_splits(_read_idx_directory(path), source=str(path))
    if not path.exists():
        raise FileNotFoundError(
            f"No dataset at {path}: pass an .npz file, a directory of IDX files or a folder of "
            "images."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (ValueError, OSError, zipfile.BadZipFile) as error:
        raise ValueError(f"{path} is not a readable .npz file ({error}).") from error
    missing = {"x_train", "x_test"} - set(arrays)
    if missing:
        raise ValueError(
            f"{path} lacks {sorted(missing)}; it holds {sorted(arrays)}. A dataset .npz needs "
            "x_train and x_test (and optionally y_train, y_test), as keras.datasets writes them."
        )
    return normalise_splits(arrays, source=str(path))


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
