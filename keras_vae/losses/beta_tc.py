"""`BetaTC`: the KL term split into index-code mutual information, total correlation and
dimension-wise KL (Chen et al., 2018, "Isolating Sources of Disentanglement in VAEs").

For each draw z_i of q(z | x_i) in a batch of B images from a training set of N, the aggregate
posterior q(z) = (1/N) sum_n q(z | x_n) is estimated from the batch's posteriors,
    log q(z_i)          ~ logsumexp_j [log q(z_i | x_j) + log w_ij],
    log prod_d q(z_id)  ~ sum_d logsumexp_j [log q(z_id | x_j) + log w_ij],
with the weights of minibatch stratified sampling (Chen et al., appendix C; M = B - 1):
w_ii = 1/N for the draw's own image, (N - M)/(N M) for one other and 1/M for the rest.
Then MI = log q(z|x) - log q(z), TC = log q(z) - log prod_d q(z_d) and the dimension-wise
KL = log prod_d q(z_d) - log p(z) sum to the Monte-Carlo KL log q(z|x) - log p(z) of the draw.

`sampling="mws"` takes the paper's minibatch-weighted sampling instead, w_ij = 1/(N B) for
all j. That estimate of a marginal falls short by up to log N for a dimension that ignores
its input (its B equal terms are weighted 1/(N B) each), so with many collapsed dimensions
its reported TC and dimension-wise KL are off by hundreds of nats (seen on MNIST with 50
latents: TC +358, dimension-wise KL -365 around a KL of 2); their sum stays right.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from keras_vae.latent import log_normal_per_dimension
from keras_vae.losses.base import LossTerm, VAEOutputs

SAMPLING = ("mss", "mws")


@keras.saving.register_keras_serializable(package="keras_vae")
class BetaTC(LossTerm):
    """The KL term of the beta-TC-VAE: reported as `kl` (the true KL, as `GaussianKL` reports
    it) and as its three parts `mi`, `tc`, `dim_kl`; the objective weights each part.

    Needs a factorised prior (the dimension-wise KL reads p(z_d)).

    Args:
        beta: weight of the total correlation (Chen et al. use 6 on dSprites; 1 is the ELBO's).
        alpha: weight of the index-code mutual information.
        gamma: weight of the dimension-wise KL.
        dataset_size: N, the training images the batches are drawn from; None takes the batch
            as the whole data set.
        sampling: "mss" (minibatch stratified sampling) or "mws" (minibatch-weighted
            sampling), the estimators of q(z) above.
    """

    name = "kl"
    reported = ("mi", "tc", "dim_kl")
    needs_factorised_prior = True

    def __init__(
        self,
        beta: float = 1.0,
        alpha: float = 1.0,
        gamma: float = 1.0,
        dataset_size: int | None = None,
        sampling: str = "mss",
    ) -> None:
        for label, value in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
            if value < 0:
                raise ValueError(f"{label} must be >= 0, got {value}.")
        if dataset_size is not None and dataset_size < 1:
            raise ValueError(f"dataset_size must be >= 1, got {dataset_size}.")
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        if sampling not in SAMPLING:
            raise ValueError(f"sampling must be one of {SAMPLING}, got {sampling!r}.")
        self.dataset_size = dataset_size
        self.sampling = sampling

    def nats(self, outputs: VAEOutputs) -> Any:
        return outputs.prior.kl(outputs.z_mean, outputs.z_log_var, outputs.z)

    def decomposition(self, outputs: VAEOutputs) -> dict[str, Any]:
        """Returns the batch means of `mi`, `tc` and `dim_kl`, in nats."""
        z, mean, log_var = outputs.z, outputs.z_mean, outputs.z_log_var
        # (M, M, D): log q(z_i,d | x_j) of draw i under image j's posterior.
        pairwise = log_normal_per_dimension(z[:, None, :], mean[None, :, :], log_var[None, :, :])
        log_w = self._log_weights(ops.shape(z)[0])
        log_q_z_x = ops.sum(log_normal_per_dimension(z, mean, log_var), axis=-1)
        log_q_z = ops.logsumexp(ops.sum(pairwise, axis=-1) + log_w, axis=1)
        log_q_z_product = ops.sum(ops.logsumexp(pairwise + log_w[:, :, None], axis=1), axis=-1)
        log_p_z = ops.sum(outputs.prior.log_prob_per_dimension(z), axis=-1)
        return {
            "mi": ops.mean(log_q_z_x - log_q_z),
            "tc": ops.mean(log_q_z - log_q_z_product),
            "dim_kl": ops.mean(log_q_z_product - log_p_z),
        }

    def _log_weights(self, batch_size: Any) -> Any:
        """Returns (B, B) log w_ij, the weight of image j's posterior in draw i's q(z)."""
        batch = ops.cast(batch_size, "float32")
        size = batch if self.dataset_size is None else float(self.dataset_size)
        own = ops.eye(batch_size, dtype="float32")
        if self.sampling == "mws":
            return ops.zeros_like(own) - ops.log(size * batch)
        others = batch - 1.0  # M
        stratum = ops.roll(own, 1, axis=1)  # one other image per draw: (i, i + 1 mod B)
        rest = 1.0 - own - stratum
        return (
            own * -ops.log(size)
            + stratum * ops.log((size - others) / (size * others))
            + rest * -ops.log(others)
        )

    def report(self, outputs):
        return self.decomposition(outputs)

    def objective(self, outputs, step):
        parts = self.decomposition(outputs)
        return self.alpha * parts["mi"] + self.beta * parts["tc"] + self.gamma * parts["dim_kl"]

    @property
    def changes_objective(self) -> bool:
        return True

    def get_config(self):
        return {
            "beta": self.beta,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "dataset_size": self.dataset_size,
            "sampling": self.sampling,
        }
