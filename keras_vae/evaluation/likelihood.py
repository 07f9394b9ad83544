"""How well a VAE models its test images: the negative ELBO, the IWAE bound on the negative
log-likelihood, active units and KL per dimension.

All likelihood figures are in nats per image; on dynamically binarised MNIST the negative ELBO
and the IWAE bound (k = 5000) are the figures published papers report.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_vae.backend import inference_mode
from keras_vae.images import check_images
from keras_vae.inference import posterior_means
from keras_vae.models.vae import VAE


def negative_elbo(
    model: VAE, x: np.ndarray, batch_size: int = 500, seed: int = 0, labels: Any = None
) -> dict[str, float]:
    """Returns the mean negative ELBO and each of its terms over `x`, in nats per image.

    One posterior sample per image and the analytic KL, as in training's validation pass.

    Args:
        seed: seed of the posterior samples, so that the figure is reproducible.
        labels: the images' labels, for a conditional model (its bound is on log p(x | y)).
    """
    check_images(x, model.image_shape, what="images to evaluate")
    labels = model.labelling.read(labels, len(x))
    totals: dict[str, float] = {}
    noise = np.random.default_rng(seed)
    with inference_mode():
        for start in range(0, len(x), batch_size):
            batch = x[start : start + batch_size]
            epsilon = noise.standard_normal((len(batch), model.noise_dim), dtype="float32")
            terms = model.compute_loss_terms(
                batch,
                training=False,
                epsilon=epsilon,
                labels=None if labels is None else labels[start : start + batch_size],
            )
            for name in ["loss"] + [term.name for term in model.loss_terms]:
                value = float(ops.convert_to_numpy(terms[name])) * len(batch)
                totals[name] = totals.get(name, 0.0) + value
    return {name: total / len(x) for name, total in totals.items()}


class _LogImportanceWeights(keras.Model):
    """Maps images (B, H, W, C) to (B, draws) log importance weights of fresh posterior draws.

    A Keras model so that `predict` compiles it on every backend (jit on JAX, tf.function on
    TensorFlow, no autograd on torch); its seed generator advances with every batch.
    """

    def __init__(self, vae: VAE, draws: int, seed: int) -> None:
        super().__init__(name="log_importance_weights")  # TF rejects a leading underscore
        self.vae = vae
        self.draws = draws
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        # A dict, because predict() would take a tuple (images, labels) for (x, y).
        x, labels = inputs["images"], inputs.get("labels")
        shape = (self.draws, ops.shape(x)[0], self.vae.noise_dim)
        epsilon = keras.random.normal(shape, seed=self.seed_generator)
        return ops.transpose(self.vae.log_importance_weights(x, epsilon, labels))


class _Scorers:
    """A VAE's `_LogImportanceWeights` models by draws per image, kept on the VAE so that each
    compiles once per batch shape instead of once per call (a plain object: Keras tracks no
    layer inside it, so the VAE's weights and saved files are unchanged)."""

    def __init__(self) -> None:
        self.by_draws: dict[int, _LogImportanceWeights] = {}


def _scorer(vae: VAE, draws: int, seed: int) -> _LogImportanceWeights:
    """Returns `vae`'s scorer of `draws` posterior draws per image, its noise restarted at
    `seed`; it reads the VAE's weights as they are at each call."""
    scorers = vae.__dict__.get("_keras_vae_scorers")
    if scorers is None:
        scorers = _Scorers()
        vae._keras_vae_scorers = scorers
    scorer = scorers.by_draws.get(draws)
    if scorer is None:
        scorer = scorers.by_draws[draws] = _LogImportanceWeights(vae, draws, seed)
    else:
        state = scorer.seed_generator.state
        state.assign(ops.convert_to_tensor([seed, 0], dtype=state.dtype))
    return scorer


# A pass decodes at most this many (image, draw) pairs, and at most VALUES_PER_PASS values
# computed from them: every output of the networks each draw runs (the decoder's, with a
# hierarchy's lower layers) and the likelihood's work on the decoder's parameters. Were they all
# held at once that would be 4 GiB of float32; the backends free most as they go. Bounding the
# decoder's outputs alone let a 64x64 colour `resnet` (2.5 million activations per draw against
# 409,600 outputs) take 2,621 pairs a pass and run out of 24 GiB.
SAMPLES_PER_PASS = 10_000
VALUES_PER_PASS = 2**30


def values_per_draw(model: VAE) -> int:
    """Returns how many values scoring one (image, draw) pair of `model` computes: the outputs
    of every layer its per-draw networks hold and the likelihood's work at each pixel, as many
    times as it decodes each draw (M2: once per class)."""
    height, width, channels = model.image_shape
    scored = height * width * model.likelihood.values_per_pixel_scored(channels)
    decoded = scored + sum(_layer_outputs(network) for network in model.per_draw_networks)
    return model.decodes_per_draw * decoded


def _layer_outputs(network: keras.Model) -> int:
    """Returns the sum of the sizes of one input's outputs of every layer in `network`, into
    nested models; 0 for a network whose layers have no symbolic outputs (a subclassed model),
    which leaves the likelihood's count of the decoder's parameters."""
    total = 0
    for layer in network.layers:
        if isinstance(layer, keras.Model):
            total += _layer_outputs(layer)
            continue
        try:
            outputs = keras.tree.flatten(layer.output)
        except (AttributeError, ValueError):  # never called symbolically
            return 0
        total += sum(math.prod(output.shape[1:]) for output in outputs)
    return total


def default_samples_per_pass(model: VAE) -> int:
    """Returns how many (image, draw) pairs a scoring pass of `model` decodes by default."""
    return max(1, min(SAMPLES_PER_PASS, VALUES_PER_PASS // values_per_draw(model)))


def log_importance_weights(
    model: VAE,
    x: np.ndarray,
    k: int,
    seed: int = 0,
    samples_per_pass: int | None = None,
    labels: Any = None,
) -> np.ndarray:
    """Returns (N, k) log [p(x | z_i) p(z_i) / q(z_i | x)] for k posterior draws per image
    (given `labels`, for a conditional model).

    Each compiled pass decodes about `samples_per_pass` (image, draw) pairs (None: as many as
    `default_samples_per_pass` allows), so memory stays bounded for any k and image size.
    """
    check_images(x, model.image_shape, what="images to evaluate")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}.")
    samples_per_pass = samples_per_pass or default_samples_per_pass(model)
    inputs = {"images": np.asarray(x, "float32")}
    labels = model.labelling.read(labels, len(x))
    if labels is not None:
        inputs["labels"] = labels.astype("int32")
    draws_per_pass = min(k, samples_per_pass)
    images_per_pass = max(1, samples_per_pass // draws_per_pass)
    chunks = []
    for first in range(0, k, draws_per_pass):
        scorer = _scorer(model, min(draws_per_pass, k - first), seed + first)
        chunks.append(scorer.predict(inputs, batch_size=images_per_pass, verbose=0))
    return np.concatenate(chunks, axis=1).astype("float64")


def iwae_nll(
    model: VAE,
    x: np.ndarray,
    k: int = 5000,
    seed: int = 0,
    samples_per_pass: int | None = None,
    labels: Any = None,
) -> float:
    """Returns the importance-weighted bound on -log p(x) (Burda et al., 2016), mean over `x`.

    -log (1/k) sum_i p(x, z_i) / q(z_i | x): an upper bound on the negative log-likelihood that
    tightens as k grows; k = 1 is a one-sample negative ELBO.

    Args:
        model: a trained VAE.
        x: (N, H, W, C) images in [0, 1].
        k: importance samples per image (5000 for reported figures).
        seed: seed of the posterior draws.
        samples_per_pass: decoder inputs per pass, which bounds memory (None: as many as
            `default_samples_per_pass` allows).
        labels: the images' labels, for a conditional model (the bound is on -log p(x | y)).
    """
    return float(np.mean(iwae_nll_per_image(model, x, k, seed, samples_per_pass, labels)))


def iwae_nll_per_image(
    model: VAE,
    x: np.ndarray,
    k: int = 5000,
    seed: int = 0,
    samples_per_pass: int | None = None,
    labels: Any = None,
) -> np.ndarray:
    """Returns (N,) the IWAE bound on -log p(x) of each image, in nats (arguments as
    `iwae_nll`'s)."""
    log_w = log_importance_weights(model, x, k, seed, samples_per_pass, labels)
    peak = log_w.max(axis=1, keepdims=True)
    return -(peak[:, 0] + np.log(np.mean(np.exp(log_w - peak), axis=1)))


def negative_elbo_per_image(
    model: VAE,
    x: np.ndarray,
    draws: int = 1,
    seed: int = 0,
    samples_per_pass: int | None = None,
    labels: Any = None,
) -> np.ndarray:
    """Returns (N,) each image's negative ELBO in nats, the Monte-Carlo mean of
    -log p(x, z) / q(z | x) over `draws` posterior draws (other arguments as `iwae_nll`'s).

    One draw already gives an unbiased estimate, where the IWAE bound needs many to be tight;
    but the ELBO is looser, below log p(x) by KL(q(z | x) || p(z | x)).
    """
    return -np.mean(log_importance_weights(model, x, draws, seed, samples_per_pass, labels), 1)


def active_units(
    model: VAE, x: np.ndarray, threshold: float = 0.01, labels: Any = None
) -> tuple[int, np.ndarray]:
    """Returns the number of active latent units and each unit's activity.

    A unit's activity is Cov_x(E_q[z_u | x]), the variance of its posterior mean over `x`; it is
    active above `threshold` (Burda et al., 2016).
    """
    z_mean, _ = posterior_means(model, x, labels=labels)
    activity = z_mean.astype("float64").var(axis=0)
    return int(np.sum(activity > threshold)), activity


def kl_per_dimension(model: VAE, x: np.ndarray, labels: Any = None) -> np.ndarray:
    """Returns (latent_dim,) the mean analytic KL(q(z_u | x) || p(z_u)) over `x`, in nats.

    Raises:
        ValueError: the model's prior is not factorised (it has no KL per dimension).
    """
    z_mean, z_log_var = posterior_means(model, x, labels=labels)
    kl = model.prior.kl_per_dimension(z_mean, z_log_var)
    return ops.convert_to_numpy(kl).astype("float64").mean(axis=0)
