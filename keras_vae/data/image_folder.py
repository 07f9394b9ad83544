"""A folder of image files (any format Pillow reads) read as a dataset.

Layout: images anywhere below the folder (sub-folders nested to any depth). If the folder has
`train/` and `test/` sub-folders, they are the two splits; otherwise a seeded `test_split` of
the images is held out (each image's place decided by a hash of its path and the seed, so the
split does not depend on the order files are listed and adding images keeps the others where
they were). Within a split, images that all sit in sub-folders are labelled by them: the
sub-folders' names in sorted order are the classes 0, 1, ... (as Keras's
`image_dataset_from_directory` and torchvision's `ImageFolder` do); images directly in the
split's folder mean no labels.

Pixels: grey images (modes 1, L, LA, I;16, or a grey palette) give one channel; if any image is
in colour, all give three (grey repeated). Transparent pixels are composited on black (what a
VAE's zero background expects). 16-bit images keep their top 8 bits. Photos are turned upright
by their EXIF orientation. Images of different sizes need `image_size`: each is scaled to cover
it and centre-cropped.

Unreadable files (truncated, damaged, or not images despite their name) are an error naming
them, found before any training starts; with `skip_bad_images` they are left out, and a warning
says how many and which.

With `stream`, the training images stay on disk (`keras_vae.data.streaming`); every file is still
decoded once, to check it and learn its size and channels, before training starts.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.data.binarize import Split
from keras_vae.data.dataset import Dataset
from keras_vae.data.image_decoding import decode_image, pillow_size
from keras_vae.data.streaming import FolderImages
from keras_vae.images import as_float_images

DEFAULT_TEST_SPLIT = 0.1
SPLIT_FOLDERS = ("train", "test")


def image_suffixes() -> frozenset[str]:
    """Returns the file name endings of the formats Pillow reads here (".png", ".jpg", ...)."""
    from PIL import Image

    Image.init()
    return frozenset(
        suffix
        for suffix, format_name in Image.registered_extensions().items()
        if format_name in Image.OPEN
    )


def find_images(folder: Path) -> list[Path]:
    """Returns the image files below `folder` (nested folders too), sorted; hidden files and
    folders (".DS_Store", ".ipynb_checkpoints") are left out."""
    return sorted(_image_files(folder))


def images_in(folder: Path) -> list[Path]:
    """Returns `find_images(folder)`, or raises a ValueError naming what `folder` holds
    instead of images."""
    files = find_images(folder)
    if not files:
        others = [p for p in folder.rglob("*") if p.is_file()]
        what = f"{len(others)} other files, e.g. {others[0].name}" if others else "no files"
        raise ValueError(
            f"{folder} holds no image files ({what}); put PNG, JPEG, WebP or other images "
            "Pillow reads in it, or pass an .npz or IDX dataset."
        )
    return files


def _image_files(folder: Path) -> Iterator[Path]:
    suffixes = image_suffixes()
    for directory, subdirectories, files in os.walk(folder):
        subdirectories[:] = [d for d in subdirectories if not d.startswith(".")]
        for name in files:
            if not name.startswith(".") and Path(name).suffix.lower() in suffixes:
                yield Path(directory, name)


@dataclass(frozen=True)
class ImageFolder(Dataset):
    """How to read a folder of images as a dataset.

    Args:
        path: the folder.
        image_size: (height, width), or (size,) for square images: scale each image to cover
            it and centre-crop; None: every image must already have one size.
        test_split: hold out this fraction (below 1) or number of the images as the test set;
            None: 0.1. Not allowed where the folder has `train/` and `test/` sub-folders.
        split_seed: the seed of that split.
        skip_bad_images: leave out files Pillow cannot read (with a warning counting them)
            instead of raising a ValueError naming them. The split is drawn before they are
            left out, so it does not change when a damaged file is fixed.
        stream: keep the training images on disk as a `FolderImages`, decoded batch by batch
            (`keras_vae.data.streaming`); every file is still decoded once first, to check it
            and learn its size. The test images are read into memory.
    """

    description = "a folder of image files"
    path: Path
    image_size: Sequence[int] | None = None
    test_split: float | None = None
    split_seed: int = 0
    skip_bad_images: bool = False
    stream: bool = False

    @classmethod
    def recognizes(cls, path: Path) -> bool:
        # Any directory that is not a dataset of a more specific kind: one without images gets
        # an error naming what it holds instead (`images_in`).
        return path.is_dir()

    def read(self) -> tuple[Split, Split]:
        """Returns `(x_train, y_train), (x_test, y_test)`: float32 (N, H, W, C) images in
        [0, 1] and int64 labels (None where the images are not in class folders)."""
        train_files, test_files, train_root, test_root = self.split_files()
        classes = sorted(
            set(class_names(train_files, train_root)) | set(class_names(test_files, test_root))
        )
        # Streamed training images are decoded here only to be checked and measured.
        decoded = {**self._decode(train_files, keep=not self.stream), **self._decode(test_files)}
        readable = self._readable(decoded)
        train_files = [file for file in train_files if file in readable]
        test_files = [file for file in test_files if file in readable]
        for name, files in (("training", train_files), ("test", test_files)):
            if not files:
                raise ValueError(
                    f"None of the {name} images in {self.path} is readable; fix or replace "
                    "them (the warning above names them)."
                )
        shape = self._image_shape(train_files + test_files, readable)
        if self.stream:
            x_train = FolderImages(train_files, shape, pillow_size(self.image_size))
            x_test = self._stack(test_files, readable, shape[2])
        else:
            images = self._stack(train_files + test_files, readable, shape[2])
            x_train, x_test = images[: len(train_files)], images[len(train_files) :]
        y_train = labels_of(train_files, train_root, classes)
        y_test = labels_of(test_files, test_root, classes)
        if (y_train is None) != (y_test is None):
            y_train = y_test = None  # one split without class folders: neither is labelled
        return (x_train, y_train), (x_test, y_test)

    def split_files(self) -> tuple[list[Path], list[Path], Path, Path]:
        """Returns the training and test files and the folders their labels are relative to."""
        root = Path(self.path).expanduser()
        if all((root / name).is_dir() for name in SPLIT_FOLDERS):
            if self.test_split is not None:
                raise ValueError(
                    f"{root} has train/ and test/ sub-folders, which are its split; drop "
                    f"--test-split {self.test_split:g} (or move the images out of them)."
                )
            train, test = (images_in(root / name) for name in SPLIT_FOLDERS)
            return train, test, root / "train", root / "test"
        files = images_in(root)
        held_out = held_out_count(self.test_split, len(files), "--test-split", DEFAULT_TEST_SPLIT)
        rank = sorted(files, key=lambda file: _hash(self.split_seed, file.relative_to(root)))
        test = set(rank[:held_out])
        return [f for f in files if f not in test], [f for f in files if f in test], root, root

    def _decode(self, files: list[Path], keep: bool = True) -> dict[Path, np.ndarray | ValueError]:
        """Returns each file's pixels (`decode_image`), or the ValueError saying why not;
        without `keep`, an array of the image's shape that holds no pixels (one per shape)."""
        size = pillow_size(self.image_size)
        # Without `keep`, files of one shape share one empty array: a folder of 200,000 files
        # then costs a dictionary entry per file, not an array object.
        empty: dict[tuple, np.ndarray] = {}

        def decode(file: Path) -> np.ndarray | ValueError:
            try:
                pixels = decode_image(file, size)
            except ValueError as error:
                return error
            if keep:
                return pixels
            return empty.setdefault(pixels.shape, np.broadcast_to(np.uint8(0), pixels.shape))

        # In chunks: the pool's map makes a future per item, all at once (~2 KB each).
        chunks = [files[first : first + 256] for first in range(0, len(files), 256)]
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:  # Pillow frees the GIL
            decoded = pool.map(lambda chunk: [decode(file) for file in chunk], chunks)
            return dict(zip(files, (item for chunk in decoded for item in chunk), strict=True))

    def _readable(self, decoded: dict[Path, np.ndarray | ValueError]) -> dict[Path, np.ndarray]:
        """Returns the decoded images; raises on unreadable files, or warns and leaves them out
        with `skip_bad_images`."""
        bad = [error for error in decoded.values() if isinstance(error, ValueError)]
        if bad:
            found = " ".join(str(error) for error in bad[:3]) + (" ..." if len(bad) > 3 else "")
            counted = f"{len(bad)} of the {len(decoded)} image files in {self.path}"
            if not self.skip_bad_images:
                raise ValueError(
                    f"{counted} are not readable images: {found} Fix or remove them, or pass "
                    "--skip-bad-images to leave them out."
                )
            warnings.warn(f"Skipping {counted} (--skip-bad-images): {found}", stacklevel=4)
        return {f: image for f, image in decoded.items() if not isinstance(image, ValueError)}

    def _image_shape(self, files: list[Path], pixels: dict[Path, np.ndarray]) -> tuple:
        """Returns the (H, W, C) all of `files` are read as: C = 3 where any image is in colour;
        raises a ValueError where they differ in size."""
        shapes = {}
        for file in files:
            shapes.setdefault(pixels[file].shape[:2], file)
        if len(shapes) > 1:
            found = ", ".join(f"{h}x{w} ({file})" for (h, w), file in list(shapes.items())[:3])
            raise ValueError(
                f"The images in {self.path} have {len(shapes)} sizes, e.g. {found}; pass "
                "--image-size (e.g. 64, or 64,48 for height,width) to scale and centre-crop "
                "them to one."
            )
        return (*shapes.popitem()[0], max(pixels[file].shape[2] for file in files))

    def _stack(self, files: list[Path], pixels: dict[Path, np.ndarray], channels: int):
        """Returns the images of `files` as one float32 array of `channels` channels (grey
        repeated into three)."""
        images = [np.repeat(pixels[file], channels // pixels[file].shape[2], axis=2)
                  for file in files]  # fmt: skip
        return as_float_images(np.stack(images), what=f"images in {self.path}")


def class_names(files: list[Path], root: Path) -> list[str]:
    """Returns the class folders of `files` under `root`: [] unless every file is in one."""
    names = [file.relative_to(root).parts for file in files]
    if not names or any(len(parts) < 2 for parts in names):
        return []
    return sorted({parts[0] for parts in names})


def labels_of(files: list[Path], root: Path, classes: list[str]) -> np.ndarray | None:
    """Returns each file's class number (its class folder's place in `classes`), or None
    where the files are not all in class folders."""
    if not class_names(files, root):
        return None
    index = {name: number for number, name in enumerate(classes)}
    return np.array([index[file.relative_to(root).parts[0]] for file in files], "int64")


def held_out_count(split: float | None, total: int, flag: str, default: float) -> int:
    """Returns how many of `total` images `split` (a fraction below 1, or a count) holds out,
    or raises a ValueError where that leaves none on either side."""
    split = default if split is None else split
    count = max(1, round(split * total)) if split < 1 else int(split)  # a few images: one
    if split >= 1 and split != count:
        raise ValueError(f"{flag} {split:g} is neither a fraction below 1 nor a whole number "
                         "of images; pass e.g. 0.1 or 1000.")  # fmt: skip
    if not 0 < count < total:
        raise ValueError(
            f"{flag} {split:g} holds out {count} of {total} images; it must leave some on each "
            "side (add images, or change the split)."
        )
    return count


def _hash(seed: int, relative: Path) -> str:
    return hashlib.sha256(f"{seed}:{relative.as_posix()}".encode()).hexdigest()
