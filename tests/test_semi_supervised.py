"""M2, the semi-supervised VAE: its loss against the conditional VAE's own ELBO for every class,
its IWAE bound with y summed out, labels with -1 for unknown, and learning classes from few
labels."""

import dataclasses

import keras
import numpy as np
import pytest
from scipy.special import logsumexp

from keras_vae import VAE
from keras_vae.data import ImageBatches
from keras_vae.inference import fit_latent_sampler, posterior_means
from keras_vae.models.build import build_vae
from keras_vae.models.labels import PartialLabels
from keras_vae.models.semi_supervised import CLASS_NOISE, SemiSupervisedVAE
from keras_vae.training.config import TrainingConfig, option_of
from tests.helpers import labelled_bars, to_numpy

CLASSES = 3


@pytest.fixture
def m2():
    return build_vae("dense", input_shape=(7, 6, 1), latent_dim=3, hidden_units=(8,),
                     num_classes=CLASSES, semi_supervised=True, seed=1)  # fmt: skip


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(6, 7, 6, 1)) < 0.3).astype("float32")
    labels = np.array([0, -1, 2, -1, 1, -1])
    epsilon = rng.normal(size=(6, 3)).astype("float32")
    return x, labels, epsilon


def conditional_twin(m2):
    """The conditional VAE with M2's encoder and decoder: its ELBO given y is M2's."""
    return VAE(m2.encoder, m2.decoder, losses=m2.loss_terms, num_classes=CLASSES,
               label_scale=m2.label_scale)  # fmt: skip


def negative_elbo_per_class(m2, x, epsilon):
    """(images, classes) the conditional twin's -ELBO of each image as each class, image by
    image (its batch means of one image)."""
    twin = conditional_twin(m2)
    return np.array([
        [float(twin.compute_loss_terms(x[i : i + 1], epsilon=epsilon[i : i + 1],
                                       labels=np.array([k]))["loss"]) for k in range(CLASSES)]
        for i in range(len(x))
    ])  # fmt: skip


def test_the_loss_is_the_elbo_given_y_or_summed_over_q_y_given_x(m2, batch):
    x, labels, epsilon = batch
    terms = m2.compute_loss_terms(x, epsilon=epsilon, labels=labels)
    nelbo = negative_elbo_per_class(m2, x, epsilon)
    q = to_numpy(m2.classify(x))
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-5)
    known = labels >= 0
    log_k = np.log(CLASSES)
    per_image = np.where(
        known,
        nelbo[np.arange(6), np.maximum(labels, 0)] + log_k,
        (q * nelbo).sum(axis=1) + (q * np.log(q)).sum(axis=1) + log_k,
    )
    assert float(terms["loss"]) == pytest.approx(per_image.mean(), rel=1e-5)
    cross_entropy = -np.log(q[known, labels[known]]).mean()
    assert float(terms["classification"]) == pytest.approx(cross_entropy, rel=1e-5)
    errors = (q[known].argmax(axis=1) != labels[known]).mean()
    assert float(terms["error"]) == pytest.approx(errors)
    objective = per_image.mean() + 0.1 * cross_entropy
    assert float(terms["objective"]) == pytest.approx(objective, rel=1e-5)
    parts = sum(float(terms[n]) for n in ("reconstruction", "kl", "label"))
    assert parts == pytest.approx(float(terms["loss"]), rel=1e-5)


def test_per_class_noise_gives_each_class_its_own_draw(batch, tmp_path):
    x, labels, _ = batch
    m2 = build_vae("dense", input_shape=(7, 6, 1), latent_dim=3, hidden_units=(8,),
                   num_classes=CLASSES, semi_supervised=True, seed=1,
                   class_noise="per_class")  # fmt: skip
    epsilon = np.random.default_rng(2).normal(size=(CLASSES, 6, 3)).astype("float32")
    terms = m2.compute_loss_terms(x, epsilon=epsilon, labels=labels)
    # Class k of every image is the conditional twin's ELBO under that class's own draw.
    nelbo = np.stack([negative_elbo_per_class(m2, x, epsilon[k])[:, k] for k in range(CLASSES)],
                     axis=1)  # fmt: skip
    q = to_numpy(m2.classify(x))
    known = labels >= 0
    per_image = np.where(
        known,
        nelbo[np.arange(6), np.maximum(labels, 0)],
        (q * nelbo).sum(axis=1) + (q * np.log(q)).sum(axis=1),
    ) + np.log(CLASSES)
    assert float(terms["loss"]) == pytest.approx(per_image.mean(), rel=1e-5)
    m2.save(tmp_path / "m2.keras")
    loaded = keras.models.load_model(tmp_path / "m2.keras")
    assert loaded.class_noise == "per_class"
    got = loaded.compute_loss_terms(x, epsilon=epsilon, labels=labels)["loss"]
    assert float(got) == pytest.approx(float(terms["loss"]), rel=1e-6)
    # One draw given for each image (as `evaluate` gives it) is every class's.
    shared = m2.compute_loss_terms(x, epsilon=epsilon[0], labels=labels)["loss"]
    same = np.broadcast_to(epsilon[0], epsilon.shape)
    assert float(shared) == pytest.approx(
        float(m2.compute_loss_terms(x, epsilon=same, labels=labels)["loss"]), rel=1e-6
    )


def label_blind(m2):
    """Zeroes the weights through which M2's encoder and decoder read the class, so that only
    the noise can make an image's classes differ."""
    image_channels, latent_dim = m2.image_shape[-1], m2.latent_dim
    encoder_in = next(layer for layer in m2.encoder.layers if layer.weights)
    kernel = keras.ops.convert_to_numpy(encoder_in.kernel).copy()
    channels = image_channels + CLASSES  # the label planes follow the image's channels
    kernel[np.arange(len(kernel)) % channels >= image_channels] = 0.0
    encoder_in.kernel.assign(kernel)
    decoder_in = next(layer for layer in m2.decoder.layers if layer.weights)
    kernel = keras.ops.convert_to_numpy(decoder_in.kernel).copy()
    kernel[latent_dim:] = 0.0  # the one-hot label follows z
    decoder_in.kernel.assign(kernel)


@pytest.mark.parametrize("class_noise", ["shared", "per_class"])
def test_drawn_noise_is_shared_by_an_image_s_classes_unless_asked_per_class(batch, class_noise):
    x, _, _ = batch
    m2 = build_vae("dense", input_shape=(7, 6, 1), latent_dim=3, hidden_units=(8,),
                   num_classes=CLASSES, semi_supervised=True, seed=1,
                   class_noise=class_noise)  # fmt: skip
    label_blind(m2)
    state = keras.ops.convert_to_numpy(m2.seed_generator.state)
    before = float(m2.compute_loss_terms(x)["reconstruction"])
    # The same draws again, with q(y | x) moved: the sum over classes weighs them otherwise.
    m2.seed_generator.state.assign(state)
    bias = m2.classifier.layers[-1].bias
    bias.assign(keras.ops.convert_to_numpy(bias) + np.array([9.0, 0.0, 0.0]))
    after = float(m2.compute_loss_terms(x)["reconstruction"])
    if class_noise == "shared":  # one draw: every class of an image reconstructs alike
        assert after == pytest.approx(before, rel=1e-6)
    else:
        assert abs(after - before) > 1e-3 * abs(before)


def test_class_noise_must_be_known():
    with pytest.raises(ValueError, match="class_noise must be one of"):
        build_vae("dense", input_shape=(4, 4, 1), num_classes=2, semi_supervised=True,
                  class_noise="per_image")  # fmt: skip
    # config.py spells the choices out so that `keras-vae train --help` loads no backend.
    fields = {f.name: option_of(f) for f in dataclasses.fields(TrainingConfig)}
    assert fields["class_noise"].choices == CLASS_NOISE


def test_no_labels_is_every_label_unknown(m2, batch):
    x, _, epsilon = batch
    unknown = m2.compute_loss_terms(x, epsilon=epsilon, labels=np.full(6, -1))
    none = m2.compute_loss_terms(x, epsilon=epsilon, labels=None)
    assert float(none["loss"]) == pytest.approx(float(unknown["loss"]), rel=1e-6)
    assert float(none["classification"]) == 0.0


def test_the_iwae_bound_sums_y_out(m2, batch):
    x, _, _ = batch
    epsilon = np.random.default_rng(1).normal(size=(4, 6, 3)).astype("float32")
    log_weights = to_numpy(m2.log_importance_weights(x, epsilon))
    assert log_weights.shape == (4 * CLASSES, 6)
    twin = conditional_twin(m2)
    per_class = np.stack([
        to_numpy(twin.log_importance_weights(x, epsilon, labels=np.full(6, k)))
        for k in range(CLASSES)
    ])  # fmt: skip  # (classes, draws, images)
    # log p(x) >= log (1/K) sum_y (1/k) sum_i w_yi
    expected = logsumexp(per_class, axis=(0, 1)) - np.log(CLASSES * 4)
    bound = logsumexp(log_weights, axis=0) - np.log(CLASSES * 4)
    np.testing.assert_allclose(bound, expected, rtol=1e-5)


def test_a_scoring_pass_counts_every_class_each_draw_is_decoded_as(m2):
    from keras_vae.evaluation.likelihood import values_per_draw

    # Summing y out decodes each draw once per class: a pass of M2 holds a third of the
    # conditional twin's draws, or a 64x64 colour M2 would run ten times over the budget.
    assert values_per_draw(m2) == CLASSES * values_per_draw(conditional_twin(m2))


def test_labels_may_be_unknown_but_not_out_of_range():
    labelling = PartialLabels(3)
    assert labelling.read(None, 2).tolist() == [-1, -1]
    assert labelling.read([2, -1, 0], 3).tolist() == [2, -1, 0]
    with pytest.raises(ValueError, match="0 .. 2"):
        labelling.read([3, -1], 2)
    with pytest.raises(ValueError, match="Expected 3 labels"):
        labelling.read([1, -1], 3)
    np.testing.assert_array_equal(
        to_numpy(labelling.one_hot(np.array([1, -1]))), [[0, 1, 0], [0, 0, 0]]
    )


def test_what_m2_cannot_weight_by_class_is_refused():
    with pytest.raises(ValueError, match="trains on the ELBO"):
        build_vae("dense", input_shape=(4, 4, 1), num_classes=2, semi_supervised=True,
                  objective="iwae")  # fmt: skip
    with pytest.raises(ValueError, match="warm-up"):
        build_vae("dense", input_shape=(4, 4, 1), num_classes=2, semi_supervised=True,
                  losses=["bernoulli", keras_vae_kl(warmup_steps=10)])  # fmt: skip
    with pytest.raises(ValueError, match="needs num_classes"):
        build_vae("dense", input_shape=(4, 4, 1), semi_supervised=True)


def keras_vae_kl(**options):
    from keras_vae.losses import GaussianKL

    return GaussianKL(**options)


def test_m2_saves_and_reloads(m2, batch, tmp_path):
    x, labels, epsilon = batch
    m2.save(tmp_path / "m2.keras")
    loaded = keras.models.load_model(tmp_path / "m2.keras")
    assert isinstance(loaded, SemiSupervisedVAE) and loaded.classification_weight == 0.1
    assert loaded.class_noise == "shared"
    for name, value in m2.compute_loss_terms(x, epsilon=epsilon, labels=labels).items():
        got = loaded.compute_loss_terms(x, epsilon=epsilon, labels=labels)[name]
        assert float(got) == pytest.approx(float(value), rel=1e-6), name
    np.testing.assert_allclose(to_numpy(loaded.classify(x)), to_numpy(m2.classify(x)), rtol=1e-6)


def test_unknown_labels_are_decoded_as_the_classifier_s_class(m2, batch):
    x, _, _ = batch
    predicted = to_numpy(m2.classify(x)).argmax(axis=1)
    np.testing.assert_allclose(
        to_numpy(m2.reconstruct(x)), to_numpy(m2.reconstruct(x, labels=predicted)), rtol=1e-6
    )
    np.testing.assert_allclose(
        to_numpy(m2.predict(x, verbose=0)), to_numpy(m2.reconstruct(x)), rtol=1e-5, atol=1e-6
    )


def test_m2_learns_the_classes_from_five_labels_each():
    keras.utils.set_random_seed(0)
    x, y = labelled_bars(600, classes=4, seed=3)
    x_test, y_test = labelled_bars(200, classes=4, seed=4)
    labels = np.full(len(y), -1)
    for k in range(4):  # five labelled images of each class, 20 of the 600
        labels[np.flatnonzero(y == k)[:5]] = k
    # alpha 10, not the paper's 0.1, whose runs are thousands of epochs: here 12.
    m2 = build_vae("dense", input_shape=(28, 28, 1), latent_dim=4, hidden_units=(64,),
                   num_classes=4, semi_supervised=True, classification_weight=10.0,
                   seed=0)  # fmt: skip
    m2.compile(optimizer=keras.optimizers.Adam(3e-3))
    batches = ImageBatches(x, 50, seed=0, labels=labels, labelled=np.flatnonzero(labels >= 0),
                           labelled_per_batch=4)  # fmt: skip
    history = m2.fit(batches, epochs=12, verbose=0, validation_data=(x_test, y_test),
                     callbacks=[batches.epoch_callback()])  # fmt: skip
    error = (to_numpy(m2.classify(x_test)).argmax(axis=1) != y_test).mean()
    assert error == pytest.approx(history.history["val_error"][-1], abs=1e-6)
    assert error < 0.2, history.history["val_error"]  # chance: 0.75


def test_the_latent_sampler_takes_the_classifier_s_class_where_no_label_is_known():
    m2 = build_vae("dense", latent_dim=3, hidden_units=(8,), num_classes=CLASSES,
                   semi_supervised=True, seed=1)  # fmt: skip
    x, _ = labelled_bars(60, classes=CLASSES)
    labels = np.full(60, -1)
    # M2 knows 15 labels, 5 of each class (so that each class's mixture has codes to fit
    # whatever the untrained classifier says); the classifier gives the others.
    labels[:15] = np.tile(np.arange(CLASSES), 5)
    sampler = fit_latent_sampler(m2, x, components=1, labels=labels)
    believed = np.concatenate([labels[:15], to_numpy(m2.classify(x[15:])).argmax(axis=1)])
    assert (believed[15:] >= 0).all()
    codes, _ = posterior_means(m2, x, labels=believed)
    for label, mixture in enumerate(sampler.mixtures):
        np.testing.assert_allclose(mixture.means[0], codes[believed == label].mean(axis=0),
                                   rtol=1e-4, atol=1e-5)  # fmt: skip
