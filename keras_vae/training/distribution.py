"""Data-parallel training on the engine each backend already has.

- JAX: `keras.distribution.DataParallel` over every device (several hosts after
  `keras.distribution.initialize`); Keras shards each batch and XLA all-reduces.
- TensorFlow: `tf.distribute.MirroredStrategy` over the local GPUs (else the logical CPUs), or
  `MultiWorkerMirroredStrategy` where `TF_CONFIG` describes several workers.
- PyTorch: `torch.distributed` in each process that `torchrun` starts (gloo on CPU, nccl on GPU);
  each process trains on its part of every batch and the VAE's torch `train_step` all-reduces
  gradients and loss terms.

The same `VAE`, `fit()` and CLI run under all three:

    with keras_vae.data_parallel():
        vae = keras_vae.build_vae("conv")
        vae.compile(optimizer="adam")
        vae.fit(x, batch_size=256)   # the global batch, split between the replicas

The backend is imported when a context is entered, not with this module: `TrainingConfig`
(and so the CLI's `--help`) uses `DataParallel` without loading Keras and a backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keras_vae.backend import Replicas


@dataclass(frozen=True)
class DataParallel:
    """Data-parallel training over every local device, and over several hosts when told how.

    Args:
        coordinator_address: "host:port" of process 0, for a multi-host JAX run (else Keras
            reads `KERAS_DISTRIBUTION_JOB_ADDRESSES`); TensorFlow reads `TF_CONFIG` and
            PyTorch `torchrun`'s variables instead.
        num_processes: processes (hosts) in a multi-host JAX run.
        process_id: this process's index among them.
    """

    coordinator_address: str | None = None
    num_processes: int | None = None
    process_id: int | None = None


@contextlib.contextmanager
def data_parallel(spec: DataParallel | None = None) -> Iterator[Replicas]:
    """Within this context, models built, compiled and fitted train data-parallel.

    Yields:
        The run's `Replicas`: how many, and whether this process is the one that writes files.
    """
    from keras_vae import backend  # here, not above: see the module docstring

    with backend.data_parallel(spec or DataParallel()) as replicas:
        yield replicas


@contextlib.contextmanager
def distribution_scope(spec: DataParallel | None) -> Iterator[Replicas]:
    """`data_parallel(spec)`, or a single-device context when `spec` is None."""
    from keras_vae import backend

    if spec is None:
        yield backend.SINGLE
    else:
        with data_parallel(spec) as replicas:
            yield replicas
