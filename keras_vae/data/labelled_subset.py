"""The labelled images of a semi-supervised run: a balanced draw of `--labelled N` of the
training images, the same for every backend and every resume of the run, whose labels are
kept; every other image's label becomes -1 (unknown)."""

from __future__ import annotations

import numpy as np

UNLABELLED = -1  # the label of an image whose class is not known (semi-supervised models)


def keep_balanced_labels(y: np.ndarray | None, count: int, seed: int = 0) -> np.ndarray:
    """Returns `y` with the labels of `count` images kept, the same number of each class (the
    first `count % classes` classes one more), drawn with `seed`, and -1 for the rest.

    Raises:
        ValueError: naming the fix, for a dataset without labels, `count` above the number of
            images or below the number of classes, or a class with too few images.
    """
    if y is None:
        raise ValueError(
            "--labelled needs the dataset's labels, and it has none: an .npz needs y_train and "
            "y_test beside x_train and x_test, an image folder class sub-folders (MNIST and "
            "Fashion-MNIST have them)."
        )
    y = np.asarray(y).astype("int64")
    classes = np.unique(y)
    if count > len(y):
        raise ValueError(
            f"--labelled {count} is more than the {len(y)} training images; pass at most {len(y)}."
        )
    if count < len(classes):
        raise ValueError(
            f"--labelled {count} is fewer labels than the {len(classes)} classes; pass at least "
            f"{len(classes)}, one per class (the literature's MNIST figures use 100)."
        )
    rng = np.random.default_rng([seed, count])
    kept = np.full(len(y), UNLABELLED, dtype="int64")
    for rank, label in enumerate(classes):
        share = count // len(classes) + (rank < count % len(classes))
        members = np.flatnonzero(y == label)
        if len(members) < share:
            raise ValueError(
                f"--labelled {count} takes {share} images of class {label}, which has only "
                f"{len(members)}; pass at most {len(members) * len(classes)}."
            )
        chosen = rng.choice(members, size=share, replace=False)
        kept[chosen] = label
    return kept


def labelled_per_batch(labelled: int, images: int, batch_size: int) -> int:
    """Returns how many labelled images each batch holds by default: their share of the
    training set (as in Kingma et al.'s code), at least one."""
    return min(batch_size, max(1, round(batch_size * labelled / images)))
