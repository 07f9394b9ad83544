"""XLA flags keras_vae adds for JAX, merged with the user's `XLA_FLAGS`.

Only flags measured to speed up keras_vae's models are here (README, "Speed"). A flag the user
already sets in `XLA_FLAGS` keeps the user's value; `KERAS_VAE_XLA_FLAGS=0` adds none. XLA
reads the variable once, when JAX starts its first backend, so flags added after that (by a
program that ran JAX code before importing keras_vae's models) take no effect: keras_vae then
leaves `XLA_FLAGS` alone.
"""

from __future__ import annotations

import os

# XLA's CPU backend hands single convolutions and reductions to YNNPACK by default (jaxlib
# 0.10). Its weight-gradient convolutions ran the conv decoder's training step ~2x slower than
# XLA's own (Eigen) convolutions, and its reduction of the dense VAE's per-pixel likelihood to
# one number took ~0.7 ms of a 4.7 ms step; without both the step took 4.0 ms (README, "Speed").
# Matrix products stay with YNNPACK. No effect on GPUs.
FLAGS = {"xla_cpu_experimental_ynn_fusion_type": "-individual_convolution,-reduce"}

OPT_OUT = "KERAS_VAE_XLA_FLAGS"


def merged_xla_flags(user_flags: str, flags: dict[str, str]) -> str:
    """Returns `user_flags` with each of `flags` appended as `--name=value`, except those the
    user already sets."""
    given = {part.lstrip("-").split("=", 1)[0] for part in user_flags.split()}
    added = [f"--{name}={value}" for name, value in flags.items() if name not in given]
    return " ".join([user_flags.strip(), *added]).strip()


def add_xla_flags() -> None:
    """Adds `FLAGS` to the environment's `XLA_FLAGS`, unless JAX has started a backend or the
    user opted out with `KERAS_VAE_XLA_FLAGS=0`."""
    if os.environ.get(OPT_OUT, "1").strip().lower() in ("0", "false", "no", "off"):
        return
    from jax._src import xla_bridge

    if xla_bridge.backends_are_initialized():
        return
    os.environ["XLA_FLAGS"] = merged_xla_flags(os.environ.get("XLA_FLAGS", ""), FLAGS)
