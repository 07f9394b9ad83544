"""Which images each training batch holds: an order that depends only on (seed, epoch), cut
into batches that split evenly between replicas and processes.

Without Keras, so that input-pipeline worker processes can import it without importing a
backend; every pipeline that takes its batches from here (`ImageBatches` first) trains on the
same batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def steps_per_epoch(images: int, batch_size: int, replicas: int = 1) -> int:
    """Returns the batches of an epoch of `images`: all of them, the last cut to a multiple of
    `replicas` (and left out when fewer than that remain)."""
    return math.ceil((images - images % batch_size % replicas) / batch_size)


@dataclass(frozen=True)
class BatchOrder:
    """The image indices of every batch of every epoch.

    Args:
        images: how many images there are.
        batch_size: images per batch; the last batch of an epoch may be smaller, and is cut to
            a multiple of `replicas` (or left out when fewer images than that remain).
        seed: with the epoch, determines each epoch's order.
        part: (index, count): only the index-th of `count` contiguous, equal parts of every
            batch, for one of `count` processes that each feed their own devices.
        replicas: how many replicas share every batch in a data-parallel run.
        labelled: for a semi-supervised run, the indices of the labelled images: every batch
            then holds `labelled_per_batch` of them, drawn in turn from a shuffle of them, and
            the rest from a shuffle of the others (an epoch has as many batches as without).
        labelled_per_batch: see `labelled`.
        reshuffle: a new order every epoch (True), or epoch 0's in every epoch: the same
            batches, cut once, as Kingma et al.'s semi-supervised code trains.
    """

    images: int
    batch_size: int
    seed: int = 0
    part: tuple[int, int] = (0, 1)
    replicas: int = 1
    labelled: Any = None
    labelled_per_batch: int = 1
    reshuffle: bool = True

    def __post_init__(self):
        if self.replicas < 1 or self.replicas % self.part[1] or self.batch_size % self.replicas:
            raise ValueError(
                f"batch_size {self.batch_size} must split evenly between {self.replicas} "
                f"replicas, and they between {self.part[1]} processes."
            )
        if self.images == 0:
            raise ValueError("The dataset has no images; check the file or --limit.")
        if self.labelled is not None and not 1 <= self.labelled_per_batch <= self.batch_size:
            raise ValueError(
                f"--labelled-per-batch {self.labelled_per_batch} must lie between 1 and the "
                f"batch size, {self.batch_size}."
            )

    @property
    def steps(self) -> int:
        """Batches per epoch (`steps_per_epoch`)."""
        return steps_per_epoch(self.images, self.batch_size, self.replicas)

    @property
    def images_per_epoch(self) -> int:
        """The images each epoch trains on: see `steps_per_epoch`."""
        return self.images - self.images % self.batch_size % self.replicas

    def order(self, epoch: int) -> np.ndarray:
        """Returns the image indices used in `epoch`, batch after batch: a permutation, or for
        a semi-supervised run each batch's labelled images and then its others."""
        rng = np.random.default_rng([self.seed, epoch if self.reshuffle else 0])
        if self.labelled is None:
            return rng.permutation(self.images)
        labelled = np.asarray(self.labelled, dtype="int64")
        others = np.setdiff1d(np.arange(self.images), labelled)
        sizes = np.full(self.steps, self.batch_size)
        sizes[-1] = self.images_per_epoch - self.batch_size * (self.steps - 1)
        taken = np.minimum(sizes, self.labelled_per_batch if len(others) else sizes)
        labelled_stream = _shuffles(rng, labelled, int(taken.sum()))
        other_stream = _shuffles(rng, others, int((sizes - taken).sum()))
        ends_l, ends_o = np.cumsum(taken), np.cumsum(sizes - taken)
        return np.concatenate([
            part
            for i in range(self.steps)
            for part in (labelled_stream[ends_l[i] - taken[i] : ends_l[i]],
                         other_stream[ends_o[i] - (sizes[i] - taken[i]) : ends_o[i]])
        ])  # fmt: skip

    def batch(self, order: np.ndarray, index: int) -> np.ndarray:
        """Returns the sorted indices of batch `index` of an epoch in `order` (this process's
        part of it)."""
        if not 0 <= index < self.steps:
            raise IndexError(f"batch {index} of {self.steps}")
        start = index * self.batch_size
        stop = min(start + self.batch_size, self.images_per_epoch)
        # Sorted indices read a memory map front to back; the order within a batch does not
        # matter. Sorting before splitting keeps the parts of all processes, put together, the
        # very batch one process would have taken.
        chosen = np.sort(order[start:stop])
        return np.array_split(chosen, self.part[1])[self.part[0]]


def _shuffles(rng: np.random.Generator, indices: np.ndarray, count: int) -> np.ndarray:
    """Returns `count` of `indices`: shuffles of them one after another, cut to `count`."""
    if count == 0:
        return indices[:0]
    rounds = math.ceil(count / len(indices))
    return np.concatenate([rng.permutation(indices) for _ in range(rounds)])[:count]
