"""Anomaly scores: how unusual a trained VAE finds each image, and how well a score tells
anomalies from normal images (the ROC curve and its area).

Every score is in nats and higher for a more unusual image:

- `nll`: the IWAE bound on -log p(x) over k posterior draws;
- `elbo`: the negative ELBO, fast with one draw and looser than the bound;
- `complexity`: the NLL less the image's length under a generic lossless compressor (PNG),
  as Serra et al. (2020, "Input complexity and out-of-distribution detection with
  likelihood-based generative models") propose. A likelihood model rates images that are
  simpler than its training data as likely whatever their source (Nalisnick et al., 2019, "Do
  deep generative models know what they don't know?"); the compressor's length measures that
  simplicity, so the difference compares the model with a generic one.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keras_vae.atomic_files import atomic_path
from keras_vae.evaluation.likelihood import iwae_nll_per_image, negative_elbo_per_image
from keras_vae.images import check_images, png_bytes
from keras_vae.models.vae import VAE

__all__ = [
    "SCORES",
    "AnomalyScores",
    "anomaly_scores",
    "auroc",
    "compressed_length",
    "roc_curve",
]

SCORES = ("nll", "elbo", "complexity")

#: Posterior draws per image when none are asked for: the ELBO is the fast score.
DEFAULT_DRAWS = {"nll": 1000, "elbo": 1, "complexity": 1000}


@dataclass(frozen=True)
class AnomalyScores:
    """Per-image scores of one kind and the figures they are made of.

    Attributes:
        name: the score, one of `SCORES`.
        columns: {column: (N,) values in nats}: the score under its own name, and for
            `complexity` its parts `nll` and `png_nats`.
        draws: posterior draws per image behind the likelihood.
    """

    name: str
    columns: Mapping[str, np.ndarray]
    draws: int

    @property
    def values(self) -> np.ndarray:
        """(N,) the score, higher for a more unusual image."""
        return self.columns[self.name]

    def to_csv(self, path: str | Path, labels: np.ndarray | None = None) -> None:
        """Writes one row per image: its index, its label where given, then every column."""
        names = list(self.columns)
        with atomic_path(path) as temporary, open(temporary, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["index", *(["label"] if labels is not None else []), *names])
            for i in range(len(self.values)):
                label = [int(labels[i])] if labels is not None else []
                writer.writerow([i, *label, *(f"{self.columns[n][i]:.4f}" for n in names)])


def anomaly_scores(
    model: VAE,
    x: np.ndarray,
    score: str = "nll",
    draws: int | None = None,
    seed: int = 0,
    labels: Any = None,
) -> AnomalyScores:
    """Scores every image of `x` for how unusual `model` finds it.

    Args:
        model: a trained VAE.
        x: (N, H, W, C) images in [0, 1], as the model saw data in training (binarised where
            it was).
        score: `nll`, `elbo` or `complexity` (see the module's docstring).
        draws: posterior draws per image [1000; `elbo`: 1].
        seed: seed of the posterior draws.
        labels: the images' labels, for a conditional model (the scores are then of x given y).
    """
    if score not in SCORES:
        raise ValueError(f"Unknown score {score!r}; choose one of {', '.join(SCORES)}.")
    check_images(x, model.image_shape, what="images to score")
    draws = DEFAULT_DRAWS[score] if draws is None else int(draws)
    if draws < 1:
        raise ValueError(f"draws must be >= 1, got {draws}.")
    if score == "elbo":
        elbo = negative_elbo_per_image(model, x, draws, seed, labels=labels)
        return AnomalyScores("elbo", {"elbo": elbo}, draws)
    nll = iwae_nll_per_image(model, x, draws, seed, labels=labels)
    if score == "nll":
        return AnomalyScores("nll", {"nll": nll}, draws)
    png = compressed_length(x)
    columns = {"complexity": nll - png, "nll": nll, "png_nats": png}
    return AnomalyScores("complexity", columns, draws)


def compressed_length(x: np.ndarray) -> np.ndarray:
    """Returns (N,) the length of each image as a PNG file (8 bits per channel, Pillow's best
    compression), in nats.

    The file's fixed overhead (signature, header, end) is included: a constant, so it leaves
    every ranking, and so the AUROC, unchanged.
    """
    x = np.asarray(x)
    if x.ndim != 4 or x.shape[-1] not in (1, 3):
        raise ValueError(
            f"Expected images (N, H, W, 1) or (N, H, W, 3) in [0, 1], got shape {x.shape}."
        )
    lengths = np.array([len(png_bytes(image, optimize=True)) for image in x], dtype="float64")
    return lengths * 8.0 * math.log(2.0)


def auroc(scores: np.ndarray, anomalous: np.ndarray) -> float:
    """Returns the area under the ROC curve of `scores` for telling the images marked in
    `anomalous` from the others: the chance that a random anomaly scores above a random normal
    image, ties counting one half (the Mann-Whitney U statistic, normalised). 0.5 is chance,
    1.0 a perfect ranking, below 0.5 a ranking the wrong way round."""
    scores, anomalous = _checked(scores, anomalous)
    _, group, counts = np.unique(scores, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    ranks = (last - (counts - 1) / 2.0)[group]  # 1-based, ties at their mean rank
    positives = int(anomalous.sum())
    negatives = len(scores) - positives
    u = ranks[anomalous].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


def roc_curve(scores: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns (false positive rates, true positive rates) of flagging every image that scores
    at least t, for each distinct score t from the highest down, starting at (0, 0)."""
    scores, anomalous = _checked(scores, anomalous)
    order = np.argsort(-scores, kind="stable")
    hits = np.cumsum(anomalous[order])
    false_alarms = np.cumsum(~anomalous[order])
    # one point per distinct threshold: the last image that scores that value
    ends = np.r_[np.nonzero(np.diff(scores[order]))[0], len(scores) - 1]
    tpr = np.r_[0.0, hits[ends] / hits[-1]]
    fpr = np.r_[0.0, false_alarms[ends] / false_alarms[-1]]
    return fpr, tpr


def _checked(scores: np.ndarray, anomalous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype="float64")
    anomalous = np.asarray(anomalous, dtype=bool)
    if scores.ndim != 1 or scores.shape != anomalous.shape:
        raise ValueError(
            f"Expected one score and one anomaly flag per image, got shapes {scores.shape} "
            f"and {anomalous.shape}."
        )
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{int(np.sum(~np.isfinite(scores)))} scores are NaN or infinite.")
    if anomalous.all() or not anomalous.any():
        raise ValueError(
            "An ROC curve needs both anomalies and normal images; the flags mark "
            f"{int(anomalous.sum())} of {len(anomalous)} images as anomalies."
        )
    return scores, anomalous
