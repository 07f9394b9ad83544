"""EpochMeans, the one metric that holds a model's per-batch scalars' epoch means."""

import keras
import numpy as np
import pytest

import keras_vae
from keras_vae.epoch_means import EpochMeans
from tests.helpers import assert_config_round_trip, to_numpy


def test_means_are_weighted_by_batch_size_and_reset():
    means = EpochMeans(["loss", "kl"])
    assert {k: float(to_numpy(v)) for k, v in means.result().items()} == {"loss": 0.0, "kl": 0.0}
    means.update_state({"loss": 1.0, "kl": 2.0, "unreported": 9.0}, sample_weight=2)
    means.update_state({"loss": 4.0, "kl": 0.0}, sample_weight=1)
    result = {k: float(to_numpy(v)) for k, v in means.result().items()}
    assert list(result) == ["loss", "kl"]
    assert result == pytest.approx({"loss": 2.0, "kl": 4.0 / 3.0})
    means.reset_state()
    assert float(to_numpy(means.result()["loss"])) == 0.0


def test_a_missing_value_and_repeated_names_are_refused():
    means = EpochMeans(["loss", "kl"])
    with pytest.raises(KeyError, match=r"no value for \['kl'\]"):
        means.update_state({"loss": 1.0})
    with pytest.raises(ValueError, match="distinct"):
        EpochMeans(["loss", "loss"])


def test_config_round_trips():
    restored = assert_config_round_trip(EpochMeans(["loss", "reconstruction"], name="terms"))
    assert restored.names == ("loss", "reconstruction")


def test_epoch_logs_equal_the_mean_of_the_batches_and_lists_keep_their_order(images):
    vae = keras_vae.build_vae("dense", input_shape=(28, 28, 1), latent_dim=4, hidden_units=(32,))
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    vae.fit(images, epochs=1, batch_size=64, verbose=0)
    x = images[:96]  # batches of 64 and 32: the epoch mean weighs them by their sizes
    state = to_numpy(vae.seed_generator.state.value)  # evaluate draws the noise these draw
    batches = [
        {k: float(to_numpy(v)) for k, v in vae.compute_loss_terms(part).items()}
        for part in (x[:64], x[64:])
    ]
    vae.seed_generator.state.assign(state)
    logs = vae.evaluate(x, batch_size=64, return_dict=True, verbose=0)
    assert set(logs) == {"loss", "reconstruction", "kl"}
    for name in logs:
        expected = (64 * batches[0][name] + 32 * batches[1][name]) / 96
        assert logs[name] == pytest.approx(expected, rel=1e-5)
    # Without return_dict, Keras lists a model's scalars in its metrics' order.
    assert vae.metrics_names == ["loss", "reconstruction", "kl"]
    vae.seed_generator.state.assign(state)
    listed = vae.evaluate(x, batch_size=64, verbose=0)
    np.testing.assert_allclose(listed, [logs[n] for n in vae.metrics_names], rtol=1e-5)
    vae.seed_generator.state.assign(state)
    on_batch = vae.test_on_batch(x[:64])
    np.testing.assert_allclose(on_batch, [batches[0][n] for n in vae.metrics_names], rtol=1e-5)
    loss, reconstruction, kl = vae.train_on_batch(x[:64])  # in metrics_names' order too
    assert loss == pytest.approx(reconstruction + kl, rel=1e-5)
