"""`Objective`: what a VAE's training step maximises, and `ELBO`, the default.

An objective decides the forward pass (how many posterior draws per image) and the scalar the
optimiser minimises; the loss terms (`keras_vae.losses`) still give the reported negative ELBO
and its parts from the first draw, whatever the objective.
"""

from __future__ import annotations

from typing import Any

import keras


class Objective:
    """Base of training objectives.

    Attributes:
        name: the metric the objective's own value is reported under (None: the ELBO's terms
            say it all).
        draws: posterior draws per image in each training step.
    """

    name: str | None = None
    draws = 1

    def nats(self, log_weights: Any) -> Any:
        """Returns (batch,) the quantity to minimise, in nats, from (draws, batch) log
        importance weights log p(x, z_i) - log q(z_i | x)."""
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Objective:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(self.get_config().items()))))


@keras.saving.register_keras_serializable(package="keras_vae")
class ELBO(Objective):
    """The one-sample evidence lower bound: the loss terms' (possibly shaped) sum."""
