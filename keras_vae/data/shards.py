"""`ShardedImages`: a dataset stored as many `.npy` files, read batch by batch from disk.

Layout: `DIR/train/*.npy` and `DIR/test/*.npy` (taken in name order), each shard an array of
(n, H, W) or (n, H, W, C) images, uint8 (scaled by 1/255) or float in [0, 1]. Only the rows of
a batch are read, each run of consecutive rows by one positioned read (`os.pread`) straight into
the batch, so resident memory holds a few batches however large the dataset.

Why not a memory map: pages read through one count towards the process's resident memory, and
the kernel maps a whole cached block around each page fault (100-200 KB for each randomly placed
784-byte MNIST row, measured here). On a 4 GB shard set that put training over 1.5 GB even with
the pages released (`madvise(MADV_DONTNEED)`) every three batches, and cost ~1 ms of madvise
per batch.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.data.binarize import Split
from keras_vae.data.dataset import Dataset


@dataclass(frozen=True)
class Shard:
    """One `.npy` file: where its data starts and what it holds."""

    path: Path
    offset: int
    shape: tuple[int, ...]
    dtype: np.dtype

    @classmethod
    def open(cls, path: Path) -> Shard:
        with open(path, "rb") as file:
            try:
                version = np.lib.format.read_magic(file)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
                else:
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
            except ValueError as error:
                raise ValueError(f"{path} is not a readable .npy file ({error}).") from None
            offset = file.tell()
        if fortran:
            raise ValueError(f"{path} is stored in Fortran order; save it with np.save(C-order).")
        if dtype != np.uint8 and dtype.kind != "f":
            raise ValueError(f"{path} holds {dtype}; shards must be uint8 or float images.")
        if len(shape) == 3:
            shape = (*shape, 1)
        if len(shape) != 4:
            raise ValueError(f"{path} has shape {shape}; expected (n, H, W) or (n, H, W, C).")
        return cls(path, offset, tuple(int(d) for d in shape), np.dtype(dtype))


class ShardedImages:
    """A read-only (N, H, W, C) float32 array-like over shards; indexing reads from disk.

    Indexing with an int array or a list gathers those images (any order); a slice with step 1
    gives a view of a range, still on disk; `np.asarray` reads everything.
    """

    def __init__(self, paths: list[Path], start: int = 0, stop: int | None = None) -> None:
        if not paths:
            raise ValueError("No .npy shards given.")
        self.shards = [Shard.open(Path(p)) for p in paths]
        shapes = {s.shape[1:] for s in self.shards}
        if len(shapes) != 1:
            raise ValueError(
                f"The shards hold images of different shapes {sorted(shapes)}; every shard must "
                "hold images of one (H, W, C)."
            )
        self._ends = np.cumsum([s.shape[0] for s in self.shards])
        total = int(self._ends[-1])
        self._start = start
        self._stop = total if stop is None else min(stop, total)
        self.shape = (max(self._stop - self._start, 0), *shapes.pop())
        self.dtype = np.dtype("float32")
        self.ndim = 4
        # Batches are read from worker threads: each shard is opened once, under a lock.
        self._lock = threading.Lock()
        self._files: dict[int, int] = {}

    @property
    def paths(self) -> list[Path]:
        return [s.path for s in self.shards]

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, slice) and index.step in (None, 1):
            start, stop, _ = index.indices(len(self))
            return ShardedImages(self.paths, self._start + start, self._start + max(start, stop))
        if isinstance(index, (int, np.integer)):
            return self[np.array([index])][0]
        index = np.asarray(index if not isinstance(index, slice) else range(len(self))[index])
        if index.size and (index.min() < -len(self) or index.max() >= len(self)):
            raise IndexError(f"image index out of range for {len(self)} images")
        index = np.where(index < 0, index + len(self), index) + self._start
        order = np.argsort(index, kind="stable")
        ordered = index[order]
        shard_of = np.searchsorted(self._ends, ordered, side="right")
        out = np.empty((len(index), *self.shape[1:]), "float32")
        for number in np.unique(shard_of):
            mine = shard_of == number
            local = ordered[mine] - (self._ends[number - 1] if number else 0)
            out[order[mine]] = self._rows(int(number), local)  # back in the asked-for order
        return out

    def _rows(self, number: int, index: np.ndarray) -> np.ndarray:
        """Returns the images at sorted local `index` of shard `number`, float32 in [0, 1]."""
        shard = self.shards[number]
        rows = np.empty((len(index), *shard.shape[1:]), shard.dtype)
        as_bytes = rows.reshape(len(index), -1).view(np.uint8)
        row_bytes = as_bytes.shape[1]
        descriptor = self._descriptor(number)
        # Each run of consecutive rows is one read (a whole shard, for the mean, is a few).
        for run in np.split(np.arange(len(index)), np.flatnonzero(np.diff(index) != 1) + 1):
            first, count = int(index[run[0]]), len(run)
            data = _read_at(descriptor, count * row_bytes, shard.offset + first * row_bytes)
            if len(data) != count * row_bytes:
                raise ValueError(f"{shard.path} is shorter than its header says; rewrite it.")
            as_bytes[run[0] : run[0] + count] = np.frombuffer(data, np.uint8).reshape(count, -1)
        if shard.dtype == np.uint8:
            return rows.astype("float32") / 255.0
        rows = rows.astype("float32")
        if not np.isfinite(rows).all() or rows.min() < 0.0 or rows.max() > 1.0:
            raise ValueError(
                f"{shard.path} has NaN, infinite or out-of-[0, 1] pixels in the images at "
                f"{index[:5].tolist()}...; normalise the shard (divide 8-bit images by 255)."
            )
        return rows

    def _descriptor(self, number: int) -> int:
        """Returns an open read-only file descriptor of shard `number`."""
        with self._lock:
            if number not in self._files:
                self._files[number] = os.open(self.shards[number].path, os.O_RDONLY)
            return self._files[number]

    def __del__(self):
        for descriptor in getattr(self, "_files", {}).values():
            os.close(descriptor)

    def __array__(self, dtype=None, copy=None):
        array = self[np.arange(len(self))]
        return array if dtype is None else array.astype(dtype)

    def mean(self, axis=0, dtype="float64") -> np.ndarray:
        """Returns the mean image (axis 0 only), read in chunks."""
        if axis != 0:
            raise ValueError("ShardedImages.mean supports axis=0 only.")
        total = np.zeros(self.shape[1:], dtype)
        chunk = 16384
        for first in range(0, len(self), chunk):
            total += self[np.arange(first, min(first + chunk, len(self)))].sum(0, dtype=dtype)
        return total / max(len(self), 1)

    def __repr__(self) -> str:
        return f"ShardedImages({len(self.shards)} shards, shape={self.shape})"


def _read_at(descriptor: int, size: int, offset: int) -> bytes:
    """Reads `size` bytes at `offset` of an open file, without moving a shared file position."""
    if hasattr(os, "pread"):
        return os.pread(descriptor, size, offset)
    with _SEEK_LOCK:  # Windows has no pread: seek and read, one thread at a time
        os.lseek(descriptor, offset, os.SEEK_SET)
        return os.read(descriptor, size)


_SEEK_LOCK = threading.Lock()


def is_shard_directory(path: str | os.PathLike) -> bool:
    """Whether `path` is a directory with `train/*.npy` shards."""
    path = Path(path)
    return (path / "train").is_dir() and any((path / "train").glob("*.npy"))


def open_shards(path: str | os.PathLike) -> tuple[ShardedImages, ShardedImages]:
    """Returns the (train, test) images of a shard directory; see the module docstring."""
    path = Path(path)
    splits = []
    for split in ("train", "test"):
        files = sorted((path / split).glob("*.npy"))
        if not files:
            raise ValueError(
                f"{path / split} has no .npy shards; a shard dataset needs train/*.npy and "
                "test/*.npy."
            )
        splits.append(ShardedImages(files))
    if splits[0].shape[1:] != splits[1].shape[1:]:
        raise ValueError(
            f"Train images are {splits[0].shape[1:]} but test images {splits[1].shape[1:]}; "
            "both splits must hold images of one shape."
        )
    return splits[0], splits[1]


@dataclass(frozen=True)
class ShardDirectory(Dataset):
    """A directory of `train/*.npy` and `test/*.npy` shards: the training images stay on disk
    (`ShardedImages`); the test images are read into memory."""

    description = "a directory of .npy shards"
    path: Path

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        return is_shard_directory(path)

    def read(self) -> tuple[Split, Split]:
        x_train, x_test = open_shards(self.path)
        return (x_train, None), (np.asarray(x_test), None)
