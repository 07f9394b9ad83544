"""Evaluating a trained VAE: likelihood figures (-ELBO, the IWAE bound, active units, KL per
dimension), sample quality (classifier FID and IS, and a conditional model's per-class
accuracy) and the report that gathers them."""

from keras_vae.evaluation.classifier import MNISTClassifier
from keras_vae.evaluation.likelihood import (
    active_units,
    iwae_nll,
    kl_per_dimension,
    log_importance_weights,
    negative_elbo,
)
from keras_vae.evaluation.report import Evaluation, evaluate
from keras_vae.evaluation.sample_quality import (
    class_accuracy,
    fid,
    frechet_distance,
    inception_score,
    inception_score_from_probabilities,
)
from keras_vae.inference import posterior_means  # where 0.1's keras_vae.metrics had it

__all__ = [
    "Evaluation",
    "MNISTClassifier",
    "active_units",
    "class_accuracy",
    "evaluate",
    "fid",
    "frechet_distance",
    "inception_score",
    "inception_score_from_probabilities",
    "iwae_nll",
    "kl_per_dimension",
    "log_importance_weights",
    "negative_elbo",
    "posterior_means",
]
