"""`build_vae`: encoder, decoder and VAE from the registries in one call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keras_vae.architectures import get_architecture
from keras_vae.losses import LossTerm
from keras_vae.models.hierarchical import HierarchicalNetworks, HierarchicalVAE
from keras_vae.models.labels import labelling
from keras_vae.models.vae import DEFAULT_LOSSES, VAE
from keras_vae.objectives import Objective
from keras_vae.priors import Prior


def build_vae(
    architecture: str = "dense",
    input_shape: Sequence[int] = (28, 28, 1),
    latent_dim: int = 16,
    losses: Sequence[str | LossTerm] | None = None,
    *,
    seed: int | None = None,
    dynamic_binarization: bool = False,
    prior: str | Prior = "standard_normal",
    objective: str | Objective | None = None,
    num_classes: int | None = None,
    **kwargs: Any,
) -> VAE:
    """Builds a VAE from a registered architecture and loss terms.

    Args:
        architecture: a name from `list_architectures()`.
        input_shape: (height, width, channels) of the images.
        latent_dim: size of z.
        losses: loss-term names or instances; default `("bernoulli", "kl")`.
        seed: seed of the sampling noise.
        dynamic_binarization, prior, objective: see `VAE`.
        num_classes: build a conditional VAE of this many classes: the architecture's
            encoder for the images plus one channel per class (holding 1 / (H W) for an
            encoder that flattens them), its decoder for z plus the one-hot label
            (`keras_vae.models.conditioning`).
        **kwargs: the architecture's own keyword arguments (e.g. `hidden_units` for `dense`).

    Returns:
        An uncompiled `VAE` (a `HierarchicalVAE` for a hierarchical architecture, `hvae`).

    Example:
        >>> vae = build_vae("conv", input_shape=(32, 32, 3), latent_dim=32, filters=(32, 64, 128))
    """
    networks, for_labels = labelling(num_classes).networks(
        get_architecture(architecture), input_shape, latent_dim, **kwargs
    )
    if isinstance(networks, HierarchicalNetworks):
        model, networks = HierarchicalVAE, vars(networks)
    else:
        encoder, decoder = networks
        model, networks = VAE, {"encoder": encoder, "decoder": decoder, **for_labels}
    return model(
        **networks,
        losses=DEFAULT_LOSSES if losses is None else losses,
        seed=seed,
        dynamic_binarization=dynamic_binarization,
        prior=prior,
        objective=objective,
        num_classes=num_classes,
    )
