"""Evaluating a trained VAE: likelihood figures (-ELBO, the IWAE bound, active units, KL per
dimension, bits per dimension), reconstruction PSNR, sample quality (classifier FID and IS, and
a conditional model's per-class accuracy), the report that gathers them, and per-image anomaly
scores with their ROC."""

from keras_vae.evaluation.anomaly import (
    AnomalyScores,
    anomaly_scores,
    auroc,
    compressed_length,
    roc_curve,
)
from keras_vae.evaluation.bits_per_dim import bits_per_dim, png_bits_per_dim
from keras_vae.evaluation.classifier import MNISTClassifier
from keras_vae.evaluation.likelihood import (
    active_units,
    iwae_nll,
    iwae_nll_per_image,
    kl_per_dimension,
    log_importance_weights,
    negative_elbo,
    negative_elbo_per_image,
)
from keras_vae.evaluation.reconstruction import psnr, psnr_per_image
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
    "AnomalyScores",
    "Evaluation",
    "MNISTClassifier",
    "active_units",
    "anomaly_scores",
    "auroc",
    "bits_per_dim",
    "class_accuracy",
    "compressed_length",
    "evaluate",
    "fid",
    "frechet_distance",
    "inception_score",
    "inception_score_from_probabilities",
    "iwae_nll",
    "iwae_nll_per_image",
    "kl_per_dimension",
    "log_importance_weights",
    "negative_elbo",
    "negative_elbo_per_image",
    "png_bits_per_dim",
    "posterior_means",
    "psnr",
    "psnr_per_image",
    "roc_curve",
]
