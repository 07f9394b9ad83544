"""Sample quality of a VAE trained on MNIST: classifier FID and Inception Score, on the
features and predictions of the shipped MNIST classifier (`keras_vae.evaluation.classifier`)."""

from __future__ import annotations

import math

import numpy as np

from keras_vae.evaluation.classifier import MNISTClassifier


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Returns the Fréchet distance between Gaussians fitted to two (N, d) feature sets.

    ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)), with the trace of the matrix square
    root taken from the eigenvalues of S_a^(1/2) S_b S_a^(1/2), which is symmetric, so no
    complex round-off arises as with scipy.linalg.sqrtm.
    """
    features_a, features_b = np.asarray(features_a, "float64"), np.asarray(features_b, "float64")
    if len(features_a) < 2 or len(features_b) < 2:
        raise ValueError("The Fréchet distance needs at least two feature vectors on each side.")
    mean_a, mean_b = features_a.mean(axis=0), features_b.mean(axis=0)
    cov_a = np.cov(features_a, rowvar=False)
    cov_b = np.cov(features_b, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(cov_a)
    sqrt_a = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    middle = sqrt_a @ cov_b @ sqrt_a
    trace_sqrt = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)))
    return float(
        np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2.0 * trace_sqrt
    )


def fid(
    images_a: np.ndarray, images_b: np.ndarray, classifier: MNISTClassifier | None = None
) -> float:
    """Returns the classifier FID between two sets of 28x28x1 images in [0, 1].

    Features are the shipped MNIST classifier's 128-d penultimate layer (not Inception's), so the
    value compares keras_vae models with each other, not with Inception FIDs in papers.
    """
    classifier = classifier or MNISTClassifier()
    features_a, _ = classifier.features_and_probabilities(images_a)
    features_b, _ = classifier.features_and_probabilities(images_b)
    return frechet_distance(features_a, features_b)


def inception_score(
    images: np.ndarray,
    classifier: MNISTClassifier | None = None,
    splits: int = 10,
    shuffle_seed: int | None = None,
) -> tuple[float, float]:
    """Returns the classifier Inception Score of 28x28x1 images: mean and std over `splits`.

    exp E_x KL(p(y | x) || p(y)) with the shipped MNIST classifier's softmax; at most 10 (the
    number of classes), reached by confident predictions spread evenly over the digits.

    Args:
        shuffle_seed: put the images in a random order (with this seed) before splitting them.
            Images that come grouped by class, as a conditional model's samples do, would
            otherwise make each split's marginal one class and the score about 1.
    """
    classifier = classifier or MNISTClassifier()
    _, probabilities = classifier.features_and_probabilities(images)
    if shuffle_seed is not None:
        probabilities = probabilities[np.random.default_rng(shuffle_seed).permutation(len(images))]
    return inception_score_from_probabilities(probabilities, splits)


def inception_score_from_probabilities(
    probabilities: np.ndarray, splits: int = 10
) -> tuple[float, float]:
    """Returns exp E_x KL(p(y | x) || p(y)) of (N, classes) predictions: mean, std over splits."""
    probabilities = np.asarray(probabilities, "float64")
    if len(probabilities) < splits:
        raise ValueError(f"Need at least {splits} images for {splits} splits.")
    scores = []
    for part in np.array_split(probabilities, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + 1e-12) - np.log(marginal + 1e-12)), axis=1)
        scores.append(math.exp(kl.mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_accuracy(
    images: np.ndarray, labels: np.ndarray, classifier: MNISTClassifier | None = None
) -> np.ndarray:
    """Returns (10,) for each digit the fraction of the `images` drawn as that digit (`labels`)
    that the shipped MNIST classifier labels as it (NaN for a digit with no images): how well
    a conditional model draws the class it is asked for."""
    classifier = classifier or MNISTClassifier()
    _, probabilities = classifier.features_and_probabilities(images)
    labels = np.asarray(labels)
    right = probabilities.argmax(axis=1) == labels
    return np.array(
        [
            right[labels == digit].mean() if np.any(labels == digit) else np.nan
            for digit in range(10)
        ]
    )
