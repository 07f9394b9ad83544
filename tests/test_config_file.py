"""`train --config`: a TOML file of settings, flags beside it, and replaying a run's config."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from tests.helpers import write_strokes_npz

RUN_TOML = """
# A VampPrior run, a table per component
epochs = 2
batch_size = 32
latent_dim = 2
data = "{data}"

[architecture]
name = "dense"
hidden_units = [8, 4]     # --hidden-units
activation = "tanh"

[likelihood]
name = "gaussian"
variance = 0.2            # no flag of its own: --set likelihood.variance=0.2

[prior]
name = "vamp"
components = 5            # --prior-components
"""


def write_toml(tmp_path, text=RUN_TOML):
    data = write_strokes_npz(tmp_path / "strokes.npz", 64, 32)
    path = tmp_path / "run.toml"
    path.write_text(text.format(data=data))
    return path


def test_a_toml_file_configures_every_component_and_flags_beside_it_win(tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main, ["train", "--config", str(write_toml(tmp_path)), "--epochs", "1", "--out", str(out),
               "--set", "prior.seed=3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = keras_vae.load_vae(out / "model.keras")
    assert [layer.units for layer in model.encoder.layers[2:4]] == [8, 4]
    assert model.encoder.layers[2].activation.__name__ == "tanh"
    assert model.likelihood.variance == 0.2
    assert (model.prior.components, model.prior.seed) == (5, 3)
    saved = json.loads((out / "config.json").read_text())
    assert saved["epochs"] == 1  # the flag, not the file's 2
    assert len((out / "log.csv").read_text().splitlines()) == 2  # a header and one epoch
    assert saved["component_options"] == ["likelihood.variance=0.2", "prior.seed=3"]


def test_a_run_trained_from_flags_replays_from_its_saved_config(tmp_path):
    """Its directory given to --config replays it from its config.json."""
    data = write_strokes_npz(tmp_path / "strokes.npz", 64, 32)
    first, again = tmp_path / "first", tmp_path / "again"
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--epochs", "1", "--batch-size", "32",
               "--latent-dim", "2", "--hidden-units", "8", "--prior", "mixture_of_gaussians",
               "--prior-components", "3", "--set", "architecture.activation=tanh",
               "--out", str(first)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    replay = ["train", "--config", str(first), "--out", str(again)]  # the run's config.json
    result = CliRunner().invoke(main, replay)
    assert result.exit_code == 0, result.output
    configs = [json.loads((run / "config.json").read_text()) for run in (first, again)]
    assert configs[0].pop("out") != configs[1].pop("out")
    assert configs[0] == configs[1]
    models = [keras_vae.load_vae(run / "model.keras") for run in (first, again)]
    assert models[1].prior.components == 3
    for a, b in zip(models[0].get_weights(), models[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "text, message",
    [
        ("epohcs = 3", "unknown setting 'epohcs'. Did you mean 'epochs'?"),
        ("epochs = \nseed = 1", "is not valid TOML: Invalid value (at line 1, column 10)"),
        ("epochs = -3", "Invalid value for '--epochs': -3 is not in the range x>=1"),
        ('[prior]\nname = "vamp"\ncomponentz = 3', "the vamp prior has no option 'componentz'"),
        ("[kl]\nname = \"kl\"", "[kl] takes no name; --objective picks the kl term"),
    ],
)  # fmt: skip
def test_a_bad_file_is_an_error_that_names_the_setting(tmp_path, text, message):
    out = tmp_path / "run"
    path = write_toml(tmp_path, text)
    result = CliRunner().invoke(main, ["train", "--config", str(path), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_a_dataset_table_names_the_dataset_and_sets_its_options(tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", 64, 32)
    m1 = tmp_path / "m1"
    result = CliRunner().invoke(
        main, ["train", "--data", str(data), "--epochs", "1", "--batch-size", "32",
               "--latent-dim", "4", "--hidden-units", "8", "--out", str(m1)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    path = tmp_path / "m1m2.toml"
    path.write_text(f"""
data = "{m1}"
epochs = 1
batch_size = 32
latent_dim = 2
likelihood = "normal"

[dataset]
name = "m1_codes"
min_spread = 0.0      # keep every dimension
sample = false
""")
    out = tmp_path / "m1m2"
    result = CliRunner().invoke(main, ["train", "--config", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "config.json").read_text())
    assert saved["dataset"] == "m1_codes"
    assert saved["component_options"] == ["dataset.min_spread=0.0", "dataset.sample=false"]
    assert keras_vae.load_vae(out).image_shape == (1, 1, 4)  # all four of M1's dimensions
