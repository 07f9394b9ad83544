"""The validation split, the model kept by validation loss, early stopping and the presets."""

import json
import re

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from keras_vae.component_options import parse_settings
from keras_vae.models.hierarchical import HierarchicalVAE
from keras_vae.models.semi_supervised import SemiSupervisedVAE
from keras_vae.training.callbacks import BestModel
from keras_vae.training.config import TrainingConfig
from keras_vae.training.presets import PRESETS, with_preset
from keras_vae.training.run import train
from keras_vae.training.start import build_model
from tests.helpers import write_strokes_npz


@pytest.fixture
def dataset(tmp_path):
    return write_strokes_npz(tmp_path / "strokes.npz", n_train=300, n_test=64)


def _config(dataset, tmp_path, **kwargs):
    settings = dict(data=dataset, out=tmp_path / "run", hidden_units=(16,), latent_dim=2,
                    batch_size=50, epochs=2, verbose=0)  # fmt: skip
    return TrainingConfig(**{**settings, **kwargs})


@pytest.mark.parametrize(
    "split, images", [(100, 100), (100.0, 100), (0.25, 75), (1 / 6, 50), (None, 0)]
)
def test_validation_split_counts_images_or_takes_a_fraction(split, images):
    assert TrainingConfig(validation_split=split).validation_images(300) == images


@pytest.mark.parametrize("split", [300, 1000, 1.5, 0.001])
def test_a_validation_split_that_leaves_a_side_empty_is_refused(split):
    with pytest.raises(ValueError, match="validation_split"):
        TrainingConfig(validation_split=split).validation_images(300)


def test_training_validates_on_the_held_out_images_and_keeps_the_best(dataset, tmp_path):
    result = train(_config(dataset, tmp_path, validation_split=100, epochs=3))
    assert result.validated_on == "validation"
    run = tmp_path / "run"
    log = result.history
    assert result.best_epoch == 1 + int(np.argmin(log["val_loss"]))
    # The run's model is the one chosen on validation.
    kept, best = (keras_vae.load_vae(run / name) for name in ("model.keras", "best.keras"))
    for got, want in zip(kept.get_weights(), best.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)
    # It was scored on the last 100 training images (one posterior draw: up to its noise).
    x = np.load(dataset)["x_train"][200:].astype("float32") / 255
    assert kept.evaluate(x, batch_size=50, verbose=0, return_dict=True)["loss"] == pytest.approx(
        min(log["val_loss"]), rel=5e-3
    )
    assert (run / "best.keras").exists()


def test_without_a_split_the_test_set_validates_and_early_stopping_is_refused(dataset, tmp_path):
    result = train(_config(dataset, tmp_path))
    assert result.validated_on == "test" and result.best_epoch is None
    assert not (tmp_path / "run" / "best.keras").exists()
    with pytest.raises(ValueError, match="--early-stopping.*--validation-split"):
        train(_config(dataset, tmp_path, early_stopping=3, out=tmp_path / "other"))


def test_best_model_saves_improvements_and_stops_after_patience(tmp_path):
    vae = keras_vae.build_vae("dense", input_shape=(4, 4, 1), latent_dim=2, hidden_units=4)
    callback = BestModel(tmp_path / "best.keras", patience=2)
    callback.set_model(vae)
    for epoch, loss in enumerate([5.0, 3.0, 3.5, 3.2]):
        callback.on_epoch_end(epoch, {"val_loss": loss})
        if epoch == 1:
            saved_at = (tmp_path / "best.keras").stat().st_mtime_ns
    assert (callback.best, callback.best_epoch, callback.stopped_epoch) == (3.0, 2, 4)
    assert vae.stop_training
    assert (tmp_path / "best.keras").stat().st_mtime_ns == saved_at  # not rewritten by worse

    # A resumed run goes on counting from the earlier epochs' losses.
    resumed = BestModel(tmp_path / "b2.keras", patience=2, earlier_losses=[5.0, 3.0, 3.5])
    resumed.set_model(vae)
    vae.stop_training = False
    resumed.on_epoch_end(3, {"val_loss": 3.1})
    assert resumed.stopped_epoch == 4 and not (tmp_path / "b2.keras").exists()


def test_a_preset_sets_a_table_row_and_flags_beside_it_win(dataset, tmp_path):
    out = tmp_path / "preset"
    result = CliRunner().invoke(
        main,
        ["train", "--preset", "vamp-mnist", "--data", str(dataset), "--out", str(out),
         "--epochs", "1", "--validation-split", "100", "--prior-components", "7"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    for name, value in PRESETS["vamp-mnist"].items():
        if name not in ("epochs", "validation_split", "prior_components"):
            assert config[name] == (list(value) if isinstance(value, tuple) else value), name
    assert (config["epochs"], config["validation_split"], config["prior_components"]) == (
        1, 100, 7,
    )  # fmt: skip
    model = keras_vae.load_vae(out)
    assert model.prior.components == 7 and model.latent_dim == 40
    assert "validation -ELBO" in result.output and "model kept" in result.output
    assert keras.backend.backend() in result.output


@pytest.mark.slow
def test_the_vamp_preset_on_real_mnist_holds_out_the_last_10000_images(mnist_npz, tmp_path):
    """One epoch of the table's VampPrior row: 50,000 training and 10,000 validation images."""
    out = tmp_path / "vamp"
    result = CliRunner().invoke(
        main,
        ["train", "--preset", "vamp-mnist", "--data", str(mnist_npz), "--out", str(out),
         "--epochs", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    log = (out / "log.csv").read_text().splitlines()
    assert len(log) == 2 and "val_loss" in log[0]
    validation = float(re.search(r"validation -ELBO\s+([\d.]+)", result.output).group(1))
    assert validation < 170  # 155 after one epoch here; an untrained model scores about 540
    model = keras_vae.load_vae(out)
    assert model.prior.components == 500 and model.optimizer.iterations == 500  # 50,000 / 100


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_its_papers_network(name):
    config = TrainingConfig(**PRESETS[name])
    classes = 10 if config.conditional or config.labelled else None
    # M1+M2 learns from the codes of an M1 run, its active latent dimensions (here 20).
    shape = (1, 1, 20) if config.dataset == "m1_codes" else (28, 28, 1)
    model = build_model(config, shape, train_images=50_000, num_classes=classes)
    assert model.num_classes == classes
    assert isinstance(model, SemiSupervisedVAE) == (config.labelled is not None)
    hierarchical = config.architecture in ("hvae", "conv_hvae")
    assert isinstance(model, HierarchicalVAE) == hierarchical
    # Burda et al.'s dense MLP has 50 latents; Tomczak & Welling's gated ones 40 per layer.
    assert model.latent_dim == (50 if config.architecture == "dense" else 40)
    if hierarchical:
        assert model.latent_dims == (40, 40)
    if config.likelihood == "pixelcnn":  # PixelHVAE: a Bernoulli per pixel, 8 masked layers
        assert (model.likelihood.pixels, model.likelihood.residual_layers) == ("bernoulli", 7)


def test_set_beside_a_preset_adds_to_its_settings():
    preset = PRESETS["pixel-hvae-vamp-mnist"]
    options = {"component_options": (), "epochs": 50}
    given = {"component_options": ("likelihood.filters=8", "likelihood.residual_layers=2")}
    merged = with_preset("pixel-hvae-vamp-mnist", options, given)
    settings = parse_settings(merged["component_options"])["likelihood"]
    assert settings == {"pixels": "bernoulli", "residual_layers": "2", "filters": "8"}
    assert merged["epochs"] == preset["epochs"] == 100
    # Without --set, the preset's own; a preset without any takes the given ones.
    alone = with_preset("pixel-hvae-vamp-mnist", options, {})
    assert alone["component_options"] == preset["component_options"]
    other = with_preset("vamp-mnist", options, given)
    assert other["component_options"] == given["component_options"]
