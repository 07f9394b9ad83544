"""Files that a kill at any moment cannot leave half-written: each is written to a temporary
file beside its destination, flushed to disk, then renamed over it. A rename within one
directory is atomic, so a reader sees the old file or the new one, never part of one."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path to write `path`'s new content to; on leaving without an error
    it replaces `path`, and in any case no temporary file is left behind.

    The temporary name keeps the suffix (Keras insists on `.keras`, NumPy appends `.npz`
    otherwise) and starts with a dot, which keeps it out of the checkpoints' globs.
    """
    path = Path(path)
    temporary = path.with_name(
        f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp{path.suffix}"
    )
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
        _fsync(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def save_atomically(model, path: str | os.PathLike) -> Path:
    """Saves `model` to the `.keras` file `path`; returns `path`."""
    with atomic_path(path) as temporary:
        model.save(temporary)
    return Path(path)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """Replaces the file `path` by one holding `text`."""
    with atomic_path(path) as temporary:
        temporary.write_text(text)


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
