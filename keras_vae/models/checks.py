"""What a VAE's parts must satisfy together, checked when it is built.

One reconstruction likelihood among loss terms that report distinct metrics; a prior and an
objective that those terms go with; an encoder and a decoder whose shapes meet.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras

from keras_vae.losses import Likelihood, LossTerm
from keras_vae.losses.registry import resolve_loss
from keras_vae.objectives import ELBO, Objective
from keras_vae.priors import Prior

__all__ = ["check_combination", "check_encoder_decoder", "has_regularizers", "resolve_loss_terms"]


def resolve_loss_terms(losses: Sequence[str | LossTerm | dict]) -> list[LossTerm]:
    """Returns `losses` as LossTerm instances: names via the registry, configs via Keras."""
    terms = [resolve_loss(loss) for loss in losses]
    names = [term.name for term in terms]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"Two loss terms report the same metric {duplicated}; give each its own.")
    likelihoods = [term for term in terms if isinstance(term, Likelihood)]
    if len(likelihoods) != 1:
        raise ValueError(
            f"A VAE needs exactly one reconstruction likelihood among its losses, got "
            f"{len(likelihoods)} in {terms}. Add one of bernoulli, gaussian, laplace, "
            "continuous_bernoulli, discretized_logistic, discretized_gaussian, "
            "discretized_logistic_mixture."
        )
    return terms


def check_combination(
    loss_terms: Sequence[LossTerm], prior: Prior, objective: Objective, hierarchical: bool = False
) -> None:
    """Raises a ValueError for loss terms, prior, objective and model that do not go together."""
    for term in loss_terms:
        if term.needs_factorised_prior and hierarchical:
            raise ValueError(
                f"{term!r} reads the KL per latent dimension, which a hierarchical VAE's "
                "conditional layers do not factorise into; drop free bits (free_bits=0) / the "
                "beta_tc term, or use a one-layer architecture."
            )
        if term.needs_factorised_prior and not prior.factorised:
            raise ValueError(
                f"{term!r} reads the KL per latent dimension, which the {type(prior).__name__} "
                "prior does not factorise into; use the standard_normal prior, or drop free "
                "bits (free_bits=0) / the beta_tc term."
            )
    if not isinstance(objective, ELBO):
        shaped = [term for term in loss_terms if term.changes_objective]
        if shaped:
            raise ValueError(
                f"{objective!r} trains its own bound, so {shaped} would not shape what is "
                "optimised; drop beta, warm-up, free bits and extra regularisers, or train the "
                "elbo objective."
            )


def has_regularizers(network: keras.Model) -> bool:
    """Whether any weight of `network`, or any layer of it or of the models inside it, has a
    regulariser."""
    return any(getattr(w, "regularizer", None) is not None for w in network.weights) or any(
        getattr(layer, "activity_regularizer", None) is not None for layer in _layers(network)
    )


def _layers(layer: keras.Layer):
    """Yields `layer` and, through the public `Model.layers`, every layer of the models in it.

    A custom layer's own sublayers are not public; an activity regulariser there is still
    minimised (`VAE.losses`), only not reported as a metric of its own.
    """
    yield layer
    for inner in getattr(layer, "layers", ()):
        yield from _layers(inner)


def check_encoder_decoder(
    encoder: keras.Model,
    decoder: keras.Model,
    classes: int = 0,
    likelihood: Likelihood | None = None,
) -> None:
    """Raises a ValueError unless encoder and decoder fit together as a VAE (conditional on
    `classes` labels, which add that many encoder channels and decoder inputs) whose decoder
    gives `likelihood`'s parameters (one per pixel channel where None)."""
    outputs = getattr(encoder, "outputs", None)
    if not outputs or len(outputs) != 2:
        raise ValueError(
            "The encoder must output [z_mean, z_log_var]; got "
            f"{len(outputs) if outputs else 'no known'} outputs. Build it with "
            "keras_vae.architectures.blocks.gaussian_head or a registered architecture."
        )
    latent = int(outputs[0].shape[-1])
    fix = " (keras_vae.models.conditioning.conditional_networks builds both)" if classes else ""
    if tuple(decoder.input_shape[1:]) != (latent + classes,):
        raise ValueError(
            f"The decoder takes z of shape {decoder.input_shape[1:]} but the encoder gives "
            f"{latent}"
            + (f" and the labels add {classes}" if classes else "")
            + f"; build both with the same latent_dim{fix}."
        )
    *spatial, channels = encoder.input_shape[1:]
    images = (*spatial, channels - classes)
    params = images[-1] if likelihood is None else likelihood.param_channels(images[-1])
    if tuple(decoder.output_shape[1:]) != (*spatial, params):
        per_pixel = "one parameter per pixel channel"
        if params != images[-1]:
            per_pixel = f"{params} parameters per pixel for the {type(likelihood).__name__}"
        raise ValueError(
            f"The decoder outputs {decoder.output_shape[1:]} but the model's images are "
            f"{images}"
            + (f" (the encoder's {channels} channels less {classes} for labels)" if classes else "")
            + f"; the decoder must give {per_pixel}{fix}."
        )
