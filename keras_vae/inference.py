"""A trained VAE's outputs as NumPy arrays, computed batch by batch without gradients: what
the evaluation and the figures both read."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from keras_vae.backend import inference_mode
from keras_vae.data.labelled_subset import UNLABELLED
from keras_vae.gmm_sampler import ClassConditionalSampler, GaussianMixtureSampler
from keras_vae.images import check_images
from keras_vae.models.vae import VAE


def _numpy(x) -> np.ndarray:
    return ops.convert_to_numpy(x).astype("float32")


def posterior_means(
    model: VAE, x: np.ndarray, batch_size: int = 1000, labels: Any = None
) -> tuple[np.ndarray, ...]:
    """Returns (N, latent_dim) z_mean and z_log_var of q(z | x) for every image (of
    q(z | x, y) for a conditional model, given `labels`)."""
    check_images(x, model.image_shape, what="images to encode")
    means, log_vars = [], []
    with inference_mode():
        for start in range(0, len(x), batch_size):
            batch_labels = None if labels is None else labels[start : start + batch_size]
            z_mean, z_log_var = model.encode(x[start : start + batch_size], batch_labels)
            means.append(ops.convert_to_numpy(z_mean))
            log_vars.append(ops.convert_to_numpy(z_log_var))
    return np.concatenate(means), np.concatenate(log_vars)


def sample_images(
    model: VAE,
    n: int,
    seed: int = 0,
    temperature: float = 1.0,
    latent_sampler: GaussianMixtureSampler | ClassConditionalSampler | None = None,
    labels: Any = None,
) -> np.ndarray:
    """Returns (n, H, W, C) mean images decoded from draws of the model's prior, or of
    `latent_sampler` (a mixture fitted to training codes, or one per class) where given.

    Args:
        labels: for a conditional model, each sample's class (the classes in turn if None).
    """
    labels = model.sample_labels(n, labels)
    if latent_sampler is not None:
        if isinstance(latent_sampler, ClassConditionalSampler):  # draw from each label's
            z = latent_sampler.sample(n, labels, seed, temperature)
        else:
            z = latent_sampler.sample(n, seed, temperature)
        return decode_images(model, z, labels)
    with inference_mode():
        return _numpy(model.sample(n, seed=seed, temperature=temperature, labels=labels))


def decode_images(model: VAE, z: np.ndarray, labels: Any = None) -> np.ndarray:
    """Returns the mean images (N, H, W, C) of p(x | z) for (N, latent_dim) codes `z` (and
    their `labels`, for a conditional model)."""
    with inference_mode():
        return _numpy(model.decode(z, labels))


def reconstruct_images(model: VAE, x: np.ndarray, labels: Any = None) -> np.ndarray:
    """Returns the mean images decoded from the posterior means of `x` (given `labels`, for a
    conditional model)."""
    with inference_mode():
        return _numpy(model.reconstruct(x, labels=labels))


def fit_latent_sampler(
    model: VAE, x_train: np.ndarray, components: int = 10, seed: int = 0, labels: Any = None
) -> GaussianMixtureSampler | ClassConditionalSampler:
    """Returns a Gaussian mixture fitted to the posterior means of `model` on the images
    `x_train`; for a conditional model, given their `labels`, one mixture per class. A
    semi-supervised model's images without a label (-1) take its classifier's class, as it
    knows no other."""
    labels = model.labelling.read(labels, len(x_train))
    if model.labelling.classifies:
        unknown = labels == UNLABELLED
        if unknown.any():
            labels = labels.copy()
            labels[unknown] = class_probabilities(model, x_train[unknown]).argmax(axis=1)
    z_mean, _ = posterior_means(model, x_train, labels=labels)
    return model.labelling.fit_sampler(z_mean, labels, components, seed)


def class_probabilities(model, x: np.ndarray, batch_size: int = 500) -> np.ndarray:
    """Returns q(y | x) (N, num_classes) of a model with a classifier (`SemiSupervisedVAE`)."""
    if not model.labelling.classifies:
        raise ValueError(
            "This model has no classifier q(y | x): class probabilities come from a "
            "semi-supervised model (keras-vae train --labelled N)."
        )
    return np.concatenate([
        ops.convert_to_numpy(model.classify(x[start : start + batch_size]))
        for start in range(0, len(x), batch_size)
    ])  # fmt: skip
