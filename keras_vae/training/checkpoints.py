"""Checkpoints `epoch_NNN.keras`, each written atomically (`keras_vae.atomic_files`), and the
`latest` pointer, a one-line text file replaced the same way, naming the newest complete one."""

from __future__ import annotations

import os
from pathlib import Path

from keras_vae.atomic_files import save_atomically, write_text_atomically

LATEST = "latest"


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
