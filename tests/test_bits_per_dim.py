"""Bits per dimension and reconstruction PSNR: in the training logs, the training summary and
`evaluate`, for the likelihoods over 8-bit values (bits/dim) and every likelihood (PSNR)."""

import csv
import io
import json
import math
import re

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import keras_vae
from keras_vae.cli import main
from keras_vae.evaluation import evaluate, png_bits_per_dim
from tests.helpers import synthetic_images, to_numpy


def colour_images(n, seed=0):
    """n 12x12 colour images of 8-bit values: bars in three different tints."""
    grey = synthetic_images(n, seed)[:, ::2, ::2, 0][:, 1:13, 1:13]
    tints = np.random.default_rng(seed).uniform(0.3, 1.0, (n, 1, 1, 3))
    return (np.rint(grey[..., None] * tints * 255) / 255).astype("float32")


def test_training_logs_and_evaluate_report_bits_per_dimension(tmp_path):
    data = tmp_path / "colour.npz"
    np.savez(data, x_train=colour_images(96), x_test=colour_images(32, seed=1))
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(data), "--out", str(out), "--likelihood", "discretized_logistic",
         "--architecture", "conv", "--filters", "8", "--latent-dim", "4", "--epochs", "2",
         "--batch-size", "32"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    dims = 12 * 12 * 3
    with open(out / "log.csv") as log:
        rows = list(csv.DictReader(log))
    for row in rows:  # each epoch's -ELBO in bits per pixel channel, training and test
        for prefix in ("", "val_"):
            expected = float(row[f"{prefix}loss"]) / (dims * math.log(2))
            assert float(row[f"{prefix}bits_per_dim"]) == pytest.approx(expected, rel=1e-4)
    bits = float(rows[-1]["val_bits_per_dim"])
    assert re.search(rf"test -ELBO bits/dim +{bits:.3f}\n", result.output)

    report_file = tmp_path / "e.json"
    output = CliRunner().invoke(
        main, ["evaluate", str(out / "model.keras"), "--k", "8", "--json", str(report_file)]
    )
    assert output.exit_code == 0, output.output
    report = json.loads(report_file.read_text())
    assert report["bits_per_dim"] == pytest.approx(report["iwae_nll"] / (dims * math.log(2)))
    assert report["negative_elbo_bits_per_dim"] == pytest.approx(
        report["negative_elbo"] / (dims * math.log(2))
    )
    assert report["bits_per_dim"] < report["negative_elbo_bits_per_dim"]  # the tighter bound
    assert re.search(rf"bits/dim \(IWAE k=8\) +{report['bits_per_dim']:.3f}\n", output.output)
    assert re.search(rf"reconstruction PSNR +{report['psnr']:.2f} dB\n", output.output)
    # PNG's bits on the same images, beside the model's.
    test_images = np.load(data)["x_test"]
    assert report["png_bits_per_dim"] == pytest.approx(png_bits_per_dim(test_images))
    assert re.search(rf"bits/dim of PNG files +{report['png_bits_per_dim']:.3f}\n", output.output)
    assert re.search(r"the model \(IWAE\) +\d+\.\d% (fewer|more) than PNG\n", output.output)


def test_png_reference_is_the_summed_length_of_each_image_as_a_png_file():
    x = colour_images(10)
    lengths = []
    for image in x:
        buffer = io.BytesIO()
        Image.fromarray(np.rint(image * 255).astype("uint8")).save(buffer, "PNG", optimize=True)
        lengths.append(len(buffer.getvalue()))
    assert png_bits_per_dim(x) == pytest.approx(sum(lengths) * 8 / x.size, rel=1e-12)
    # Flat images cost PNG little, noise more than its 8 raw bits (the files' own overhead).
    assert png_bits_per_dim(np.full((4, 16, 16, 3), 0.5)) < 1
    noise = np.random.default_rng(0).integers(0, 256, (4, 16, 16, 3)) / 255
    assert png_bits_per_dim(noise) > 8


def test_psnr_is_of_each_reconstruction_and_bits_only_for_8_bit_likelihoods():
    x = colour_images(20)
    for losses, discrete in ((["discretized_gaussian", "kl"], True), (["bernoulli", "kl"], False)):
        vae = keras_vae.build_vae("dense", input_shape=x.shape[1:], latent_dim=2, seed=0,
                                  hidden_units=(16,), losses=losses)  # fmt: skip
        report = evaluate(vae, x, k=4, generated_images=0)
        reconstruction = to_numpy(vae.reconstruct(x)).astype("float64")
        squared_error = np.square(reconstruction - x).reshape(len(x), -1).mean(axis=1)
        assert report.psnr == pytest.approx(np.mean(10 * np.log10(1 / squared_error)), rel=1e-5)
        terms = vae.compute_loss_terms(x, epsilon=np.zeros((20, 2), "float32"))
        assert ("bits_per_dim" in terms) is discrete
        assert (report.bits_per_dim is not None) is discrete
        assert ("bits/dim" in report.table()) is discrete
        assert "reconstruction PSNR" in report.table()
