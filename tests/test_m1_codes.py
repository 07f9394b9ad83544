"""M1+M2: M2 trained from the command line on the codes of a trained VAE run (M1), read as the
`m1_codes` dataset, then classifying that run's test images."""

import csv
import dataclasses
import json

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.cli import main
from keras_vae.data.dataset import read_dataset
from keras_vae.inference import posterior_means
from keras_vae.models.semi_supervised import SemiSupervisedVAE
from keras_vae.training.config import read_config
from keras_vae.training.m1_codes import M1Codes, SampledCodes, active_dimensions
from tests.helpers import labelled_bars, write_labelled_npz


@pytest.fixture(scope="module")
def m1_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("m1")
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=600, n_test=200)
    out = tmp_path / "m1"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--latent-dim", "8", "--hidden-units", "64",
         "--batch-size", "50", "--epochs", "5", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


def test_the_codes_are_m1_s_posterior_means_of_its_images(m1_run):
    (codes, y_train), (test_codes, y_test) = read_dataset(m1_run, dataset="m1_codes")
    x, y = labelled_bars(800, classes=4)
    x = (x * 255).astype("uint8") / np.float32(255)  # as write_labelled_npz stored them
    model = keras.models.load_model(m1_run / "model.keras")
    np.testing.assert_array_equal(y_train, y[:600])
    np.testing.assert_array_equal(y_test, y[600:])
    # Kept: the dimensions whose means spread over the training images by more than 0.1.
    means, log_vars = posterior_means(model, x[:600])
    spread = means.std(axis=0)
    expected, _ = posterior_means(model, x[600:])
    for min_spread in (0.1, float(np.median(spread))):
        (codes, _), (test_codes, _) = M1Codes(m1_run, min_spread=min_spread).read()
        kept = spread > min_spread
        assert isinstance(codes, SampledCodes) and isinstance(test_codes, np.ndarray)
        assert codes.shape == (600, 1, 1, kept.sum()) and test_codes.shape[1:] == codes.shape[1:]
        np.testing.assert_allclose(codes.means[:, 0, 0], means[:, kept], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(
            codes.scales[:, 0, 0], np.exp(0.5 * log_vars[:, kept]), rtol=1e-4, atol=1e-6
        )
        np.testing.assert_allclose(test_codes[:, 0, 0], expected[:, kept], rtol=1e-5, atol=1e-5)
    assert kept.sum() == 4  # above the median of 8 spreads
    (fixed, _), _ = M1Codes(m1_run, sample=False).read()
    np.testing.assert_allclose(fixed[:, 0, 0], means[:, spread > 0.1], rtol=1e-5, atol=1e-5)


def test_sampled_codes_draw_afresh_for_each_batch_and_alike_for_the_same_batch():
    rng = np.random.default_rng(0)
    means = rng.normal(0, 2, (50, 1, 1, 3)).astype("float32")
    scales = rng.uniform(0.1, 1.0, (50, 1, 1, 3)).astype("float32")
    codes = SampledCodes(means, scales, seed=3)
    batch = np.array([4, 9, 17])
    np.testing.assert_array_equal(codes[batch], codes[batch])  # a resumed epoch redraws alike
    assert not np.allclose(codes[batch][:2], codes[np.array([4, 9, 18])][:2])  # another batch
    assert not np.allclose(codes[batch], SampledCodes(means, scales, seed=4)[batch])
    # Over many batches holding image 4, its draws have its mean and scale.
    draws = np.stack([codes[np.array([4, i, j])][0] for i in range(5, 50) for j in range(40)])
    bound = 4 * scales[4] / np.sqrt(len(draws))
    np.testing.assert_array_less(np.abs(draws.mean(axis=0) - means[4]), bound)
    np.testing.assert_allclose(draws.std(axis=0), scales[4], rtol=0.1)
    # Slices and masks select codes still to be drawn; as an array they are their means.
    head = codes[:10]
    assert isinstance(head, SampledCodes) and len(head) == 10
    np.testing.assert_array_equal(np.asarray(codes[means[:, 0, 0, 0] > 0]),
                                  means[means[:, 0, 0, 0] > 0])  # fmt: skip
    np.testing.assert_allclose(codes.mean(axis=0), means.mean(axis=0), rtol=1e-6)


def test_m2_on_m1_s_codes_learns_the_classes(m1_run, tmp_path):
    out = tmp_path / "m1m2"
    result = CliRunner().invoke(
        main,
        ["train", "--dataset", "m1_codes", "--data", str(m1_run), "--labelled", "20",
         "--labelled-per-batch", "4", "--likelihood", "normal", "--latent-dim", "4",
         "--hidden-units", "64", "--batch-size", "50", "--epochs", "6",
         "--classification-weight", "10", "--learning-rate", "3e-3", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert isinstance(keras.models.load_model(out / "model.keras"), SemiSupervisedVAE)
    assert (out / "training_curves.png").exists() and not (out / "samples.png").exists()
    classes = tmp_path / "c.csv"
    result = CliRunner().invoke(main, ["classify", str(out), "--out", str(classes)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(classes.open()))
    error = np.mean([row["label"] != row["predicted"] for row in rows])
    assert len(rows) == 200 and error < 0.4, error  # chance: 0.75
    # evaluate reports the classification error, and no PSNR: codes are not pixels.
    result = CliRunner().invoke(main, ["evaluate", str(out), "--k", "10"])
    assert result.exit_code == 0, result.output
    assert f"classification error  {error:.2%}" in result.output
    assert "PSNR" not in result.output


def test_a_model_that_uses_no_dimension_gives_no_codes():
    codes = np.random.default_rng(0).normal(0, 0.05, (100, 3))
    with pytest.raises(ValueError, match="No latent dimension of the run varies"):
        active_dimensions(codes, 0.1)
    codes[:, 1] *= 10
    np.testing.assert_array_equal(active_dimensions(codes, 0.1), [1])


def test_codes_need_a_run_of_an_unconditional_vae(tmp_path):
    with pytest.raises(FileNotFoundError, match="not the directory of a keras-vae train run"):
        read_dataset(tmp_path, dataset="m1_codes")


def test_the_m1m2_preset_trains_on_the_codes_of_the_run_given(m1_run, tmp_path):
    out = tmp_path / "preset"
    result = CliRunner().invoke(
        main,
        ["train", "--preset", "m1m2-mnist", "--data", str(m1_run), "--out", str(out),
         "--validation-split", "100", "--labelled", "20", "--batch-size", "50",
         "--hidden-units", "16", "--epochs", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert (config["dataset"], config["likelihood"], config["learning_rate"]) == (
        "m1_codes", "normal", 3e-4,
    )  # fmt: skip
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, SemiSupervisedVAE) and model.image_shape[:2] == (1, 1)


def test_set_dataset_options_reach_the_codes(m1_run, tmp_path):
    model = keras.models.load_model(m1_run / "model.keras")
    x, _ = labelled_bars(800, classes=4)
    x = (x * 255).astype("uint8") / np.float32(255)
    spread = posterior_means(model, x[:600])[0].std(axis=0)
    median = f"{np.median(spread):.6f}"
    out = tmp_path / "m1m2"
    result = CliRunner().invoke(
        main,
        ["train", "--dataset", "m1_codes", "--data", str(m1_run), "--labelled", "20",
         "--likelihood", "normal", "--latent-dim", "2", "--hidden-units", "8",
         "--batch-size", "50", "--epochs", "1", "--out", str(out),
         "--set", f"dataset.min_spread={median}", "--set", "dataset.sample=false"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    source = read_config(out / "config.json").data_source()
    assert dict(source.options) == {"min_spread": median, "sample": "false"}
    codes, _ = source.load().train
    assert isinstance(codes, np.ndarray) and codes.shape[1:] == (1, 1, 4)
    assert keras.models.load_model(out / "model.keras").image_shape == (1, 1, 4)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("dataset.spread=0.2", "the m1_codes dataset has no option 'spread'. Its options: "
                               "min_spread: float = 0.1; sample: bool = True; seed: int = 0"),
        ("dataset.min_spread=wide", "--set dataset.min_spread=wide"),
        ("dataset.test_split=0.2", "pass --test-split instead"),
    ],
)  # fmt: skip
def test_bad_dataset_settings_name_the_dataset_s_options(m1_run, tmp_path, setting, message):
    result = CliRunner().invoke(
        main,
        ["train", "--dataset", "m1_codes", "--data", str(m1_run), "--labelled", "20",
         "--likelihood", "normal", "--epochs", "1", "--out", str(tmp_path / "bad"),
         "--set", setting],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not (tmp_path / "bad").exists()


# M1's settings for the tiny test images: the m1-mnist preset's batches of 1,000 and its
# 10,000 validation images exceed them, and its 3e-4 learns too little in a few epochs.
_SMALL_M1 = ["--set", "m1.batch_size=50", "--set", "m1.validation_split=100",
             "--set", "m1.hidden_units=64", "--set", "m1.latent_dim=8",
             "--set", "m1.learning_rate=1e-3"]  # fmt: skip


def _m1m2_command(data, out, *more):
    return ["train", "--preset", "m1m2-mnist", "--data", str(data), "--out", str(out),
            "--validation-split", "100", "--labelled", "20", "--batch-size", "50",
            "--hidden-units", "16", "--epochs", "1", *_SMALL_M1, *more]  # fmt: skip


@pytest.fixture(scope="module")
def bars_npz(tmp_path_factory):
    return write_labelled_npz(tmp_path_factory.mktemp("bars") / "bars.npz", 600, 200)


def test_one_command_trains_m1_on_the_images_then_m2_on_its_codes(bars_npz, tmp_path):
    out = tmp_path / "m1m2"
    result = CliRunner().invoke(main, _m1m2_command(bars_npz, out, "--set", "m1.epochs=4"))
    assert result.exit_code == 0, result.output
    m1 = read_config(out / "m1" / "config.json")
    # The m1-mnist preset, with the m1.* settings given and M2's seed.
    assert (m1.activation, m1.binarize, m1.data, m1.epochs, m1.hidden_units, m1.seed) == (
        "softplus", "dynamic", bars_npz, 4, (64,), 0,
    )  # fmt: skip
    assert len(list(csv.DictReader((out / "m1" / "log.csv").open()))) == 4
    m2 = read_config(out / "config.json")
    assert (m2.dataset, m2.data, m2.epochs) == ("m1_codes", out / "m1", 1)
    (codes, _), _ = M1Codes(out / "m1").read()
    model = keras.models.load_model(out / "model.keras")
    assert isinstance(model, SemiSupervisedVAE)
    assert model.image_shape == (1, 1, codes.shape[-1])
    # Run again: M1 is reused as it is, and M2's finished run is not overwritten.
    model_time = (out / "m1" / "model.keras").stat().st_mtime_ns
    again = CliRunner().invoke(main, _m1m2_command(bars_npz, out, "--set", "m1.epochs=4"))
    assert again.exit_code == 2 and "pass --resume" in again.output, again.output
    assert (out / "m1" / "model.keras").stat().st_mtime_ns == model_time
    resumed = CliRunner().invoke(main, ["train", "--out", str(out), "--resume", "--epochs", "2"])
    assert resumed.exit_code == 0, resumed.output
    assert len(list(csv.DictReader((out / "log.csv").open()))) == 2


def test_an_unfinished_m1_is_resumed_by_the_same_command(bars_npz, tmp_path):
    from keras_vae.training.config import TrainingConfig
    from keras_vae.training.m1m2 import m1_config
    from keras_vae.training.run import train

    out = tmp_path / "m1m2"
    settings = [s for s in _SMALL_M1 if s != "--set"] + ["m1.epochs=3"]
    m1 = m1_config(TrainingConfig(out=out, data=bars_npz, component_options=tuple(settings)))
    train(dataclasses.replace(m1, epochs=2))  # as if the command was stopped after epoch 2
    first_rows = (out / "m1" / "log.csv").read_text().splitlines()
    result = CliRunner().invoke(main, _m1m2_command(bars_npz, out, "--set", "m1.epochs=3"))
    assert result.exit_code == 0, result.output
    rows = (out / "m1" / "log.csv").read_text().splitlines()
    assert len(rows) == 4 and rows[:3] == first_rows  # header + epochs 1, 2 kept, 3 added
    assert (out / "model.keras").exists()


@pytest.mark.parametrize(
    ("more", "message"),
    [
        (["--set", "m1.epoch=3"], "the M1 run (a training run) has no option 'epoch'"),
        (["--set", "m1.epochs=0"], "--set m1.epochs=0: the least allowed is 1"),
    ],
)
def test_bad_m1_settings_are_refused_before_anything_is_written(bars_npz, tmp_path, more, message):
    out = tmp_path / "m1m2"
    result = CliRunner().invoke(main, _m1m2_command(bars_npz, out, *more))
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_m1_settings_need_an_m1_to_train(m1_run, tmp_path):
    result = CliRunner().invoke(main, _m1m2_command(m1_run, tmp_path / "m1m2"))
    assert result.exit_code == 2, result.output
    assert "this run trains no M1" in result.output
    assert not (tmp_path / "m1m2").exists()


def test_resume_before_m2_started_says_to_rerun_the_command(bars_npz, tmp_path):
    from keras_vae.training.config import TrainingConfig
    from keras_vae.training.m1m2 import m1_config
    from keras_vae.training.run import train

    out = tmp_path / "m1m2"
    settings = [s for s in _SMALL_M1 if s != "--set"] + ["m1.epochs=2"]
    train(m1_config(TrainingConfig(out=out, data=bars_npz, component_options=tuple(settings))))
    result = CliRunner().invoke(main, ["train", "--out", str(out), "--resume"])
    assert result.exit_code == 2, result.output
    assert "its M1" in result.output and "without --resume" in result.output
