"""The components a run builds (one per role) and the options `--set ROLE.OPTION=VALUE` gives them.

Roles: the architecture, the likelihood, the KL term, the prior and the objective, plus any loss
term `--objective` adds to the ELBO, under its registered name (`mmd`); `--set dataset.*` sets
the options of the dataset a run reads, which `keras_vae.data.dataset.read_dataset` takes.
`--objective` takes a registered objective, or a loss term that shapes the ELBO: one reported
as the KL (`beta_tc`) takes the KL's place, any other is added. Whatever is registered under the
name a run picks (a plugin's included) takes every option its signature declares
(`keras_vae.component_options`); no list of names is written here.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from keras_vae.component_options import (
    ComponentOption,
    component_options,
    parse_options,
    parse_settings,
)

if TYPE_CHECKING:
    from keras_vae.training.config import TrainingConfig

# The roles every run has; a run with a loss term added by --objective has that one too.
ROLES = ("architecture", "likelihood", "kl", "prior", "objective")

# The role of `--set dataset.OPTION=VALUE`: the options of the dataset a run reads.
DATASET = "dataset"
M1 = "m1"  # --set m1.OPTION=VALUE: an option of the M1 run that M2 learns from

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


def objective_parts(name: str) -> dict[str, str]:
    """Returns what `--objective name` makes of a run: {"objective": objective, "kl": KL term},
    and {name: name} for a loss term it adds; raises a ValueError naming the choices."""
    from keras_vae.losses import Likelihood
    from keras_vae.registry import get_registry

    objectives, losses = get_registry("objective"), get_registry("loss")
    if name in objectives.names():
        return {"objective": name, "kl": "kl"}
    if name in losses.names():
        term = losses.get(name)
        if isinstance(term, type) and issubclass(term, Likelihood):
            raise ValueError(f"{name} is a likelihood, not an objective; pass --likelihood {name}.")
        # A term reported as the KL replaces it; any other is added to the ELBO.
        return {"objective": "elbo", "kl": name} if term.name == "kl" else {
            "objective": "elbo", "kl": "kl", name: name}  # fmt: skip
    shaping = [n for n in losses.names() if not issubclass(losses.get(n), Likelihood)]
    raise ValueError(
        f"Unknown objective {name!r}. Registered objectives: {', '.join(objectives.names())}; "
        f"loss terms that shape the ELBO: {', '.join(shaping)} (keras-vae list)."
    )


def run_components(config: TrainingConfig) -> dict[str, tuple[str, Any]]:
    """Returns {role: (registered name, class or factory)} of the components `config` builds."""
    from keras_vae.registry import get_registry

    names = {
        "architecture": ("architecture", config.architecture),
        "likelihood": ("loss", config.likelihood),
        "prior": ("prior", config.prior),
    }
    for role, name in objective_parts(config.objective).items():
        names[role] = ("objective" if role == "objective" else "loss", name)
    return {role: (name, get_registry(kind).get(name)) for role, (kind, name) in names.items()}


def _what(role: str, name: str) -> str:
    return f"the {name} {role}" if role != name else f"the {name} term"


def _listed(options: dict[str, ComponentOption]) -> str:
    return "; ".join(o.describe() for o in options.values()) or "none"


def component_settings(config: TrainingConfig) -> dict[str, dict[str, Any]]:
    """Returns {role: {option: value}} of `config.component_options`, each value converted by
    its option's type hint; raises a ValueError naming the component, the option and the valid
    ones for an option it does not take (a dedicated flag's included) or a value that does not
    read."""
    from keras_vae.training.config import TrainingConfig

    components = run_components(config)
    defaults = {f.name: f.default for f in dataclasses.fields(TrainingConfig)}
    for (role, option), flag in FLAGS.items():
        if getattr(config, flag) == defaults[flag] or role == "architecture":
            continue  # the architecture's flags have their own check (architecture_kwargs)
        dashed = f"--{flag.replace('_', '-')}"
        if role not in components:
            raise ValueError(
                f"{dashed} applies to the {role} term, which this run does not have "
                f"(--objective {role} adds it)."
            )
        name, component = components[role]
        options = component_options(component)
        if option not in options:
            raise ValueError(
                f"{dashed} does not apply to {_what(role, name)}: it has no {option!r} option. "
                f"Its options: {_listed(options)}."
            )
    settings: dict[str, dict[str, Any]] = {}
    for role, given in parse_settings(config.component_options).items():
        if role in (DATASET, M1):
            # read with the data (`dataset_settings`), or the settings of the M1 run trained
            # before M2 (`keras_vae.training.m1m2`), not built with the model
            continue
        if role not in components:
            raise ValueError(
                f"--set {role}.*: this run has no {role!r} component. Its roles: "
                f"{', '.join(components)}."
            )
        name, component = components[role]
        what = _what(role, name)
        options = component_options(component)
        for option, text in given.items():
            flag = FLAGS.get((role, option))
            if flag and getattr(config, flag) != defaults[flag]:
                raise ValueError(
                    f"--set {role}.{option}={text} and --{flag.replace('_', '-')} "
                    f"{getattr(config, flag)} both set {what}'s {option}; give one."
                )
        settings[role] = parse_options(role, what, options, given)
    return settings


def build_component(
    config: TrainingConfig,
    role: str,
    components: dict[str, tuple[str, Any]],
    settings: dict[str, dict[str, Any]],
    **filled: Any,
) -> Any:
    """Returns the component of `role`, built with the options it takes: its dedicated flags'
    values, then what the run fills in (`filled`: the seed, the training set's size), then
    `--set`'s."""
    _, component = components[role]
    takes = component_options(component)
    kwargs = {
        option: getattr(config, flag)
        for (flag_role, option), flag in FLAGS.items()
        if flag_role == role and option in takes and getattr(config, flag) is not None
    }
    kwargs |= {option: value for option, value in filled.items() if option in takes}
    return component(**kwargs | settings.get(role, {}))
