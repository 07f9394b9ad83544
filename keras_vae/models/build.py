"""`build_vae`: encoder, decoder and VAE from the registries in one call."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from keras_vae.architectures import get_architecture
from keras_vae.losses import Likelihood, LossTerm
from keras_vae.models.checks import resolve_loss_terms
from keras_vae.models.hierarchical import HierarchicalNetworks, HierarchicalVAE
from keras_vae.models.labels import PartialLabels, labelling
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
    semi_supervised: bool = False,
    classification_weight: float = 0.1,
    class_noise: str = "shared",
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
        semi_supervised: build M2 instead (`keras_vae.models.semi_supervised`): that
            conditional VAE of `num_classes` with a classifier q(y | x), the architecture's
            encoder with `num_classes` outputs; labels may then be -1 (unknown).
        classification_weight: M2's alpha, the weight of its classification loss.
        class_noise: M2's noise draws, one per image ("shared") or per image and class
            ("per_class").
        **kwargs: the architecture's own keyword arguments (e.g. `hidden_units` for `dense`);
            `output_channels` is set from the likelihood where it needs more parameters per
            pixel than the images have channels (the discretised ones).

    Returns:
        An uncompiled `VAE` (a `HierarchicalVAE` for a hierarchical architecture, `hvae`).

    Example:
        >>> vae = build_vae("conv", input_shape=(32, 32, 3), latent_dim=32, filters=(32, 64, 128))
    """
    terms = resolve_loss_terms(DEFAULT_LOSSES if losses is None else losses)
    factory = get_architecture(architecture)
    kwargs = {**_output_channels(factory, architecture, input_shape, terms), **kwargs}
    if semi_supervised and num_classes is None:
        raise ValueError("A semi-supervised VAE needs num_classes, the classes of its labels.")
    labels = PartialLabels(int(num_classes)) if semi_supervised else labelling(num_classes)
    networks, for_labels = labels.networks(factory, input_shape, latent_dim, **kwargs)
    if isinstance(networks, HierarchicalNetworks):
        model, networks = HierarchicalVAE, vars(networks)
    else:
        encoder, decoder = networks
        model, networks = VAE, {"encoder": encoder, "decoder": decoder, **for_labels}
    extra = {}
    if semi_supervised:
        from keras_vae.models.semi_supervised import SemiSupervisedVAE

        model = SemiSupervisedVAE
        extra = {"classification_weight": classification_weight, "class_noise": class_noise}
    return model(
        **networks,
        losses=terms,
        seed=seed,
        dynamic_binarization=dynamic_binarization,
        prior=prior,
        objective=objective,
        num_classes=num_classes,
        **extra,
    )


def _output_channels(
    factory: Any, architecture: str, input_shape: Sequence[int], terms: Sequence[LossTerm]
) -> dict[str, int]:
    """Returns {"output_channels": n} where the likelihood among `terms` needs n decoder outputs
    per pixel and the images have fewer channels; else {}."""
    likelihood = next(term for term in terms if isinstance(term, Likelihood))
    channels = int(input_shape[-1])
    needed = likelihood.param_channels(channels)
    if needed == channels:
        return {}
    if "output_channels" not in inspect.signature(factory).parameters:
        raise ValueError(
            f"The {type(likelihood).__name__} likelihood needs {needed} decoder outputs per "
            f"pixel, and the {architecture!r} architecture gives one per image channel; use "
            "dense, gated_dense, conv or resnet (or an architecture that takes output_channels)."
        )
    return {"output_channels": needed}
