"""Kingma et al.'s (2014) weights as options of the dense architecture: every weight matrix
started N(0, s^2) (`--init-scale`), and a N(0, SD^2) prior on them (`--weight-prior-sd`), 1 /
(2 SD^2 N) times their sum of squares in the per-image loss."""

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae.architectures.dense import dense
from keras_vae.cli import main
from keras_vae.training.config import TrainingConfig
from keras_vae.training.start import build_model
from tests.helpers import to_numpy, write_strokes_npz


def dense_layers(*networks):
    return [
        layer for net in networks for layer in net.layers if isinstance(layer, keras.layers.Dense)
    ]


def test_init_scale_starts_every_weight_matrix_at_that_spread():
    keras.utils.set_random_seed(0)
    encoder, decoder = dense((28, 28, 1), 50, hidden_units=(300,), init_scale=1e-3)
    kernels = [to_numpy(layer.kernel) for layer in dense_layers(encoder, decoder)]
    assert len(kernels) == 5  # encoder: hidden, z_mean, z_log_var; decoder: hidden, output
    for kernel in kernels:
        assert np.std(kernel) == pytest.approx(1e-3, rel=0.05)
        assert abs(np.mean(kernel)) < 1e-4
    # z_mean and z_log_var have one shape but their own draws.
    assert not np.allclose(kernels[1], kernels[2])
    glorot = to_numpy(dense((28, 28, 1), 50, hidden_units=(300,))[0].layers[2].kernel)
    assert np.std(glorot) > 0.03


# The model was compiled, not trained: its saved optimizer has no slots for the loaded one.
@pytest.mark.filterwarnings("ignore:Skipping variable loading for optimizer")
def test_the_weight_prior_is_its_negative_log_density_per_training_image(tmp_path):
    config = TrainingConfig(hidden_units=(8,), latent_dim=3, labelled=6, weight_prior_sd=2.0)
    m2 = build_model(config, (7, 6, 1), train_images=500, num_classes=3)
    layers = dense_layers(m2.encoder, m2.decoder, m2.classifier)
    assert len(layers) == 7  # encoder 3, decoder 2, classifier 2 (hidden, logits)
    for layer in layers:  # the prior is on the matrices only, not the biases
        layer.bias.assign(np.ones(layer.bias.shape, "float32"))
    squares = sum(float(np.sum(to_numpy(layer.kernel) ** 2)) for layer in layers)
    expected = squares / (2 * 2.0**2 * 500)

    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(6, 7, 6, 1)) < 0.3).astype("float32")
    labels = np.array([0, -1, 2, -1, 1, -1])
    terms = {k: float(to_numpy(v)) for k, v in m2.compute_loss_terms(x, labels=labels).items()}
    assert terms["regularization"] == pytest.approx(expected, rel=1e-5)
    assert terms["objective"] == pytest.approx(
        terms["loss"] + 0.1 * terms["classification"] + expected, rel=1e-5
    )
    # A .keras file keeps the prior.
    m2.save(tmp_path / "m2.keras")
    loaded = keras.saving.load_model(tmp_path / "m2.keras")
    assert sum(float(to_numpy(loss)) for loss in loaded.losses) == pytest.approx(expected, rel=1e-5)


def test_the_options_are_flags_that_only_architectures_taking_them_accept(tmp_path):
    data = write_strokes_npz(tmp_path / "strokes.npz", n_train=200, n_test=40)
    common = ["train", "--data", str(data), "--epochs", "1", "--batch-size", "100"]
    result = CliRunner().invoke(
        main, [*common, "--architecture", "conv", "--weight-prior-sd", "1", "--out",
               str(tmp_path / "conv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--weight-prior-sd does not apply to the conv architecture" in result.output
    result = CliRunner().invoke(
        main, [*common, "--hidden-units", "16", "--latent-dim", "2", "--init-scale", "1e-3",
               "--weight-prior-sd", "1", "--out", str(tmp_path / "dense")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "regularization" in (tmp_path / "dense" / "log.csv").read_text().splitlines()[0]
