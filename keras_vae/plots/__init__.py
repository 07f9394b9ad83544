"""Figures of a VAE and its training, as PNG files: what to draw (`figures`, computed with the
model) and how (`drawing`, matplotlib without a display)."""

from keras_vae.inference import sample_images  # where 0.1's keras_vae.visualize had it
from keras_vae.plots.drawing import (
    plot_image_grid,
    plot_interpolation,
    plot_latent_space,
    plot_manifold,
    plot_reconstructions,
    plot_roc_curves,
    plot_training_curves,
)
from keras_vae.plots.figures import (
    LatentProjection,
    interpolate,
    latent_projection,
    write_interpolation,
    write_latent_plots,
    write_prior_images,
    write_reconstructions,
    write_run_figures,
    write_samples,
)

__all__ = [
    "LatentProjection",
    "interpolate",
    "latent_projection",
    "plot_image_grid",
    "plot_interpolation",
    "plot_latent_space",
    "plot_manifold",
    "plot_reconstructions",
    "plot_roc_curves",
    "plot_training_curves",
    "write_interpolation",
    "write_latent_plots",
    "write_prior_images",
    "write_reconstructions",
    "sample_images",
    "write_run_figures",
    "write_samples",
]
