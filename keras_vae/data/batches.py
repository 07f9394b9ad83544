"""`ImageBatches`: training batches in an order that depends only on (seed, epoch).

`fit(x, shuffle=True)` shuffles with each backend's own global random state, which a checkpoint
does not hold; with these batches a run resumed at epoch k sees exactly the batches that the
uninterrupted run saw from epoch k on.
"""

from __future__ import annotations

import keras
import numpy as np

from keras_vae.data.batch_order import BatchOrder, steps_per_epoch

__all__ = ["ImageBatches", "steps_per_epoch"]


class ImageBatches(keras.utils.PyDataset):
    """Shuffled batches `(x,)` of an image array, or `(x, y)` with its labels, reshuffled at
    the end of every epoch (in `fit`, pass `epoch_callback()` too).

    Args:
        images: (N, H, W, C) array (a memory map works too: only each batch is read).
        batch_size: images per batch; the last batch of an epoch may be smaller, and is cut to
            a multiple of `replicas` (or left out when fewer images than that remain).
        seed: with the epoch, determines each epoch's order.
        epoch: the epoch (from 0) whose order comes first, e.g. the one a resumed run starts at.
        workers: threads reading batches ahead of training (for images read from disk, such as
            `ShardedImages`); 1 reads each batch when it is needed.
        part: (index, count): yield only the index-th of `count` contiguous, equal parts of
            every batch, for one of `count` processes that each feed their own devices.
        replicas: how many replicas share every batch in a data-parallel run; each must get an
            equal, non-empty part, as an empty one would make its mean loss NaN and an uneven
            split would weigh its images differently.
        labels: (N,) labels of the images, batched beside them (a conditional VAE's).
        labelled, labelled_per_batch: for a semi-supervised run, the labelled images' indices
            and how many of them each batch holds (`BatchOrder`).
        reshuffle: False: every epoch the same batches (`BatchOrder`).
    """

    def __init__(
        self,
        images: np.ndarray,
        batch_size: int,
        seed: int = 0,
        epoch: int = 0,
        workers: int = 1,
        part: tuple[int, int] = (0, 1),
        replicas: int = 1,
        labels: np.ndarray | None = None,
        labelled: np.ndarray | None = None,
        labelled_per_batch: int = 1,
        reshuffle: bool = True,
    ):
        super().__init__(workers=workers, max_queue_size=8)
        self.batch_order = BatchOrder(len(images), int(batch_size), int(seed), tuple(part),
                                      int(replicas), labelled, int(labelled_per_batch),
                                      bool(reshuffle))  # fmt: skip
        self.part = self.batch_order.part
        self.replicas = self.batch_order.replicas
        self.images = images
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"{len(labels)} labels for {len(images)} images; they must match.")
        self.labels = None if labels is None else np.asarray(labels)
        self.batch_size = self.batch_order.batch_size
        self.seed = self.batch_order.seed
        self.epoch = int(epoch)
        self._order = self.order(self.epoch)

    def order(self, epoch: int) -> np.ndarray:
        """Returns the permutation of image indices used in `epoch`."""
        return self.batch_order.order(epoch)

    @property
    def images_per_epoch(self) -> int:
        """The images each epoch trains on: see `steps_per_epoch`."""
        return self.batch_order.images_per_epoch

    def __len__(self) -> int:
        return self.batch_order.steps

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        chosen = self.batch_order.batch(self._order, index)
        images = np.asarray(self.images[chosen], dtype="float32")
        return (images,) if self.labels is None else (images, self.labels[chosen])

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)

    def set_epoch(self, epoch: int) -> None:
        """Makes the batches those of `epoch`."""
        self.epoch = int(epoch)
        self._order = self.order(self.epoch)

    def epoch_callback(self) -> keras.callbacks.Callback:
        """Returns a callback for `fit` that makes the batches of each epoch those of its number.

        Without it, each `on_epoch_end` moves to the next epoch's order, and `fit` also calls
        it once before the first epoch (when it resets its iterator), so epoch e of a fit would
        take the order of e + 1. Epochs begin before their batches are read ahead, so the order
        is in place before any worker thread reads a batch.
        """
        return keras.callbacks.LambdaCallback(
            on_epoch_begin=lambda epoch, logs: self.set_epoch(epoch)
        )
