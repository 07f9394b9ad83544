"""Named presets: the settings of a row of the README's likelihood table in one flag
(`keras-vae train --preset vamp-mnist`). Flags given beside a preset override it."""

from __future__ import annotations

from types import MappingProxyType

# The likelihood table's protocol, shared by every row: dynamically binarised MNIST, the last
# 10,000 training images for validation (Tomczak & Welling's 50k/10k/10k), the model kept by
# validation loss, batch 100 (theirs), plain Adam 1e-3 (Burda et al.'s first rate; Tomczak &
# Welling's code runs AdamNormGrad, Adam on norm-1 gradients, at 5e-4 for up to 2,000 epochs)
# and the same budget of 100 epochs: what every row, its
# evaluation at k=5000 included, fits into one 3-hour session on the 2-core reference machine.
_PROTOCOL = {
    "binarize": "dynamic",
    "validation_split": 10000,
    "batch_size": 100,
    "learning_rate": 1e-3,
    "epochs": 100,
    "checkpoint_every": 10,
}
# KL warm-up over the first 20 epochs of 500 steps: Tomczak & Welling warmed up for 100 of up
# to 2,000 epochs; a warm-up of 100 epochs in a 300-epoch run left the standard-prior row at a
# validation -ELBO of 101.4 at epoch 97 and 97.7 at epoch 193. The IWAE objective trains its
# bound as Burda et al. did, without one.
_WARMUP = {"warmup_steps": 20 * 500}
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

PRESETS = MappingProxyType(
    {
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
        # The standard row's network, conditioned on the digit.
        "cvae-mnist": MappingProxyType({**_PROTOCOL, **_WARMUP, **_BURDA, "conditional": True}),
        "iwae-mnist": MappingProxyType({**_PROTOCOL, **_BURDA, "objective": "iwae", "k": 5}),
        "beta-tc-mnist": MappingProxyType(
            {**_PROTOCOL, **_BURDA, "objective": "beta_tc", "beta": 6.0}
        ),
        "mmd-mnist": MappingProxyType({**_PROTOCOL, **_WARMUP, **_BURDA, "objective": "mmd"}),
    }
)
