"""Checkpoint files that a kill at any moment cannot corrupt, and the `latest` pointer to them.

A model is written to a temporary `.keras` file beside its destination, flushed to disk, then
renamed over it: a rename within one directory is atomic, so a reader sees the old file or the
new one, never half of one. `checkpoints/latest` (a one-line text file, replaced the same way)
names the newest complete checkpoint.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

LATEST = "latest"


def save_atomically(model, path: str | os.PathLike) -> Path:
    """Saves `model` to the `.keras` file `path` so that `path` is never left half-written."""
    path = Path(path)
    # Keras insists on the .keras suffix; the leading dot keeps the temporary file out of globs.
    temporary = path.with_name(f".{path.stem}.{os.getpid()}.tmp.keras")
    try:
        model.save(temporary)
        _fsync(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync(path.parent)
    return path


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Replaces the file `path` by one holding `text`, atomically."""
    path = Path(path)
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    os.replace(file.name, path)
    _fsync(path.parent)


def save_checkpoint(model, directory: str | os.PathLike, epoch: int) -> Path:
    """Saves `model` as `directory/epoch_NNN.keras` and points `directory/latest` at it."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = save_atomically(model, directory / f"epoch_{epoch:03d}.keras")
    point_latest_at(path)
    return path


def latest_checkpoint(directory: str | os.PathLike) -> Path | None:
    """Returns the checkpoint that `directory/latest` names, else the highest-numbered
    `epoch_NNN.keras` there (a run from before the pointer existed), else None."""
    directory = Path(directory)
    pointer = directory / LATEST
    if pointer.exists():
        named = directory / pointer.read_text().strip()
        if named.name and named.is_file():
            return named
    checkpoints = checkpoints_newest_first(directory)
    return checkpoints[0] if checkpoints else None


def checkpoints_newest_first(directory: str | os.PathLike) -> list[Path]:
    """Returns the `epoch_NNN.keras` files in `directory`, highest epoch number first (by
    number: epoch_1000 comes before epoch_999)."""
    found = [
        (int(path.stem[len("epoch_") :]), path)
        for path in Path(directory).glob("epoch_*.keras")
        if path.stem[len("epoch_") :].isdigit()
    ]
    return [path for _, path in sorted(found, reverse=True)]


def point_latest_at(path: str | os.PathLike) -> None:
    """Makes `latest` beside the checkpoint `path` name it."""
    path = Path(path)
    write_text_atomically(path.parent / LATEST, path.name + "\n")


def _fsync(path: Path) -> None:
    """Flushes a file or directory entry to disk, where the platform allows it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # directories cannot be opened on Windows
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
