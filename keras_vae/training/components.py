"""The components a run builds (one per role) and the options `--set ROLE.OPTION=VALUE` gives them.

Roles: the architecture, the likelihood, the KL term, the prior, the objective, and the MMD term
of `--objective mmd`. Whatever is registered under the name a run picks (a plugin's prior
included) takes every option its signature declares (`keras_vae.component_options`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from keras_vae.component_options import component_options

if TYPE_CHECKING:
    from keras_vae.training.config import TrainingConfig

ROLES = ("architecture", "likelihood", "kl", "prior", "objective", "mmd")

# The options a dedicated flag of `keras-vae train` sets: (role, option) -> TrainingConfig field.
FLAGS = {
    ("architecture", "hidden_units"): "hidden_units",
    ("architecture", "filters"): "filters",
    ("architecture", "activation"): "activation",
    ("architecture", "latent_layers"): "latent_layers",
    ("architecture", "upsampling"): "upsampling",
    ("architecture", "downsampling"): "downsampling",
    ("prior", "components"): "prior_components",
    ("objective", "k"): "k",
    ("kl", "beta"): "beta",
    ("kl", "warmup_steps"): "warmup_steps",
    ("kl", "free_bits"): "free_bits",
    ("mmd", "kernel"): "mmd_kernel",
    ("mmd", "weight"): "mmd_weight",
}


def parse_settings(settings: Sequence[str]) -> dict[str, dict[str, str]]:
    """Returns {role: {option: text}} of "role.option=value" strings; raises a ValueError for
    one that is malformed or names no role."""
    parsed: dict[str, dict[str, str]] = {}
    for setting in settings:
        key, equals, text = setting.partition("=")
        role, dot, option = key.strip().partition(".")
        if not (equals and dot and role and option):
            raise ValueError(
                f"--set takes ROLE.OPTION=VALUE (e.g. prior.components=500), got {setting!r}."
            )
        if role not in ROLES:
            raise ValueError(f"--set {setting}: {role!r} is not a role; roles: {', '.join(ROLES)}.")
        parsed.setdefault(role, {})[option.strip().replace("-", "_")] = text.strip()
    return parsed


def run_components(config: TrainingConfig) -> dict[str, tuple[str, Any]]:
    """Returns {role: (registered name, class or factory)} of the components `config` builds."""
    from keras_vae.registry import get_registry

    names = {
        "architecture": ("architecture", config.architecture),
        "likelihood": ("loss", config.likelihood),
        "kl": ("loss", "beta_tc" if config.objective == "beta_tc" else "kl"),
        "prior": ("prior", config.prior),
        "objective": ("objective", "iwae" if config.objective == "iwae" else "elbo"),
    }
    if config.objective == "mmd":
        names["mmd"] = ("loss", "mmd")
    return {role: (name, get_registry(kind).get(name)) for role, (kind, name) in names.items()}


def component_settings(config: TrainingConfig) -> dict[str, dict[str, Any]]:
    """Returns {role: {option: value}} of `config.component_options`, each value converted by
    its option's type hint; raises a ValueError naming the component, the option and the valid
    ones for an option it does not take or a value that does not read."""
    from keras_vae.training.config import TrainingConfig

    components = run_components(config)
    defaults = {f.name: f.default for f in dataclasses.fields(TrainingConfig)}
    settings: dict[str, dict[str, Any]] = {}
    for role, given in parse_settings(config.component_options).items():
        if role not in components:
            raise ValueError(
                f"--set {role}.*: this run has no {role} term (--objective mmd adds it)."
            )
        name, component = components[role]
        what = f"the {name} {role}" if role != name else f"the {name} term"
        options = component_options(component)
        for option, text in given.items():
            if option not in options:
                listed = "; ".join(o.describe() for o in options.values()) or "none"
                raise ValueError(
                    f"--set {role}.{option}: {what} has no option {option!r}. Its options: "
                    f"{listed}."
                )
            flag = FLAGS.get((role, option))
            if flag and getattr(config, flag) != defaults[flag]:
                raise ValueError(
                    f"--set {role}.{option}={text} and --{flag.replace('_', '-')} "
                    f"{getattr(config, flag)} both set {what}'s {option}; give one."
                )
            try:
                value = options[option].parse(text)
            except ValueError as error:
                raise ValueError(
                    f"--set {role}.{option}={text}: {error} ({what}'s "
                    f"{options[option].describe()})."
                ) from None
            settings.setdefault(role, {})[option] = value
    return settings
