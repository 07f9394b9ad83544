"""The KL regulariser KL(q(z|x) || p(z)) against the model's prior, with beta, linear warm-up
and free bits."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_vae.losses.base import LossTerm, VAEOutputs
from keras_vae.priors.standard_normal import kl_divergence

__all__ = ["GaussianKL", "kl_divergence"]


@keras.saving.register_keras_serializable(package="keras_vae")
class GaussianKL(LossTerm):
    """The KL term of the Gaussian posterior against the model's prior, reported as `kl` in nats
    (always the true, unweighted KL): analytic for the standard normal, the Monte-Carlo estimate
    log q(z|x) - log p(z) on the decoded draw for other priors (`Prior.kl`). In a hierarchical
    VAE it adds the lower layers' Monte-Carlo KL (`VAEOutputs.lower_kl`).

    Only the training objective is shaped; the reported negative ELBO never is.

    Args:
        beta: weight of the KL in the objective (beta-VAE; 1 is the ELBO).
        warmup_steps: the weight rises linearly from 0 to `beta` over this many optimizer steps.
        free_bits: nats per latent dimension below which the batch-mean KL is not penalised
            (Kingma et al., 2016); needs a factorised prior.
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

    @property
    def needs_factorised_prior(self) -> bool:
        return self.free_bits > 0

    def nats(self, outputs: VAEOutputs) -> Any:
        kl = outputs.prior.kl(outputs.z_mean, outputs.z_log_var, outputs.z)
        return kl if outputs.lower_kl is None else kl + outputs.lower_kl

    def weight(self, step: Any) -> Any:
        """Returns the KL weight at optimizer step `step` (None: after warm-up)."""
        if self.warmup_steps == 0 or step is None:
            return self.beta
        progress = ops.cast(step, "float32") / float(self.warmup_steps)
        return self.beta * ops.minimum(progress, 1.0)

    def objective(self, outputs: VAEOutputs, step: Any) -> Any:
        if self.free_bits == 0:
            return self.weight(step) * ops.mean(self.nats(outputs))
        per_dimension = ops.mean(
            outputs.prior.kl_per_dimension(outputs.z_mean, outputs.z_log_var), axis=0
        )
        return self.weight(step) * ops.sum(ops.maximum(per_dimension, self.free_bits))

    @property
    def changes_objective(self) -> bool:
        return self.beta != 1.0 or self.warmup_steps > 0 or self.free_bits > 0

    def get_config(self):
        return {"beta": self.beta, "warmup_steps": self.warmup_steps, "free_bits": self.free_bits}
