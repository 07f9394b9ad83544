"""What every loss term sees and returns: the base class `LossTerm` and `VAEOutputs`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from keras import ops


@dataclass(frozen=True)
class VAEOutputs:
    """One forward pass of a VAE, as loss terms see it.

    Attributes:
        x: (batch, height, width, channels) the images being modelled.
        z_mean: (batch, latent_dim) posterior mean.
        z_log_var: (batch, latent_dim) posterior log-variance.
        z: (batch, latent_dim) the reparameterised sample that was decoded.
        params: (batch, height, width, channels) decoder output, the likelihood's parameters.
        prior: the model's prior p(z) (`keras_vae.priors.Prior`); the standard normal if
            not given.
        seed_generator: the model's source of sampling noise, for terms that draw (from the
            prior, say).
        lower_kl: (batch,) for a hierarchical VAE, the Monte-Carlo KL of the layers below z,
            sum of log q(z_l | x, z_l+1) - log p(z_l | z_l+1) at the draw; None for one layer.
            `z`, `z_mean` and `z_log_var` are the top layer's, the one the prior is over.
    """

    x: Any
    z_mean: Any
    z_log_var: Any
    z: Any
    params: Any
    prior: Any = None
    seed_generator: Any = None
    lower_kl: Any = None

    def __post_init__(self) -> None:
        if self.prior is None:
            from keras_vae.priors.standard_normal import StandardNormal

            object.__setattr__(self, "prior", StandardNormal())


class LossTerm:
    """A term of the negative ELBO, in nats per image.

    Subclasses set `name` (the metric it is reported under) and implement `nats`. A term whose
    training objective differs from its nats (a beta, a warm-up, free bits) overrides `objective`
    and `changes_objective`. A term that reports more than its value lists the extra metrics in
    `reported` and returns them from `report`. A regulariser that is no part of the ELBO (MMD)
    sets `in_elbo` to False: it is then minimised and reported but not added to `loss`.
    """

    name = "term"
    reported: tuple[str, ...] = ()  # extra metrics, returned by `report`
    in_elbo = True  # whether `nats` is a term of the negative ELBO (`loss`)
    needs_factorised_prior = False  # whether the term reads the prior dimension by dimension

    def nats(self, outputs: VAEOutputs) -> Any:
        """Returns (batch,) the term's value for each image, in nats."""
        raise NotImplementedError

    def objective(self, outputs: VAEOutputs, step: Any) -> Any:
        """Returns the scalar the optimiser minimises at step `step` (None: evaluation)."""
        return ops.mean(self.nats(outputs))

    @property
    def changes_objective(self) -> bool:
        """Whether `objective` differs from the batch mean of `nats`."""
        return False

    def report(self, outputs: VAEOutputs) -> dict[str, Any]:
        """Returns the extra metrics named in `reported`, as batch scalars."""
        return {}

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> LossTerm:
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
