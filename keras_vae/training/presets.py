"""Named presets: the settings of a row of the README's likelihood table in one flag
(`keras-vae train --preset vamp-mnist`). Flags given beside a preset override it."""

from __future__ import annotations

from types import MappingProxyType

# The likelihood table's protocol, shared by every row: dynamically binarised MNIST, the last
# 10,000 training images for validation (Tomczak & Welling's 50k/10k/10k), the model kept by
# validation loss, batch 100 (theirs), Adam 1e-3 (Burda et al.'s first rate; Tomczak &
# Welling's code runs AdamNormGrad, Adam on norm-1 gradients, at 5e-4 for up to 2,000 epochs)
# annealed along a half cosine over the last 50 epochs, and the same budget of 100 epochs: what
# every row, its evaluation at k=5000 included, fits into a 3-hour session on the 2-core
# reference machine. The anneal took both VampPrior rows' test IWAE NLL about 0.9 nats lower
# than a constant rate (README, "Hierarchical and conditional VAEs").
_PROTOCOL = {
    "binarize": "dynamic",
    "validation_split": 10000,
    "batch_size": 100,
    "learning_rate": 1e-3,
    "learning_rate_decay_epochs": 50,
    "epochs": 100,
    "checkpoint_every": 10,
}
# KL warm-up over the first 10 epochs of 500 steps: with the anneal, a 20-epoch one scored
# within 0.1 nats of it on validation, a 50-epoch one 0.35 nats worse on the two-layer VampPrior
# row (README, "Hierarchical and conditional VAEs"); Tomczak & Welling warmed up
# for 100 of up to 2,000 epochs. The IWAE objective trains its bound as Burda et al. did,
# without one, and beta-TC weighs its KL by its own beta.
_WARMUP = {"warmup_steps": 10 * 500}
# Burda et al.'s one-layer MLP: two hidden layers of 200 tanh units, 50 latents.
_BURDA = {
    "architecture": "dense",
    "hidden_units": (200, 200),
    "activation": "tanh",
    "latent_dim": 50,
}
# Tomczak & Welling's one-layer MLP: two gated layers of 300 units, 40 latents.
_TOMCZAK = {"architecture": "gated_dense", "hidden_units": (300, 300), "latent_dim": 40}

# Their two-stochastic-layer version: 40 + 40 latents, each network of gated 300-unit layers.
_TOMCZAK_HIERARCHY = {**_TOMCZAK, "architecture": "hvae", "latent_layers": 2}
# And its convolutional version (their convHVAE): gated convolutions of 32 and 64 channels.
_TOMCZAK_CONV_HIERARCHY = {
    "architecture": "conv_hvae",
    "latent_layers": 2,
    "latent_dim": 40,
    "filters": (32, 64),
    "hidden_units": (300,),
}

# Kingma et al.'s (2014) semi-supervised MNIST as their code runs it (dpkingma/nips14-ssl): the
# 50,000/10,000 split, softplus MLPs, 50 latents, Adam 3e-4, and for M2 on M1's codes one
# hidden layer of 300 units for 100 labels (500 for more) and 3,000 epochs of batches that hold
# the labelled images in their share of the data set (1 of 500 for 100 labels).
_KINGMA = {
    "architecture": "dense",
    "activation": "softplus",
    "latent_dim": 50,
    "learning_rate": 3e-4,
    "validation_split": 10000,
    "checkpoint_every": 10,
}
# M1: two hidden layers of 500, trained on images binarised afresh in batches of 1,000; their
# code trains it without end ("longrun").
_M1 = {**_KINGMA, "hidden_units": (500, 500), "binarize": "dynamic", "batch_size": 1000}
_M1_M2 = {**_KINGMA, "dataset": "m1_codes", "likelihood": "normal", "epochs": 3000}

PRESETS = MappingProxyType(
    {
        "m1-mnist": MappingProxyType({**_M1, "epochs": 1000}),
        # --data RUN: the m1-mnist run whose codes it learns from; --data IMAGES: that run is
        # trained first, in OUT/m1 (keras_vae.training.m1m2).
        "m1m2-mnist": MappingProxyType(
            {**_M1_M2, "labelled": 100, "hidden_units": (300,), "batch_size": 500}
        ),
        "m1m2-1000-mnist": MappingProxyType(
            {**_M1_M2, "labelled": 1000, "hidden_units": (500,), "batch_size": 250}
        ),
        # M2 on the pixels (their code has only M1+M2): the paper's 500 hidden units.
        "m2-mnist": MappingProxyType(
            {**_KINGMA, "labelled": 100, "hidden_units": (500,), "batch_size": 100, "epochs": 3000}
        ),
        "standard-mnist": MappingProxyType({**_PROTOCOL, **_WARMUP, **_BURDA}),
        "vamp-mnist": MappingProxyType(
            {**_PROTOCOL, **_WARMUP, **_TOMCZAK, "prior": "vamp", "prior_components": 500}
        ),
        "mog-mnist": MappingProxyType(
            {
                **_PROTOCOL,
                **_WARMUP,
                **_TOMCZAK,
                "prior": "mixture_of_gaussians",
                "prior_components": 500,
            }
        ),
        "hvae-vamp-mnist": MappingProxyType(
            {**_PROTOCOL, **_WARMUP, **_TOMCZAK_HIERARCHY, "prior": "vamp", "prior_components": 500}
        ),
        "hvae-mnist": MappingProxyType({**_PROTOCOL, **_WARMUP, **_TOMCZAK_HIERARCHY}),
        "conv-hvae-vamp-mnist": MappingProxyType(
            {
                **_PROTOCOL,
                **_WARMUP,
                **_TOMCZAK_CONV_HIERARCHY,
                "prior": "vamp",
                "prior_components": 500,
            }
        ),
        # Their PixelHVAE: the same, its decoder's features conditioning a PixelCNN with a
        # Bernoulli per pixel (theirs: eight masked 3x3 layers of 64 channels with batch
        # normalisation; ours: a masked 7x7 layer, then seven masked 3x3 residual ones).
        "pixel-hvae-vamp-mnist": MappingProxyType(
            {
                **_PROTOCOL,
                **_WARMUP,
                **_TOMCZAK_CONV_HIERARCHY,
                "prior": "vamp",
                "prior_components": 500,
                "likelihood": "pixelcnn",
                "component_options": (
                    "likelihood.pixels=bernoulli",
                    "likelihood.residual_layers=7",
                ),
            }
        ),
        # The standard row's network, conditioned on the digit.
        "cvae-mnist": MappingProxyType({**_PROTOCOL, **_WARMUP, **_BURDA, "conditional": True}),
        "iwae-mnist": MappingProxyType({**_PROTOCOL, **_BURDA, "objective": "iwae", "k": 5}),
        "beta-tc-mnist": MappingProxyType(
            {**_PROTOCOL, **_BURDA, "objective": "beta_tc", "beta": 6.0}
        ),
        "mmd-mnist": MappingProxyType({**_PROTOCOL, **_WARMUP, **_BURDA, "objective": "mmd"}),
    }
)


def with_preset(name: str, options: dict, given: dict) -> dict:
    """Returns `options` with preset `name`'s settings, `given` (those on the command line)
    winning; `--set` options add to the preset's, a key set by both taking the given value.

    Args:
        name: a key of `PRESETS`.
        options: every option's value, defaults included.
        given: the options the command line gave.
    """
    preset = PRESETS[name]
    merged = {**options, **preset, **given}
    if preset.get("component_options") and given.get("component_options"):
        # parse_settings reads them in order: the later setting of a key wins.
        merged["component_options"] = (
            *preset["component_options"],
            *given["component_options"],
        )
    return merged
