"""Training on a folder of images larger than memory: `FolderImages` (the images, decoded when
indexed) and `stream_batches` (a Grain pipeline that decodes each training batch in worker
processes).

The pipeline is indexed by training step: item i is the batch of step i, taken from the
`BatchOrder` that in-memory training uses, so streaming trains on the very batches an in-memory
run would, and the pipeline's whole state is the step count. A resumed run starts it at the
step its checkpoint holds (`Optimizer.iterations`), and the batches continue exactly as the
uninterrupted run's did. Workers decode uint8 pixels (a quarter of float32's bytes to pass
between processes); the training process converts them to float32 in [0, 1].

Nothing here imports Keras: Grain's workers are spawned processes that unpickle the pipeline,
and importing a backend in each would cost seconds and hundreds of MB.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from keras_vae.data.batch_order import BatchOrder
from keras_vae.data.image_decoding import decode_image

# Batches each worker (and the training process) decodes ahead, and threads per worker: a
# few batches of images in memory at any moment, whatever the folder's size.
BATCHES_AHEAD = 2
THREADS_PER_WORKER = 2


class FolderImages:
    """A read-only (N, H, W, C) float32 array-like over image files; indexing decodes them.

    Like `ShardedImages`: a slice with step 1 is a view (nothing decoded); an int, a list or an
    int array decodes those images; `np.asarray` decodes all of them. A boolean mask selects
    images as a slice does, still on disk (so leaving out a class keeps a folder streamed). It
    holds only the file names, so it pickles small enough to hand to worker processes.

    Args:
        files: the image files, all readable (`ImageFolder` checks them first).
        image_shape: (H, W, C) of every image after `size`; grey files are repeated into C = 3.
        size: Pillow's (width, height) to scale and centre-crop each image to; None: as stored.
    """

    def __init__(
        self,
        files: Sequence[str | os.PathLike],
        image_shape: Sequence[int],
        size: tuple[int, int] | None = None,
    ) -> None:
        self.files = tuple(str(file) for file in files)
        self.shape = (len(self.files), *(int(n) for n in image_shape))
        self.size = size
        self.dtype = np.dtype("float32")
        self.ndim = 4

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        if isinstance(index, slice) and index.step in (None, 1):
            return FolderImages(self.files[index], self.shape[1:], self.size)
        if isinstance(index, (int, np.integer)):
            return self[np.array([index])][0]
        if isinstance(index, np.ndarray) and index.dtype == bool:
            if index.shape != (len(self),):
                raise IndexError(f"a mask of shape {index.shape} for {len(self)} images")
            return FolderImages([self.files[i] for i in np.flatnonzero(index)], self.shape[1:],
                                self.size)  # fmt: skip
        return self.pixels(index).astype("float32") / 255.0

    def pixels(self, index) -> np.ndarray:
        """Returns the images at `index` (ints, or a slice) as uint8 (n, H, W, C)."""
        if isinstance(index, slice):
            index = range(len(self))[index]
        index = np.asarray(index, dtype="int64").reshape(-1)
        if index.size and (index.min() < -len(self) or index.max() >= len(self)):
            raise IndexError(f"image index out of range for {len(self)} images")
        out = np.empty((len(index), *self.shape[1:]), "uint8")
        for row, number in enumerate(index):
            out[row] = self._decode(self.files[number])
        return out

    def _decode(self, file: str) -> np.ndarray:
        try:
            image = decode_image(file, self.size)
        except ValueError as error:
            raise ValueError(
                f"{error} It was readable when training started and has changed since; "
                "restore it, then continue from the last checkpoint with --resume."
            ) from None
        if image.shape[:2] != self.shape[1:3]:
            raise ValueError(
                f"{file} is now {image.shape[0]}x{image.shape[1]}, not the "
                f"{self.shape[1]}x{self.shape[2]} it was when training started; restore it, "
                "then continue from the last checkpoint with --resume."
            )
        return np.repeat(image, self.shape[3] // image.shape[2], axis=2)

    def __array__(self, dtype=None, copy=None):
        array = self[np.arange(len(self))]
        return array if dtype is None else array.astype(dtype)

    def mean(self, axis=0, dtype="float64") -> np.ndarray:
        """Returns the mean image (axis 0 only), decoded a chunk at a time."""
        if axis != 0:
            raise ValueError("FolderImages.mean supports axis=0 only.")
        chunks = [range(first, min(first + 256, len(self))) for first in range(0, len(self), 256)]
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:  # Pillow frees the GIL
            sums = pool.map(lambda chunk: self[chunk].sum(0, dtype=dtype), chunks)
            total = sum(sums, np.zeros(self.shape[1:], dtype))
        return total / max(len(self), 1)

    def __repr__(self) -> str:
        return f"FolderImages({len(self)} files, shape={self.shape})"


class StepBatches:
    """Grain's random-access source of training batches: item i is the batch of step i.

    Args:
        images: the training images.
        labels: their (N,) labels, batched beside them, or None.
        batch_order: which images each step's batch holds.
        epochs: the run's epochs; there are `epochs * batch_order.steps` items.
    """

    def __init__(
        self,
        images: FolderImages,
        labels: np.ndarray | None,
        batch_order: BatchOrder,
        epochs: int,
    ) -> None:
        self.images = images
        self.labels = None if labels is None else np.asarray(labels)
        self.batch_order = batch_order
        self.epochs = int(epochs)
        self._permutation = (-1, None)  # (epoch, its order), for the batches of one epoch

    def __len__(self) -> int:
        return self.epochs * self.batch_order.steps

    def __getitem__(self, step: int) -> tuple[np.ndarray, ...]:
        epoch, index = divmod(int(step), self.batch_order.steps)
        cached_epoch, order = self._permutation  # one read: threads may replace it meanwhile
        if cached_epoch != epoch:
            order = self.batch_order.order(epoch)
            self._permutation = (epoch, order)
        chosen = self.batch_order.batch(order, index)
        pixels = self.images.pixels(chosen)
        return (pixels,) if self.labels is None else (pixels, self.labels[chosen])

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_permutation": (-1, None)}


def as_float_batch(batch: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Returns a batch of uint8 pixels (and labels) with the pixels float32 in [0, 1]."""
    return (batch[0].astype("float32") / 255.0, *batch[1:])


def stream_batches(
    images: FolderImages,
    labels: np.ndarray | None,
    batch_order: BatchOrder,
    epochs: int,
    initial_epoch: int = 0,
    workers: int = 2,
):
    """Returns a Grain `IterDataset` of the training batches from `initial_epoch` to `epochs`,
    decoded by `workers` processes (0: by threads of the training process), for
    `fit(..., steps_per_epoch=batch_order.steps)`."""
    grain = import_grain()
    source = StepBatches(images, labels, batch_order, epochs)
    read = grain.ReadOptions(num_threads=THREADS_PER_WORKER, prefetch_buffer_size=BATCHES_AHEAD)
    batches = grain.MapDataset.source(source)[initial_epoch * batch_order.steps :]
    batches = batches.to_iter_dataset(read)
    if workers:
        options = grain.MultiprocessingOptions(num_workers=workers,
                                               per_worker_buffer_size=BATCHES_AHEAD)  # fmt: skip
        batches = batches.mp_prefetch(options)
    return batches.map(as_float_batch)


def import_grain():
    """Returns the `grain` module, or raises an ImportError saying how to install it."""
    try:
        import grain
    except ImportError:
        raise ImportError(
            "--stream decodes images with Grain, which is not installed; pip install "
            "'keras-vae[stream]' (Grain needs Python 3.11 or later), or drop --stream to read "
            "the folder into memory."
        ) from None
    from absl import flags

    # Grain's worker processes read absl flags, which only absl's app.run parses: outside it
    # they take their defaults (a program that parses them later still can).
    if not flags.FLAGS.is_parsed():
        flags.FLAGS.mark_as_parsed()
    return grain
