"""Emoji: 64x64 colour images of the 1,911 Unicode emoji (3,786 with skin tones) in two
artists' designs, Google's Noto (Apache 2.0) and Twitter's Twemoji (CC BY 4.0), as the npm
packages `emoji-datasource-google` and `emoji-datasource-twitter` ship them.

Fetch (about 140 MB, kept out of any repository): `npm pack emoji-datasource-google@16.0.0
emoji-datasource-twitter@16.0.0` in a directory, then `--data DIRECTORY` reads the two tarballs
as they are. Each image is composited on white, as emoji are shown on a page. The test set is
drawn by emoji, not by image, so that no design or skin tone of a test emoji is trained on; the
training images come emoji by emoji in a random order of the emoji, so that the last N of them
(`--validation-split N`) are whole emoji too (but the one emoji the cut may split).
Labels are the emoji's Unicode category ("Smileys & Emotion", "Flags", ...: `CATEGORIES`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from keras_vae.data.dataset import Dataset, Split

# The designs read, with their licences; the npm packages also hold Apple's and Facebook's,
# which are not licensed for reuse.
DESIGNS = {"google": "Apache-2.0", "twitter": "CC-BY-4.0"}
PACKAGE_GLOB = "emoji-datasource-{design}-*.tgz"
FETCH = "npm pack emoji-datasource-google@16.0.0 emoji-datasource-twitter@16.0.0"
NATIVE_SIZE = 64
CATEGORIES = (
    "Activities", "Animals & Nature", "Component", "Flags", "Food & Drink", "Objects",
    "People & Body", "Smileys & Emotion", "Symbols", "Travel & Places",
)  # fmt: skip


def emoji_packages(directory: Path) -> dict[str, Path]:
    """Returns the newest `emoji-datasource-<design>-<version>.tgz` in `directory` per design."""
    found = {}
    for design in DESIGNS:
        tarballs = sorted(directory.glob(PACKAGE_GLOB.format(design=design)))
        if tarballs:
            found[design] = tarballs[-1]
    return found


def read_emoji_package(tarball: Path, design: str) -> list[tuple[str, int, np.ndarray]]:
    """Returns (base emoji's code points, category index, RGBA uint8 (64, 64, 4)) for every
    image in one npm tarball, skin tones included."""
    from PIL import Image

    # One pass in the archive's order: a gzip stream seeks backwards only by decompressing
    # again from its start.
    with tarfile.open(tarball, mode="r|gz") as archive:
        files = {}
        for member in archive:
            if member.name == "package/emoji.json" or member.name.startswith(
                f"package/img/{design}/{NATIVE_SIZE}/"
            ):
                files[member.name] = archive.extractfile(member).read()
    if "package/emoji.json" not in files:
        raise ValueError(f"{tarball} is not an emoji-datasource package: no package/emoji.json.")
    images = []
    for entry in json.loads(files["package/emoji.json"]):
        category = CATEGORIES.index(entry["category"])
        variants = [entry] + list((entry.get("skin_variations") or {}).values())
        for variant in variants:
            data = files.get(f"package/img/{design}/{NATIVE_SIZE}/{variant['image']}")
            if not variant.get(f"has_img_{design}") or data is None:
                continue
            with Image.open(io.BytesIO(data)) as image:
                images.append((entry["unified"], category, np.asarray(image.convert("RGBA"))))
    if not images:
        raise ValueError(f"{tarball} holds no {design} emoji images under package/img/{design}/64.")
    return images


def on_white(rgba: np.ndarray) -> np.ndarray:
    """Composites uint8 RGBA images (..., 4) on white; returns uint8 RGB."""
    alpha = rgba[..., 3:].astype(np.uint32)
    colour = rgba[..., :3].astype(np.uint32)
    return ((colour * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)


def emoji_rank(code_points: str, seed: int) -> float:
    """Returns the emoji `code_points`'s place in [0, 1) in a random order of the emoji: a hash
    of it and the seed."""
    digest = hashlib.sha256(f"{seed}:{code_points}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def in_test_set(code_points: str, fraction: float, seed: int) -> bool:
    """Whether the emoji `code_points` is held out: its rank below `fraction`."""
    return emoji_rank(code_points, seed) < fraction


@dataclasses.dataclass(frozen=True)
class Emoji(Dataset):
    """The Google and Twitter emoji from their npm tarballs in `path`.

    Args:
        path: the directory `npm pack` wrote the tarballs to.
        image_size: (size,) or (size, size), a power of 2 up to 64: each image is averaged
            down to it over blocks of pixels; None: 64x64.
        test_split: the fraction of the emoji held out (all their designs and skin tones);
            None: 0.1.
        split_seed: the seed of that split.
    """

    description = "a directory of npm's emoji-datasource tarballs"
    path: Path
    image_size: Sequence[int] | None = None
    test_split: float | None = None
    split_seed: int = 0

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        return path.is_dir() and bool(emoji_packages(path))

    def read(self) -> tuple[Split, Split]:
        """Returns `(x_train, y_train), (x_test, y_test)`: float32 (N, S, S, 3) in [0, 1] and
        int64 category labels."""
        size = self._size()
        fraction = 0.1 if self.test_split is None else float(self.test_split)
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"--test-split {fraction} for emoji must be a fraction in (0, 1).")
        packages = emoji_packages(Path(self.path))
        if not packages:
            raise FileNotFoundError(
                f"No emoji-datasource-google-*.tgz or emoji-datasource-twitter-*.tgz in "
                f"{self.path}. Fix: run `{FETCH}` there (npm's registry; about 140 MB)."
            )
        splits = {True: ([], [], []), False: ([], [], [])}
        for design, tarball in packages.items():
            for code_points, category, rgba in read_emoji_package(tarball, design):
                rank = emoji_rank(code_points, self.split_seed)
                held_out = rank < fraction
                for column, value in zip(splits[held_out], (rgba, category, rank), strict=True):
                    column.append(value)
        # Training images emoji by emoji (a stable sort keeps designs and tones in order), the
        # emoji in their random order: a validation split of the last images holds whole emoji.
        images, labels, ranks = splits[False]
        order = np.argsort(ranks, kind="stable")
        splits[False] = ([images[i] for i in order], [labels[i] for i in order], ranks)
        return tuple(
            (_as_rgb(images, size), np.asarray(labels, dtype="int64"))
            for images, labels, _ in (splits[False], splits[True])
        )

    def _size(self) -> int:
        sizes = set(self.image_size or (NATIVE_SIZE,))
        size = sizes.pop() if len(sizes) == 1 else None
        if size is None or size < 1 or NATIVE_SIZE % size:
            raise ValueError(
                f"--image-size {','.join(map(str, self.image_size))} for emoji: they are square "
                f"{NATIVE_SIZE}x{NATIVE_SIZE} images, averaged down over blocks; pass one size "
                "that divides 64, such as --image-size 32."
            )
        return size


def _as_rgb(images: list[np.ndarray], size: int) -> np.ndarray:
    """Stacks RGBA images into float32 RGB (N, size, size, 3) in [0, 1], composited on white
    and then averaged over blocks down to `size` (rounded to 8 bits, like any image file)."""
    rgb = on_white(np.stack(images)).astype("float32")
    block = NATIVE_SIZE // size
    if block > 1:
        rgb = np.rint(rgb.reshape(len(rgb), size, block, size, block, 3).mean(axis=(2, 4)))
    return rgb / 255.0
