"""PyTorch: gradients by `loss.backward()`, the update under `torch.no_grad()`; under
`torchrun`, gradients and loss terms are all-reduced across the processes."""

import contextlib
import os

import torch
import torch.distributed as dist
from keras.utils import unpack_x_y_sample_weight

from keras_vae.backend.common import Replicas


def inference_mode():
    """Returns a context in which model calls record no autograd graph."""
    return torch.no_grad()


def replica_context() -> tuple[int, int]:
    """Returns (rank, world size) of this process in `torch.distributed`, else (0, 1)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


@contextlib.contextmanager
def data_parallel(spec):
    """Joins the process group that `torchrun` set up (gloo on CPU, nccl on GPU)."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        raise ValueError(
            "Data-parallel training on the torch backend runs one process per device under "
            "torchrun: torchrun --nproc_per_node=N -m keras_vae train --distribute "
            "data-parallel ..."
        )
    owned = not dist.is_initialized()
    if owned:
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        rank, world = dist.get_rank(), dist.get_world_size()
        yield Replicas(world, rank, world)
    finally:
        if owned:
            dist.destroy_process_group()


def _all_reduce_weighted_means(tensors, weight):
    """Returns the means of `tensors` over all processes, each process weighted by `weight`
    (its batch size), and the summed weight: one all-reduce for everything."""
    flat = torch.cat([t.detach().reshape(-1).float() * weight for t in tensors])
    flat = torch.cat([flat, torch.tensor([float(weight)], device=flat.device)])
    dist.all_reduce(flat)
    total = flat[-1]
    means, start = [], 0
    for t in tensors:
        means.append((flat[start : start + t.numel()] / total).reshape(t.shape).to(t.dtype))
        start += t.numel()
    return means, total


class VAETrainer:
    """The VAE's `train_step` and `test_step` on the torch backend."""

    def train_step(self, data):
        x, y, _ = unpack_x_y_sample_weight(data)
        self.zero_grad()
        terms = self.compute_loss_terms(x, training=True, labels=y)
        # A LossScaleOptimizer (mixed_float16) scales here and unscales in apply().
        self.optimizer.scale_loss(terms["objective"]).backward()
        weights = self.trainable_weights
        gradients = [w.value.grad for w in weights]
        batch_size = x.shape[0]
        if replica_context()[1] > 1:
            # Each process saw its part of the batch: the mean over all of it, and the same
            # metrics on every process.
            names = sorted(terms)
            reduced, batch_size = _all_reduce_weighted_means(
                gradients + [terms[n] for n in names], batch_size
            )
            gradients = reduced[: len(gradients)]
            terms = dict(zip(names, reduced[len(gradients) :], strict=True))
        with torch.no_grad():
            self.optimizer.apply(gradients, weights)
        return self.update_metrics(terms, batch_size)

    def test_step(self, data):
        x, y, _ = unpack_x_y_sample_weight(data)
        with torch.no_grad():
            terms = self.compute_loss_terms(x, training=False, labels=y)
        return self.update_metrics(terms, x.shape[0])
