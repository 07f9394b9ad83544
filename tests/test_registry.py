"""Registries: decorators, unknown names, and third-party plugins through real entry points."""

import sys
import textwrap
import warnings

import keras
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from keras_vae.registry import get_registry, list_registries


@pytest.fixture
def clean_registries():
    """Restores every registry after a test registers names or loads plugins."""
    saved = [(r, dict(r._entries), r._plugins_loaded) for r in map(get_registry, list_registries())]
    yield
    for registry, entries, loaded in saved:
        registry._entries = entries
        registry._plugins_loaded = loaded


def test_every_kind_is_one_registry_and_its_functions_are_that_registry_s():
    assert list_registries() == ["architecture", "loss", "prior", "objective"]
    for kind in list_registries():
        registry = get_registry(kind)
        plural = registry.plural
        for verb, method in (("register", "register"), ("get", "get")):
            assert getattr(keras_vae, f"{verb}_{kind}") == getattr(registry, method)
        assert getattr(keras_vae, f"list_{plural}") == registry.names
        assert registry.group == f"keras_vae.{plural}"
    assert keras_vae.priors.resolve_prior == get_registry("prior").resolve
    lines = CliRunner().invoke(main, ["list"]).output.splitlines()
    assert [line.split(":")[0] for line in lines] == ["architectures", "losses", "priors",
                                                       "objectives"]  # fmt: skip
    assert lines[2] == "priors: " + ", ".join(keras_vae.list_priors())


def test_an_unknown_kind_names_the_kinds_there_are():
    with pytest.raises(ValueError, match="No registry of kind 'prios'. Did you mean 'prior'"):
        get_registry("prios")
    with pytest.raises(ValueError, match="Kinds: architecture, loss, prior, objective"):
        get_registry("sampler")


def test_resolve_builds_names_and_defaults_and_names_the_choices():
    assert type(get_registry("prior").resolve("vamp")).__name__ == "VampPrior"
    assert type(get_registry("objective").resolve(None)).__name__ == "ELBO"
    assert get_registry("architecture").resolve("dense") is keras_vae.get_architecture("dense")
    with pytest.raises(TypeError, match=r"registered name \(mixture_of_gaussians, standard"):
        get_registry("prior").resolve(None)
    with pytest.raises(TypeError, match="plain factory"):
        keras_vae.register_architecture("x", package="mine")


def test_builtins_are_listed():
    assert {"dense", "conv", "resnet"} <= set(keras_vae.list_architectures())
    assert {"bernoulli", "gaussian", "laplace", "continuous_bernoulli", "kl"} <= set(
        keras_vae.list_losses()
    )
    assert keras_vae.list_losses("*bernoulli") == ["bernoulli", "continuous_bernoulli"]


@pytest.mark.parametrize(
    "lookup, name, suggestion",
    [(keras_vae.get_architecture, "resent", "resnet"), (keras_vae.get_loss, "gausian", "gaussian")],
)
def test_unknown_name_lists_the_registered_names_and_the_closest(lookup, name, suggestion):
    with pytest.raises(ValueError) as error:
        lookup(name)
    message = str(error.value)
    assert f"Did you mean {suggestion!r}" in message
    assert "dense" in message or "bernoulli" in message


def test_decorators_register_and_warn_on_a_second_registration(clean_registries):
    @keras_vae.register_architecture("tiny_test_mlp")
    def tiny(input_shape, latent_dim):
        return keras_vae.get_architecture("dense")(input_shape, latent_dim, hidden_units=8)

    vae = keras_vae.build_vae("tiny_test_mlp", latent_dim=2)
    assert vae.latent_dim == 2
    with pytest.warns(UserWarning, match="registered twice"):
        keras_vae.register_architecture("tiny_test_mlp")(lambda *a: None)


def test_registered_loss_is_a_keras_serializable(clean_registries, tmp_path):
    @keras_vae.register_loss("half_kl_test")
    class HalfKL(keras_vae.losses.GaussianKL):
        name = "half_kl"

        def nats(self, outputs):
            return 0.5 * super().nats(outputs)

    vae = keras_vae.build_vae(
        input_shape=(8, 8, 1), latent_dim=2, losses=["bernoulli", "half_kl_test"]
    )
    vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")  # no custom_objects needed
    assert type(loaded.loss_terms[1]) is HalfKL


def write_plugin(site, module_source, entry_points):
    """Writes an installed distribution `vae_plugin_test` (module + dist-info) under `site`."""
    (site / "vae_plugin_test.py").write_text(textwrap.dedent(module_source))
    info = site / "vae_plugin_test-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: vae-plugin-test\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


def test_third_party_plugins_arrive_through_entry_points(tmp_path, monkeypatch, clean_registries):
    write_plugin(
        tmp_path,
        """
        import keras_vae

        def wide_mlp(input_shape, latent_dim):
            return keras_vae.get_architecture("dense")(input_shape, latent_dim, hidden_units=(32,))

        class Bernoulli2(keras_vae.losses.Bernoulli):
            pass
        """,
        """
        [keras_vae.architectures]
        wide_mlp = vae_plugin_test:wide_mlp

        [keras_vae.losses]
        bernoulli2 = vae_plugin_test:Bernoulli2
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    get_registry("architecture")._plugins_loaded = False
    get_registry("loss")._plugins_loaded = False
    assert "wide_mlp" in keras_vae.list_architectures()
    assert "bernoulli2" in keras_vae.list_losses()
    vae = keras_vae.build_vae(
        "wide_mlp", input_shape=(8, 8, 1), latent_dim=2, losses=["bernoulli2", "kl"]
    )
    assert type(vae.likelihood).__name__ == "Bernoulli2"
    sys.modules.pop("vae_plugin_test", None)


def test_a_broken_plugin_warns_with_its_distribution_and_breaks_nothing(
    tmp_path, monkeypatch, clean_registries
):
    write_plugin(
        tmp_path,
        "raise ImportError('plugin bug')\n",
        "[keras_vae.architectures]\nbroken = vae_plugin_test:nothing\n",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    get_registry("architecture")._plugins_loaded = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = keras_vae.list_architectures()
    assert "dense" in names and "broken" not in names
    assert any(
        "vae-plugin-test" in str(w.message) and "plugin bug" in str(w.message) for w in caught
    )
    sys.modules.pop("vae_plugin_test", None)
