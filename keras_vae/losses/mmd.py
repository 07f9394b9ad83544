"""`MMD`: the maximum mean discrepancy between the batch's latent draws and the prior, the
regulariser of InfoVAE (Zhao et al., 2019) and WAE-MMD (Tolstikhin et al., 2018)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_vae.losses.base import LossTerm, VAEOutputs

KERNELS = ("rbf", "imq")


def _squared_distances(a: Any, b: Any) -> Any:
    """Returns (len(a), len(b)) squared Euclidean distances between rows."""
    return ops.sum(ops.square(a[:, None, :] - b[None, :, :]), axis=-1)


def kernel_matrix(a: Any, b: Any, kernel: str) -> Any:
    """Returns the kernel between the rows of `a` and `b`, its scale set by the latent size D.

    rbf: exp(-|a - b|^2 / (2 D)); imq (inverse multiquadric): C / (C + |a - b|^2), C = 2 D,
    where 2 D is the mean squared distance between two draws of N(0, I) (Tolstikhin et al.).
    """
    scale = 2.0 * float(a.shape[-1])
    distances = _squared_distances(a, b)
    if kernel == "rbf":
        return ops.exp(-distances / scale)
    return scale / (scale + distances)


def mmd(a: Any, b: Any, kernel: str) -> Any:
    """Returns the unbiased estimate of MMD^2 between samples `a` and `b` (equal sizes)."""
    a, b = ops.convert_to_tensor(a, "float32"), ops.convert_to_tensor(b, "float32")
    n = ops.cast(ops.shape(a)[0], "float32")
    within = (
        ops.sum(kernel_matrix(a, a, kernel)) + ops.sum(kernel_matrix(b, b, kernel)) - 2.0 * n
    ) / (n * (n - 1.0))  # the diagonals are k(a, a) = 1: left out
    across = ops.mean(kernel_matrix(a, b, kernel))
    return within - 2.0 * across


@keras.saving.register_keras_serializable(package="keras_vae")
class MMD(LossTerm):
    """`weight` x MMD^2(batch's z, as many prior draws), reported as `mmd`.

    A regulariser, not a term of the ELBO: it is minimised with the other terms but not added
    to the reported `loss`. Keep the KL (InfoVAE) or weight it 0 with `beta=0` (WAE-MMD).
    The reported `mmd` and the objective each draw their own prior sample; both estimates are
    unbiased.

    Args:
        kernel: "imq" (inverse multiquadric) or "rbf".
        weight: its weight in the objective (lambda).
    """

    name = "mmd"
    in_elbo = False

    def __init__(self, kernel: str = "imq", weight: float = 1000.0) -> None:
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}.")
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}.")
        self.kernel = kernel
        self.weight = float(weight)

    def nats(self, outputs: VAEOutputs) -> Any:
        """Returns MMD^2 (a batch statistic, not in nats)."""
        draws = outputs.prior.sample(ops.shape(outputs.z)[0], seed=outputs.seed_generator)
        return mmd(outputs.z, ops.stop_gradient(draws), self.kernel)

    def objective(self, outputs, step):
        return self.weight * self.nats(outputs)

    @property
    def changes_objective(self) -> bool:
        return True

    def get_config(self):
        return {"kernel": self.kernel, "weight": self.weight}
