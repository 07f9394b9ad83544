"""Registries: decorators, unknown names, and third-party plugins through real entry points."""

import json
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
    assert list_registries() == ["architecture", "loss", "prior", "objective", "dataset"]
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
                                                       "objectives", "datasets"]  # fmt: skip
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


DATASET_PLUGIN = """
    from dataclasses import dataclass
    from pathlib import Path

    import numpy as np

    import keras_vae


    @dataclass(frozen=True)
    class TextImages(keras_vae.data.Dataset):
        \"\"\"A .digits text file: one 4x4 image of 0/1 pixels per line, then a bar, then the
        test images.\"\"\"

        description = "a .digits text file"
        path: Path
        invert: bool = False

        @classmethod
        def recognizes(cls, path):
            return path.suffix == ".digits"

        def read(self):
            train, test = Path(self.path).read_text().split("|")
            splits = []
            for text in (train, test):
                x = np.array([[int(c) for c in line] for line in text.split()], "float32")
                x = x.reshape(-1, 4, 4, 1)
                splits.append((1 - x if self.invert else x, None))
            return tuple(splits)


    @keras_vae.register_dataset("checkerboards")
    @dataclass(frozen=True)
    class Checkerboards(keras_vae.data.Dataset):
        \"\"\"Finds (makes) its own images: 4x4 checkerboards, labelled by their phase.\"\"\"

        description = "checkerboards"
        takes_path = False

        def read(self):
            board = (np.indices((4, 4)).sum(0) % 2).astype("float32")[..., None]
            x = np.stack([board, 1 - board] * 8)
            y = np.tile(np.arange(2), 8)
            return (x, y), (x[:4], y[:4])
    """


def test_a_plugin_dataset_reaches_every_command(tmp_path, monkeypatch, clean_registries):
    write_plugin(
        tmp_path, DATASET_PLUGIN, "[keras_vae.datasets]\ntext_images = vae_plugin_test:TextImages\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    get_registry("dataset")._plugins_loaded = False
    assert {"text_images", "checkerboards", "mnist", "image_folder"} <= set(
        keras_vae.list_datasets()
    )
    output = CliRunner().invoke(main, ["list"]).output
    lines = [line for line in output.splitlines() if line.startswith("datasets")]
    assert "image_folder, m1_codes, mnist, npz, shards, text_images" in lines[0]
    rows = ["0110100110010110", "1001011001101001"] * 6
    (tmp_path / "d.digits").write_text("\n".join(rows) + "\n|\n" + "\n".join(rows[:4]))
    # Recognised by its suffix, through the one loading path, with its own option.
    (x_train, y_train), (x_test, _) = keras_vae.data.load_images(tmp_path / "d.digits")
    assert x_train.shape == (12, 4, 4, 1) and y_train is None and len(x_test) == 4
    assert x_train[0, 0, :, 0].tolist() == [0, 1, 1, 0]
    inverted = keras_vae.data.read_dataset(tmp_path / "d.digits", invert=True)
    assert inverted[0][0][0, 0, :, 0].tolist() == [1, 0, 0, 1]
    with pytest.raises(ValueError, match="--image-size applies to .*a folder of image files; .*"
                       r"d\.digits \(a \.digits text file\) does not take it"):  # fmt: skip
        keras_vae.data.load_images(tmp_path / "d.digits", image_size=(2,))
    # Named with --dataset, one that finds its own images trains, and evaluate reads the same.
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--dataset", "checkerboards", "--conditional", "--hidden-units", "4",
         "--latent-dim", "2", "--epochs", "1", "--batch-size", "8", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert keras_vae.load_vae(out).image_shape == (4, 4, 1)
    result = CliRunner().invoke(
        main, ["evaluate", str(out), "--k", "2", "--json", str(tmp_path / "e.json")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "e.json").read_text())["test_images"] == 4
    result = CliRunner().invoke(main, ["train", "--dataset", "checkerboard", "--out", str(out)])
    assert result.exit_code == 2 and "Did you mean 'checkerboards'" in result.output
    with pytest.raises(ValueError, match="checkerboards dataset finds its own files; drop --data"):
        keras_vae.data.read_dataset(tmp_path / "d.digits", "checkerboards")
    sys.modules.pop("vae_plugin_test", None)
