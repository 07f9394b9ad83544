"""Keras callbacks of a training run: atomic checkpoints, the best model by validation loss
with early stopping, a stop on a non-finite loss, the learning rate's final decay, and epoch
timing."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import keras
import numpy as np

from keras_vae.atomic_files import save_atomically
from keras_vae.training.checkpoints import save_checkpoint


class Checkpoint(keras.callbacks.Callback):
    """Saves a checkpoint of the model (`save_checkpoint`) in `directory` every `every`
    epochs; never saves weights from an epoch whose loss is not finite.

    Args:
        directory: where the checkpoints go.
        every: save after each epoch whose number (from 1) is a multiple of this.
    """

    def __init__(self, directory: str | os.PathLike, every: int = 1) -> None:
        super().__init__()
        self.directory = Path(directory)
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        finished = epoch + 1
        loss = (logs or {}).get("loss")
        if finished % self.every or loss is None or not math.isfinite(loss):
            return
        if self.model.stop_training:  # stopped early, e.g. by StopOnNonFiniteLoss mid-epoch
            return
        save_checkpoint(self.model, self.directory, finished)


class BestModel(keras.callbacks.Callback):
    """Saves the model (atomically) after each epoch whose validation loss is the lowest so far,
    and stops training after `patience` epochs without a lower one.

    Keras's `EarlyStopping(restore_best_weights=True)`, kept on disk: a resumed run passes the
    earlier epochs' validation losses and goes on counting from them.

    Args:
        path: where the best model goes.
        patience: epochs without improvement before training stops (None: never stops).
        earlier_losses: the validation losses of the epochs already trained, in order.
        monitor: the logged validation figure to minimise (`val_iwae` for a model trained on
            the IWAE bound: the figure it optimises).
    """

    def __init__(
        self,
        path: str | os.PathLike,
        patience: int | None = None,
        earlier_losses: list[float] | tuple[float, ...] = (),
        monitor: str = "val_loss",
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.patience = patience
        self.monitor = monitor
        finite = [
            (loss, epoch) for epoch, loss in enumerate(earlier_losses, 1) if math.isfinite(loss)
        ]
        self.best, self.best_epoch = min(finite, default=(math.inf, 0))
        self.stopped_epoch: int | None = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get(self.monitor)
        if loss is None or not math.isfinite(loss):
            return
        finished = epoch + 1
        if loss < self.best:
            self.best, self.best_epoch = float(loss), finished
            save_atomically(self.model, self.path)
        elif self.patience is not None and finished - self.best_epoch >= self.patience:
            self.stopped_epoch = finished
            self.model.stop_training = True


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or infinite, and remembers where.

    Like `keras.callbacks.TerminateOnNaN`, but it records the step so that the caller can say
    where training broke, and `Checkpoint` then keeps the last good checkpoint.
    """

    # Keras may then run this off the training thread, so the step never waits for the loss to
    # reach Python (12% of a dense JAX epoch here); Keras flushes it before `on_epoch_end`.
    async_safe = True

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0
        self.stopped_at: dict | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if self.stopped_at is None and loss is not None and not np.isfinite(loss):
            self.stopped_at = {
                "epoch": self.epoch + 1,
                "batch": batch + 1,
                "step": self.epoch * self.params["steps"] + batch + 1,
                "value": float(loss),
            }
            self.model.stop_training = True


def decayed_learning_rate(
    learning_rate: float, epoch: int, epochs: int, decay_epochs: int
) -> float:
    """Returns the learning rate of `epoch` (from 0) in a run of `epochs`: `learning_rate`
    until the last `decay_epochs` (all of them if the run is shorter), then a half cosine down
    towards zero, taken at each epoch's middle so that no epoch trains at exactly zero."""
    # A preset's anneal (the last 50 of 100 epochs) covers a shorter run whole: `--preset
    # standard-mnist --epochs 5` is a quick try of the row, not an error.
    decay_epochs = min(decay_epochs, epochs)
    start = epochs - decay_epochs
    if decay_epochs <= 0 or epoch < start:
        return learning_rate
    progress = (epoch - start + 0.5) / decay_epochs
    return learning_rate * 0.5 * (1.0 + math.cos(math.pi * progress))


class LearningRateDecay(keras.callbacks.Callback):
    """Sets the optimizer's learning rate at the start of every epoch
    (`decayed_learning_rate`).

    Like `keras.callbacks.LearningRateScheduler`, but it leaves the logs alone, so that a run
    resumed with another decay keeps the columns its CSV log started with. It sets the rate
    every epoch, constant ones included, so that a resumed run never goes on at the rate a
    saved optimizer last had.

    Args:
        learning_rate: the rate before the decay.
        epochs: the run's last epoch (`fit`'s `epochs`).
        decay_epochs: how many final epochs decay (0: constant).
    """

    def __init__(self, learning_rate: float, epochs: int, decay_epochs: int = 0) -> None:
        super().__init__()
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.decay_epochs = decay_epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.model.optimizer.learning_rate = decayed_learning_rate(
            self.learning_rate, epoch, self.epochs, self.decay_epochs
        )


class EpochTimer(keras.callbacks.Callback):
    """Records each epoch's training time (validation excluded), so that steady-state
    throughput can leave out the first epoch, which compiles."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start: float | None = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_test_begin(self, logs=None):
        self._stop()

    def on_epoch_end(self, epoch, logs=None):
        self._stop()

    def _stop(self) -> None:
        if self._start is not None:
            self._wait_for_training()
            self.seconds.append(time.perf_counter() - self._start)
            self._start = None

    def _wait_for_training(self) -> None:
        """Waits until the epoch's last step has run. JAX dispatches steps asynchronously:
        when validation begins they may only have been queued (epochs then timed at a few
        milliseconds, and tens of thousands of images/s); the step counter is the last
        step's output, so reading it waits for all of them."""
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            keras.ops.convert_to_numpy(optimizer.iterations)

    def images_per_second(self, images_per_epoch: int) -> float:
        """Training images per second: the median epoch after the first, or the only one."""
        steady = self.seconds[1:] or self.seconds
        return images_per_epoch / float(np.median(steady))
