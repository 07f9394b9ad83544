"""Component options: read from signatures, converted from text, set by `train --set`."""

import json
import math
from collections.abc import Sequence
from typing import Literal

import keras
import pytest
from click.testing import CliRunner
from keras import ops

import keras_vae
from keras_vae.cli import main
from keras_vae.component_options import component_options
from keras_vae.latent import log_normal_per_dimension
from keras_vae.registry import get_registry
from tests.helpers import write_strokes_npz


def test_every_registered_component_declares_its_options_by_its_signature():
    vamp = component_options(keras_vae.get_prior("vamp"))
    assert list(vamp) == ["components", "seed"]
    assert vamp["components"].describe() == "components: int = 500"
    assert vamp["seed"].describe() == "seed: int | None = None"
    # Keras's own Layer arguments (name, dtype, ...) are not the prior's options.
    assert component_options(keras_vae.get_prior("standard_normal")) == {}
    assert list(component_options(keras_vae.get_architecture("dense"))) == [
        "hidden_units",
        "activation",
        "init_scale",
        "kernel_l2",
    ]
    assert list(component_options(keras_vae.get_loss("kl"))) == [
        "beta",
        "warmup_steps",
        "free_bits",
    ]
    assert component_options(keras_vae.get_objective("iwae"))["k"].default == 5
    for kind in keras_vae.list_registries():  # every option of every component has a text form
        registry = get_registry(kind)
        for name in registry.names():
            for option in component_options(registry.get(name)).values():
                assert option.describe().startswith(f"{option.name}: ")


def factory(
    input_shape,
    latent_dim,
    widths: int | Sequence[int] = (8,),
    scale: float = 1.0,
    flag: bool = False,
    window: tuple[float, float] = (-6.0, 2.0),
    mode: Literal["a", "b"] = "a",
    seed: int | None = None,
    **kwargs,
):
    """A factory whose options cover every type hint the command line converts."""


def test_text_is_converted_by_the_type_hint():
    options = component_options(factory)
    assert list(options) == ["widths", "scale", "flag", "window", "mode", "seed"]
    assert options["widths"].parse("512") == 512
    assert options["widths"].parse("512, 256") == (512, 256)
    assert options["scale"].parse("0.25") == 0.25
    assert options["flag"].parse("yes") is True and options["flag"].parse("0") is False
    assert options["window"].parse("-4,2") == (-4.0, 2.0)
    assert options["mode"].parse("b") == "b"
    assert options["seed"].parse("none") is None and options["seed"].parse("3") == 3
    for option, text, message in [
        ("widths", "wide", "expected an integer or comma-separated values"),
        ("scale", "big", "expected a number"),
        ("flag", "maybe", "expected true or false"),
        ("window", "1", "expected 2 comma-separated values"),
        ("mode", "c", "expected one of a, b"),
    ]:
        with pytest.raises(ValueError, match=message):
            options[option].parse(text)


def train(tmp_path, *args):
    data = write_strokes_npz(tmp_path / "strokes.npz", 64, 32)
    return CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--epochs", "1", "--batch-size", "32", "--latent-dim", "2",
         "--hidden-units", "8", *args],
    )  # fmt: skip


def test_set_gives_each_component_its_options_and_the_run_keeps_them(tmp_path):
    out = tmp_path / "run"
    result = train(
        tmp_path, "--out", str(out), "--prior", "vamp", "--set", "prior.components=7",
        "--likelihood", "gaussian", "--set", "likelihood.variance=0.2", "--objective", "iwae",
        "--set", "objective.k=3", "--set", "architecture.activation=tanh",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out / "model.keras")
    assert model.prior.components == 7 and model.prior.seed == 0  # the run's seed stays
    assert model.likelihood.variance == 0.2
    assert model.objective.k == 3
    assert model.encoder.layers[2].activation.__name__ == "tanh"
    saved = json.loads((out / "config.json").read_text())
    assert saved["component_options"] == [
        "prior.components=7",
        "likelihood.variance=0.2",
        "objective.k=3",
        "architecture.activation=tanh",
    ]
    # A resumed run rebuilds the same components from its config, and refuses other options.
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert keras_vae.load_vae(out / "model.keras").prior.components == 7
    result = CliRunner().invoke(
        main, ["train", "--out", str(out), "--resume", "--epochs", "3", "--set", "objective.k=4"]
    )
    assert result.exit_code == 2 and "--set objective.k=4 (the run has" in result.output


@pytest.mark.parametrize(
    "setting, message",
    [
        ("prior.componets=5", "the vamp prior has no option 'componets'. Its options: "
         "components: int = 500; seed: int | None = None."),
        ("prior.components=many", "prior.components=many: expected an integer (the vamp "
         "prior's components: int = 500)"),
        ("likelihood.variance=0.2", "the bernoulli likelihood has no option 'variance'. Its "
         "options: none."),
        ("mmd.weight=1", "this run has no 'mmd' component. Its roles: architecture, likelihood, "
         "prior, objective, kl."),
        ("prior.components", "--set takes ROLE.OPTION=VALUE"),
    ],
)  # fmt: skip
def test_a_bad_setting_names_the_component_the_option_and_the_valid_ones(
    tmp_path, setting, message
):
    out = tmp_path / "run"
    result = train(tmp_path, "--out", str(out), "--prior", "vamp", "--set", setting)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()  # refused before anything was written


def test_a_dedicated_flag_and_set_cannot_both_give_an_option(tmp_path):
    out = tmp_path / "run"
    result = train(
        tmp_path, "--out", str(out), "--prior", "vamp", "--prior-components", "4",
        "--set", "prior.components=5",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--set prior.components=5 and --prior-components 4 both set" in result.output
    assert not out.exists()


@pytest.fixture
def scaled_normal_prior():
    """Registers, as a plugin would, a prior with one hyperparameter: N(0, scale^2 I)."""
    registry = get_registry("prior")
    saved = dict(registry._entries)

    @keras_vae.register_prior("scaled_normal_test", package="keras_vae_tests")
    class ScaledNormal(keras_vae.priors.Prior):
        def __init__(self, scale: float = 1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def log_prob(self, z):
            log_var = ops.full_like(z, 2.0 * math.log(self.scale))
            return ops.sum(log_normal_per_dimension(z, 0.0, log_var), axis=-1)

        def sample(self, n, seed=None, temperature=1.0):
            shape = (n, self.latent_dim)
            return keras.random.normal(shape, stddev=self.scale * temperature, seed=seed)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    yield ScaledNormal
    registry._entries = saved


def test_a_registered_prior_s_option_is_set_from_the_command_line(tmp_path, scaled_normal_prior):
    result = CliRunner().invoke(main, ["list", "--options"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("  scaled_normal_test")
    assert lines[at + 1] == "    scale: float = 1.0"
    assert "  standard_normal  (no options)" in lines
    assert lines[lines.index("  vamp") + 1] == "    components: int = 500"

    out = tmp_path / "run"
    result = train(
        tmp_path, "--out", str(out), "--prior", "scaled_normal_test", "--set", "prior.scale=0.5"
    )
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out / "model.keras")
    assert type(model.prior) is scaled_normal_prior and model.prior.scale == 0.5


@pytest.fixture
def mean_norm_term():
    """Registers, as a plugin would, a loss term that shapes the ELBO: weight x mean |z|^2."""
    registry = get_registry("loss")
    saved = dict(registry._entries)

    @keras_vae.register_loss("mean_norm_test", package="keras_vae_tests")
    class MeanNorm(keras_vae.losses.LossTerm):
        name = "mean_norm"
        in_elbo = False

        def __init__(self, weight: float = 1.0):
            self.weight = weight

        def nats(self, outputs):
            return ops.sum(ops.square(outputs.z_mean), axis=-1)

        def objective(self, outputs, step):
            return self.weight * ops.mean(self.nats(outputs))

        @property
        def changes_objective(self):
            return True

        def get_config(self):
            return {"weight": self.weight}

    yield MeanNorm
    registry._entries = saved


def test_objective_takes_any_registered_term_that_shapes_the_elbo(tmp_path, mean_norm_term):
    out = tmp_path / "run"
    result = train(
        tmp_path, "--out", str(out), "--objective", "mean_norm_test",
        "--set", "mean_norm_test.weight=0.25",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out / "model.keras")
    likelihood, kl, added = model.loss_terms
    assert (type(kl).__name__, type(added)) == ("GaussianKL", mean_norm_term)
    assert added.weight == 0.25 and type(model.objective).__name__ == "ELBO"
    assert "mean_norm" in (out / "log.csv").read_text().splitlines()[0]
    # A term reported as the KL takes the KL's place; the beta_tc term reads --beta.
    out = tmp_path / "tc"
    result = train(tmp_path, "--out", str(out), "--objective", "beta_tc", "--beta", "4",
                   "--set", "kl.gamma=2")  # fmt: skip
    assert result.exit_code == 0, result.output
    likelihood, kl = keras_vae.load_vae(out / "model.keras").loss_terms
    assert (type(kl).__name__, kl.beta, kl.gamma, kl.dataset_size) == ("BetaTC", 4.0, 2.0, 64)
