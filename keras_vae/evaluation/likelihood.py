"""How well a VAE models its test images: the negative ELBO, the IWAE bound on the negative
log-likelihood, active units and KL per dimension.

All likelihood figures are in nats per image; on dynamically binarised MNIST the negative ELBO
and the IWAE bound (k = 5000) are the figures published papers report.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from keras_vae.backend import inference_mode
from keras_vae.images import check_images
from keras_vae.inference import in_batches, posterior_means
from keras_vae.model import VAE


def negative_elbo(
    model: VAE, x: np.ndarray, batch_size: int = 500, seed: int = 0
) -> dict[str, float]:
    """Returns the mean negative ELBO and each of its terms over `x`, in nats per image.

    One posterior sample per image and the analytic KL, as in training's validation pass.

    Args:
        seed: seed of the posterior samples, so that the figure is reproducible.
    """
    check_images(x, model.image_shape, what="images to evaluate")
    totals: dict[str, float] = {}
    noise = np.random.default_rng(seed)
    with inference_mode():
        for batch in in_batches(x, batch_size):
            epsilon = noise.standard_normal((len(batch), model.noise_dim), dtype="float32")
            terms = model.compute_loss_terms(batch, training=False, epsilon=epsilon)
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

    def call(self, x):
        shape = (self.draws, ops.shape(x)[0], self.vae.noise_dim)
        epsilon = keras.random.normal(shape, seed=self.seed_generator)
        return ops.transpose(self.vae.log_importance_weights(x, epsilon))


def log_importance_weights(
    model: VAE, x: np.ndarray, k: int, seed: int = 0, samples_per_pass: int = 10_000
) -> np.ndarray:
    """Returns (N, k) log [p(x | z_i) p(z_i) / q(z_i | x)] for k posterior draws per image.

    Each compiled pass decodes about `samples_per_pass` (image, draw) pairs, so memory stays
    bounded for any k.
    """
    check_images(x, model.image_shape, what="images to evaluate")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}.")
    draws_per_pass = min(k, samples_per_pass)
    images_per_pass = max(1, samples_per_pass // draws_per_pass)
    x = np.asarray(x, "float32")
    chunks = []
    for first in range(0, k, draws_per_pass):
        scorer = _LogImportanceWeights(model, min(draws_per_pass, k - first), seed + first)
        chunks.append(scorer.predict(x, batch_size=images_per_pass, verbose=0))
    return np.concatenate(chunks, axis=1).astype("float64")


def iwae_nll(
    model: VAE, x: np.ndarray, k: int = 5000, seed: int = 0, samples_per_pass: int = 10_000
) -> float:
    """Returns the importance-weighted bound on -log p(x) (Burda et al., 2016), mean over `x`.

    -log (1/k) sum_i p(x, z_i) / q(z_i | x): an upper bound on the negative log-likelihood that
    tightens as k grows; k = 1 is a one-sample negative ELBO.

    Args:
        model: a trained VAE.
        x: (N, H, W, C) images in [0, 1].
        k: importance samples per image (5000 for reported figures).
        seed: seed of the posterior draws.
        samples_per_pass: decoder inputs per pass, which bounds memory.
    """
    log_w = log_importance_weights(model, x, k, seed, samples_per_pass)
    peak = log_w.max(axis=1, keepdims=True)
    log_mean_w = peak[:, 0] + np.log(np.mean(np.exp(log_w - peak), axis=1))
    return float(-np.mean(log_mean_w))


def active_units(model: VAE, x: np.ndarray, threshold: float = 0.01) -> tuple[int, np.ndarray]:
    """Returns the number of active latent units and each unit's activity.

    A unit's activity is Cov_x(E_q[z_u | x]), the variance of its posterior mean over `x`; it is
    active above `threshold` (Burda et al., 2016).
    """
    z_mean, _ = posterior_means(model, x)
    activity = z_mean.astype("float64").var(axis=0)
    return int(np.sum(activity > threshold)), activity


def kl_per_dimension(model: VAE, x: np.ndarray) -> np.ndarray:
    """Returns (latent_dim,) the mean analytic KL(q(z_u | x) || p(z_u)) over `x`, in nats.

    Raises:
        ValueError: the model's prior is not factorised (it has no KL per dimension).
    """
    z_mean, z_log_var = posterior_means(model, x)
    kl = model.prior.kl_per_dimension(z_mean, z_log_var)
    return ops.convert_to_numpy(kl).astype("float64").mean(axis=0)
