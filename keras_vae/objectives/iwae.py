"""`IWAE`: the k-sample importance-weighted bound of Burda et al. (2016) as training objective."""

from __future__ import annotations

import math

import keras
from keras import ops

from keras_vae.objectives.base import Objective


@keras.saving.register_keras_serializable(package="keras_vae")
class IWAE(Objective):
    """Trains -log (1/k) sum_i p(x, z_i) / q(z_i | x) over k posterior draws per image, an
    upper bound on -log p(x) that is never looser than the negative ELBO and tightens with k.

    Reported as the metric `iwae` (nats per image); `loss` stays the one-sample negative ELBO.
    k = 1 with the same draw is the Monte-Carlo negative ELBO exactly.

    Args:
        k: posterior draws per image in each step (Burda et al. trained k = 5 and 50).
    """

    name = "iwae"

    def __init__(self, k: int = 5) -> None:
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be an int >= 1, got {k!r}.")
        self.k = k

    @property
    def draws(self) -> int:
        return self.k

    def nats(self, log_weights):
        return -(ops.logsumexp(log_weights, axis=0) - math.log(self.k))

    def get_config(self):
        return {"k": self.k}
