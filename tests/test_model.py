"""The VAE on the current backend: training, its step maths by hand, methods, save/load."""

import keras
import numpy as np
import pytest
from scipy import special

import keras_vae
from keras_vae import VAE
from keras_vae.models.checks import has_regularizers
from tests.helpers import assert_all_close, to_numpy


def small_vae(architecture="dense", input_shape=(28, 28, 1), **kwargs):
    widths = {
        "dense": {"hidden_units": (64,)},
        "conv": {"filters": (8, 16), "dense_units": 32},
        "resnet": {"filters": (8, 16)},
    }[architecture]
    vae = keras_vae.build_vae(
        architecture, input_shape=input_shape, latent_dim=4, seed=3, **widths, **kwargs
    )
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    return vae


@pytest.mark.parametrize("architecture", ["dense", "conv", "resnet"])
def test_training_lowers_the_loss(images, architecture):
    vae = small_vae(architecture)
    history = vae.fit(images, epochs=4, batch_size=32, validation_data=(images[:64],), verbose=0)
    loss = history.history["loss"]
    assert set(history.history) == {
        "loss",
        "reconstruction",
        "kl",
        "val_loss",
        "val_reconstruction",
        "val_kl",
    }
    assert loss[-1] < 0.9 * loss[0]
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    # The reported loss is the negative ELBO: its terms add up.
    assert loss[-1] == pytest.approx(
        history.history["reconstruction"][-1] + history.history["kl"][-1], rel=1e-5
    )


def test_fit_options_work_as_for_any_keras_model(images):
    # On torch, Keras allows only steps_per_execution=1, and jit_compile is torch.compile,
    # far too slow to build for a unit test.
    on_torch = keras.backend.backend() == "torch"
    vae = small_vae()
    vae.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        jit_compile=not on_torch,
        steps_per_execution=1 if on_torch else 4,
    )
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=1e9)
    history = vae.fit(
        images, epochs=5, batch_size=32, validation_data=(images[:64],), callbacks=[stop], verbose=0
    )
    assert len(history.history["loss"]) == 2  # the callback stopped it after the patience ran out
    assert int(to_numpy(vae.optimizer.iterations)) == 2 * len(images) // 32


def next_noise(vae, batch):
    """The standard-normal noise the model's seed generator will draw next."""
    twin = keras.random.SeedGenerator(0)
    twin.state.assign(vae.seed_generator.state.value)
    return to_numpy(keras.random.normal((batch, vae.latent_dim), seed=twin))


def hand_computed_terms(vae, x, epsilon):
    """The negative ELBO's terms in NumPy from the encoder's and decoder's outputs."""
    z_mean, z_log_var = (to_numpy(t).astype("float64") for t in vae.encoder(x))
    z = z_mean + np.exp(0.5 * z_log_var) * epsilon
    logits = to_numpy(vae.decoder(z.astype("float32"))).astype("float64")
    p = special.expit(logits)
    bce = -(x * np.log(p) + (1 - x) * np.log1p(-p)).reshape(len(x), -1).sum(axis=1)
    kl = 0.5 * (np.exp(z_log_var) + z_mean**2 - 1 - z_log_var).sum(axis=1)
    return {"reconstruction": bce.mean(), "kl": kl.mean(), "loss": (bce + kl).mean()}


def test_train_step_and_test_step_match_a_hand_computation(images):
    vae = small_vae()
    x = images[:32]
    vae.fit(images, epochs=1, batch_size=32, verbose=0)  # move off the initial weights

    expected = hand_computed_terms(vae, x, next_noise(vae, len(x)))
    logs = vae.evaluate(x, batch_size=len(x), return_dict=True, verbose=0)
    for name, value in expected.items():
        assert logs[name] == pytest.approx(value, rel=1e-4)

    # train_on_batch reports the terms of the weights it started from, then updates them.
    expected = hand_computed_terms(vae, x, next_noise(vae, len(x)))
    before = [to_numpy(w) for w in vae.trainable_weights]
    logs = vae.train_on_batch(x, return_dict=True)
    for name, value in expected.items():
        assert logs[name] == pytest.approx(value, rel=1e-4)
    assert any(
        not np.array_equal(b, to_numpy(w))
        for b, w in zip(before, vae.trainable_weights, strict=True)
    )
    assert int(to_numpy(vae.optimizer.iterations)) == 1 + len(images) // 32


def test_kl_warmup_follows_the_optimizer_step_inside_compiled_training(images):
    # One step per epoch, so each epoch's logs are that step's values: the KL weight the
    # compiled step used is (objective - reconstruction) / kl, which must rise step by step (a
    # step count frozen into the compiled function would repeat the first weight).
    vae = small_vae(losses=["bernoulli", keras_vae.losses.GaussianKL(warmup_steps=4)])
    history = vae.fit(images[:32], epochs=6, batch_size=32, verbose=0).history
    weights = [
        (objective - reconstruction) / kl
        for objective, reconstruction, kl in zip(
            history["objective"], history["reconstruction"], history["kl"], strict=True
        )
    ]
    np.testing.assert_allclose(weights, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0], atol=1e-3)


def test_dynamic_binarization_trains_on_fresh_binary_draws(images):
    # The same reparameterisation noise each time, so only the binarisation can differ.
    x = keras.ops.convert_to_tensor(images[:64])
    epsilon = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")

    def reconstruction(vae, training):
        terms = vae.compute_loss_terms(x, training=training, epsilon=epsilon)
        return float(to_numpy(terms["reconstruction"]))

    grey = small_vae()
    assert reconstruction(grey, True) == reconstruction(grey, True)  # nothing else is random
    vae = small_vae(dynamic_binarization=True)
    first, second = reconstruction(vae, True), reconstruction(vae, True)
    assert first != second  # a fresh draw each time
    # No draw outside training: evaluation scores the images as given.
    assert reconstruction(vae, False) == reconstruction(vae, False)
    evaluation = vae.evaluate(images, verbose=0, return_dict=True)
    assert np.isfinite(evaluation["loss"])


@pytest.fixture
def float16_policy():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def train_briefly(images, policy):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    vae = keras_vae.build_vae("dense", latent_dim=4, hidden_units=(64,), seed=3)
    # SGD, unlike Adam, follows the gradient's scale: gradients left divided by a loss scale
    # the loss never had would barely move the weights.
    vae.compile(optimizer=keras.optimizers.SGD(1e-2))
    # 64 steps: dynamic loss scaling skips the first few while its scale falls from 2**15 to
    # where the summed-nats gradients fit in float16 (128-256 here).
    return vae, vae.fit(images, epochs=8, batch_size=32, verbose=0).history["loss"]


def test_mixed_float16_trains_like_float32(images, float16_policy):
    _, single = train_briefly(images, "float32")
    vae, half = train_briefly(images, "mixed_float16")
    assert type(vae.optimizer).__name__ == "LossScaleOptimizer"
    assert vae.encoder.layers[1].compute_dtype == "float16"
    assert single[-1] < 0.8 * single[0]
    assert half[-1] == pytest.approx(single[-1], rel=0.03)


def regularized_vae(strength):
    """A dense VAE whose first encoder layer has an L2 kernel regulariser and whose decoder has
    an L1 activity regulariser."""
    x = keras.Input((28, 28, 1))
    h = keras.layers.Flatten()(x)
    h = keras.layers.Dense(32, "relu", kernel_regularizer=keras.regularizers.L2(strength))(h)
    encoder = keras.Model(
        x, [keras.layers.Dense(2, name="z_mean")(h), keras.layers.Dense(2, name="z_log_var")(h)]
    )
    z = keras.Input((2,))
    h = keras.layers.Dense(32, "relu", activity_regularizer=keras.regularizers.L1(strength))(z)
    h = keras.layers.Dense(784)(h)
    decoder = keras.Model(z, keras.layers.Reshape((28, 28, 1))(h))
    vae = VAE(encoder, decoder, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    return vae


def test_layer_regularizers_are_minimised_and_reported(images):
    keras.utils.set_random_seed(0)
    plain = regularized_vae(0.0)
    keras.utils.set_random_seed(0)
    regularized = regularized_vae(1.0)
    history = regularized.fit(images, epochs=3, batch_size=32, verbose=0).history
    plain.fit(images, epochs=3, batch_size=32, verbose=0)
    assert {"regularization", "objective"} <= set(history)
    # The reported loss is still the negative ELBO; the objective adds the regularisers.
    np.testing.assert_allclose(
        np.array(history["objective"]) - np.array(history["loss"]),
        history["regularization"],
        rtol=1e-3,
    )

    def kernel_norm(vae):
        return float(np.linalg.norm(to_numpy(vae.encoder.layers[2].kernel)))

    assert kernel_norm(regularized) < 0.5 * kernel_norm(plain)
    # The regularisers' value is what Keras computes for the layers on the last weights.
    terms = regularized.compute_loss_terms(images[:32], training=True)
    expected = sum(float(to_numpy(loss)) for loss in regularized.losses)
    assert float(to_numpy(terms["regularization"])) == pytest.approx(expected, rel=1e-4)


def test_methods_return_shapes_and_ranges(images):
    vae = small_vae("conv", input_shape=(28, 28, 1))
    z_mean, z_log_var = vae.encode(images[:5])
    assert z_mean.shape == (5, 4) and z_log_var.shape == (5, 4)
    for out in (
        vae.decode(z_mean),
        vae.reconstruct(images[:5]),
        vae.sample(5, seed=1),
        vae.reconstruct(images[:5], sampler="sample"),
        vae(images[:5]),
    ):
        out = to_numpy(out)
        assert out.shape == (5, 28, 28, 1) and out.min() >= 0 and out.max() <= 1
    assert_all_close(vae.sample(3, seed=7), vae.sample(3, seed=7))
    assert not np.allclose(to_numpy(vae.sample(3)), to_numpy(vae.sample(3)))
    with pytest.raises(ValueError, match="sampler"):
        vae.reconstruct(images[:2], sampler="mean")


@pytest.mark.parametrize("architecture", ["dense", "conv", "resnet"])
def test_save_and_load_give_identical_outputs(tmp_path, images, architecture):
    vae = small_vae(architecture, losses=["laplace", keras_vae.losses.GaussianKL(beta=0.5)])
    vae.fit(images[:64], epochs=1, batch_size=32, verbose=0)
    vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded, VAE)
    for key in ("losses", "seed", "dynamic_binarization"):
        assert loaded.get_config()[key] == vae.get_config()[key]
    x = images[:8]
    assert_all_close(vae.reconstruct(x), loaded.reconstruct(x), rtol=0, atol=0)
    assert_all_close(vae.sample(4, seed=2), loaded.sample(4, seed=2), rtol=0, atol=0)
    epsilon = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    terms = vae.compute_loss_terms(x, epsilon=epsilon)
    loaded_terms = loaded.compute_loss_terms(x, epsilon=epsilon)
    for name in terms:
        assert_all_close(terms[name], loaded_terms[name], rtol=0, atol=0)


@pytest.mark.parametrize("saved_jit_compile", [True, False])
def test_a_loaded_model_compiles_as_this_backend_would(tmp_path, saved_jit_compile):
    # As if saved on another backend: JAX saves True, PyTorch and TensorFlow's CPU False.
    vae = small_vae()
    vae.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=saved_jit_compile)
    vae.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.jit_compile == small_vae().jit_compile
    assert float(to_numpy(loaded.optimizer.learning_rate)) == pytest.approx(3e-3)


def test_mismatched_encoder_and_decoder_are_rejected():
    encoder, _ = keras_vae.get_architecture("dense")((28, 28, 1), 4)
    _, decoder = keras_vae.get_architecture("dense")((28, 28, 1), 5)
    with pytest.raises(ValueError, match="same latent_dim"):
        VAE(encoder, decoder)
    _, decoder = keras_vae.get_architecture("dense")((32, 32, 3), 4)
    with pytest.raises(ValueError, match="one parameter per pixel"):
        VAE(encoder, decoder)


def test_losses_need_exactly_one_likelihood():
    with pytest.raises(ValueError, match="exactly one reconstruction likelihood"):
        keras_vae.build_vae(losses=["kl"])
    with pytest.raises(ValueError, match="same metric"):
        keras_vae.build_vae(losses=["bernoulli", "gaussian", "kl"])
    with pytest.raises(ValueError, match="Did you mean 'bernoulli'"):
        keras_vae.build_vae(losses=["bernouli", "kl"])


def test_an_activity_regularizer_inside_a_nested_model_is_found():
    def dense(**kwargs):
        return keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, **kwargs)])

    nested = keras.Sequential([keras.Input((2,)), dense(activity_regularizer="l1"), dense()])
    assert has_regularizers(nested) and has_regularizers(dense(kernel_regularizer="l2"))
    assert not has_regularizers(keras.Sequential([keras.Input((2,)), dense(), dense()]))
