"""The KL regulariser KL(q(z|x) || N(0, I)), with beta, linear warm-up and free bits."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_vae.losses.base import LossTerm, VAEOutputs


def kl_divergence(z_mean: Any, z_log_var: Any) -> Any:
    """Analytic KL(N(mean, exp(log_var)) || N(0, 1)) for each latent dimension, in nats."""
    # expm1(v) - v >= 0 holds in floating point too, so the KL never rounds below zero.
    return 0.5 * (ops.expm1(z_log_var) - z_log_var + ops.square(z_mean))


@keras.saving.register_keras_serializable(package="keras_vae")
class GaussianKL(LossTerm):
    """Analytic Gaussian KL term, reported as `kl` in nats (always the true, unweighted KL).

    Only the training objective is shaped; the reported negative ELBO never is.

    Args:
        beta: weight of the KL in the objective (beta-VAE; 1 is the ELBO).
        warmup_steps: the weight rises linearly from 0 to `beta` over this many optimizer steps.
        free_bits: nats per latent dimension below which the batch-mean KL is not penalised
            (Kingma et al., 2016).
    """

    name = "kl"

    def __init__(self, beta: float = 1.0, warmup_steps: int = 0, free_bits: float = 0.0) -> None:
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}.")
        if warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {warmup_steps}.")
        if free_bits < 0:
            raise ValueError(f"free_bits must be >= 0, got {free_bits}.")
        self.beta = float(beta)
        self.warmup_steps = int(warmup_steps)
        self.free_bits = float(free_bits)

    def nats(self, outputs: VAEOutputs) -> Any:
        return ops.sum(kl_divergence(outputs.z_mean, outputs.z_log_var), axis=-1)

    def weight(self, step: Any) -> Any:
        """Returns the KL weight at optimizer step `step` (None: after warm-up)."""
        if self.warmup_steps == 0 or step is None:
            return self.beta
        progress = ops.cast(step, "float32") / float(self.warmup_steps)
        return self.beta * ops.minimum(progress, 1.0)

    def objective(self, outputs: VAEOutputs, step: Any) -> Any:
        per_dimension = ops.mean(kl_divergence(outputs.z_mean, outputs.z_log_var), axis=0)
        if self.free_bits > 0:
            per_dimension = ops.maximum(per_dimension, self.free_bits)
        return self.weight(step) * ops.sum(per_dimension)

    @property
    def changes_objective(self) -> bool:
        return self.beta != 1.0 or self.warmup_steps > 0 or self.free_bits > 0

    def get_config(self):
        return {"beta": self.beta, "warmup_steps": self.warmup_steps, "free_bits": self.free_bits}
