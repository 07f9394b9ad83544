"""How well a semi-supervised model's classifier q(y | x) labels images: its classification
error, from its class probabilities (`keras_vae.inference.class_probabilities`, here too)."""

from __future__ import annotations

import numpy as np

from keras_vae.inference import class_probabilities

__all__ = ["class_probabilities", "classification_error"]


def classification_error(model, x: np.ndarray, labels: np.ndarray) -> float:
    """Returns the fraction of the labelled images (label >= 0) whose most probable class
    under q(y | x) is not their label."""
    labels = np.asarray(labels)
    known = labels >= 0
    if not known.any():
        raise ValueError("No image has a label (all are -1): there is no error to measure.")
    predicted = class_probabilities(model, x[known]).argmax(axis=1)
    return float(np.mean(predicted != labels[known]))
