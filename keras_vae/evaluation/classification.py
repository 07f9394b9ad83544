"""How well a semi-supervised model's classifier q(y | x) labels images: its class
probabilities, batch by batch, and its classification error."""

from __future__ import annotations

import numpy as np
from keras import ops


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


def classification_error(model, x: np.ndarray, labels: np.ndarray) -> float:
    """Returns the fraction of the labelled images (label >= 0) whose most probable class
    under q(y | x) is not their label."""
    labels = np.asarray(labels)
    known = labels >= 0
    if not known.any():
        raise ValueError("No image has a label (all are -1): there is no error to measure.")
    predicted = class_probabilities(model, x[known]).argmax(axis=1)
    return float(np.mean(predicted != labels[known]))
