"""What to draw of a trained VAE, as PNGs: samples, reconstructions, interpolations, the latent
space, and a finished run's figures.

Each `write_*` function computes what it shows with the model (`keras_vae.inference`) and
draws it with `keras_vae.plots.drawing`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from keras import ops

from keras_vae.gmm_sampler import ClassConditionalSampler
from keras_vae.inference import decode_images, posterior_means, reconstruct_images, sample_images
from keras_vae.models.vae import VAE
from keras_vae.plots import drawing
from keras_vae.priors.standard_normal import StandardNormal

if TYPE_CHECKING:
    from keras_vae.gmm_sampler import GaussianMixtureSampler
    from keras_vae.run_directory import RunDirectory


def write_samples(
    model: VAE,
    path: Path,
    n: int = 64,
    seed: int = 0,
    temperature: float = 1.0,
    latent_sampler: GaussianMixtureSampler | ClassConditionalSampler | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Writes a grid of `n` samples from the prior (or from `latent_sampler`, a mixture fitted
    to the training codes, or one per class); returns the images.

    Args:
        labels: for a conditional model, each sample's class; by default the classes in
            order, in equal runs (a 10x10 grid of a 10-class model has one class per row).
    """
    images = sample_images(model, n, seed, temperature, latent_sampler, labels)
    source = (
        "the prior" if latent_sampler is None
        else "each class's mixture of training codes"
        if isinstance(latent_sampler, ClassConditionalSampler)
        else "a mixture fitted to training codes"
    )  # fmt: skip
    title = f"Samples from {source}" + (
        f" (temperature {temperature:g})" if temperature != 1 else ""
    )
    if labels is not None and len(set(np.asarray(labels).tolist())) == 1:
        title += f", class {np.asarray(labels)[0]}"
    drawing.plot_image_grid(images, path, title)
    return images


def write_reconstructions(
    model: VAE, x: np.ndarray, path: Path, labels: np.ndarray | None = None
) -> None:
    """Writes the images `x` over their reconstructions from the posterior mean (given their
    `labels`, for a conditional model)."""
    reconstructions = reconstruct_images(model, x, labels)
    drawing.plot_reconstructions(x, reconstructions, path, "Test images and their reconstructions")


def interpolate(
    model: VAE,
    x_from: np.ndarray,
    x_to: np.ndarray,
    steps: int,
    labels: tuple[int, int] | None = None,
    label: int | None = None,
) -> np.ndarray:
    """Returns (steps, H, W, C) images decoded along the line between two posterior means.

    Args:
        labels: for a conditional model, the two images' labels, each encoded with its own.
        label: for a conditional model, the class every step is decoded as (default: the
            first image's), so that the path changes the style z holds, not the class.
    """
    if steps < 2:
        raise ValueError(f"steps must be >= 2 (the two endpoints), got {steps}.")
    ends = None if labels is None else np.asarray(labels)
    z_mean, _ = posterior_means(model, np.stack([x_from, x_to]), labels=ends)
    weights = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
    z = (1.0 - weights) * z_mean[0] + weights * z_mean[1]
    return decode_images(model, z, model.labelling.repeated(steps, label, default=ends))


def write_interpolation(
    model: VAE,
    x: np.ndarray,
    first: int,
    last: int,
    steps: int,
    path: Path,
    labels: np.ndarray | None = None,
    label: int | None = None,
) -> None:
    """Writes test image `first`, the decoded path to image `last`, then image `last` (for a
    conditional model, given the images' `labels`, decoded as class `label`)."""
    for index in (first, last):
        if not 0 <= index < len(x):
            raise ValueError(f"Image index {index} is out of range: the set has {len(x)} images.")
    ends = model.labelling.read(None if labels is None else np.asarray(labels)[[first, last]], 2)
    path_images = interpolate(model, x[first], x[last], steps, ends, label)
    row = np.concatenate([x[first : first + 1], path_images, x[last : last + 1]])
    drawing.plot_interpolation(
        row,
        path,
        f"Test image {first} to {last}: originals at the ends, {steps} steps between decoded"
        + model.labelling.as_class(label, default=ends),
    )


@dataclass(frozen=True)
class LatentProjection:
    """A 2-D view of the latent space: the latent itself if 2-D, else its two principal axes.

    Attributes:
        center: (latent_dim,) the mean posterior mean.
        directions: (2, latent_dim) unit vectors spanning the view.
        scales: (2,) standard deviation of the posterior means along each direction.
        labels: axis names, with the variance share of each principal direction.
    """

    center: np.ndarray
    directions: np.ndarray
    scales: np.ndarray
    labels: tuple[str, str]

    def project(self, z: np.ndarray) -> np.ndarray:
        return (z - self.center) @ self.directions.T


def latent_projection(z_mean: np.ndarray) -> LatentProjection:
    """Returns the 2-D view of (N, latent_dim) posterior means (PCA beyond 2 dimensions)."""
    z_mean = np.asarray(z_mean, "float64")
    if z_mean.shape[1] == 2:
        return LatentProjection(np.zeros(2), np.eye(2), z_mean.std(axis=0), ("z[0]", "z[1]"))
    if z_mean.shape[1] == 1:
        raise ValueError("A 1-D latent space has no 2-D view.")
    center = z_mean.mean(axis=0)
    _, singular, vt = np.linalg.svd(z_mean - center, full_matrices=False)
    share = singular**2 / np.sum(singular**2)
    scales = singular[:2] / np.sqrt(len(z_mean) - 1)
    names = (f"PC1 ({share[0]:.0%} of variance)", f"PC2 ({share[1]:.0%} of variance)")
    return LatentProjection(center, vt[:2], scales, names)


def write_latent_plots(
    model: VAE,
    x: np.ndarray,
    labels: np.ndarray | None,
    out: Path,
    grid: int = 15,
    label: int | None = None,
) -> list[Path]:
    """Writes `latent_space.png` (posterior means of `x`) and `manifold.png`; returns the paths.

    For a 2-D latent with a standard-normal prior the manifold is decoded on a grid over
    [-3, 3] x [-3, 3] prior standard deviations; otherwise along the two leading principal
    directions of the posterior means (the latent's own axes when it is 2-D), +-3 of their
    standard deviations around the mean. A conditional model encodes each image with its
    label and decodes the manifold as class `label` (default the first class, 0).
    """
    z_mean, _ = posterior_means(model, x, labels=model.labelling.read(labels, len(x)))
    view = latent_projection(z_mean)
    drawing.plot_latent_space(
        view.project(z_mean),
        labels,
        out / "latent_space.png",
        f"Posterior means of {len(x)} test images"
        + ("" if model.latent_dim == 2 else f" ({model.latent_dim}-D latent, PCA)"),
        view.labels,
    )
    steps = np.linspace(-3.0, 3.0, grid)
    if model.latent_dim == 2 and isinstance(model.prior, StandardNormal):
        view = LatentProjection(np.zeros(2), np.eye(2), np.ones(2), view.labels)
    horizontal = steps * view.scales[0]
    vertical = steps[::-1] * view.scales[1]  # top row is the largest value
    z = np.array(
        [
            view.center + a * view.directions[0] + b * view.directions[1]
            for b in vertical
            for a in horizontal
        ],
        "float32",
    )
    images = decode_images(model, z, model.labelling.repeated(len(z), label))
    drawing.plot_manifold(
        images,
        (horizontal, vertical),
        out / "manifold.png",
        "Images decoded on a latent grid" + model.labelling.as_class(label),
        view.labels,
    )
    return [out / "latent_space.png", out / "manifold.png"]


def write_prior_images(model: VAE, path: Path, n: int = 64) -> Path | None:
    """Writes the first `n` pseudo-inputs of a VampPrior as a grid; returns the path, or None
    for a prior that has no images."""
    pseudo_images = getattr(model.prior, "pseudo_images", None)
    if pseudo_images is None:
        return None
    images = ops.convert_to_numpy(pseudo_images()[:n]).astype("float32")
    drawing.plot_image_grid(
        images, path, f"The first {len(images)} of {model.prior.components} VampPrior pseudo-inputs"
    )
    return path


# An autoregressive likelihood draws each image it shows pixel by pixel, H x W passes of its
# network over every image, so a grid costs about n (H W)^2: a finished run draws as many
# images as 64 of 32 x 32 cost (a few minutes on 2 cores), 4 at 64 x 64, where 64 samples and
# 12 reconstructions kept `train` busy over 18 minutes after its last epoch (then stopped).
PIXEL_BY_PIXEL_BUDGET = 64 * (32 * 32) ** 2


def images_in_run_grid(model: VAE, wanted: int) -> int:
    """Returns how many of `wanted` images a finished run's grid draws: all of them, or for an
    autoregressive likelihood as many as `PIXEL_BY_PIXEL_BUDGET` allows (at least one)."""
    if not model.likelihood.autoregressive:
        return wanted
    height, width, _ = model.image_shape
    return max(1, min(wanted, PIXEL_BY_PIXEL_BUDGET // (height * width) ** 2))


def write_run_figures(
    model: VAE,
    x_test: np.ndarray,
    history: dict,
    run: RunDirectory,
    labels: np.ndarray | None = None,
) -> None:
    """Writes a finished run's samples, reconstructions of the first test images (given their
    `labels`, for a conditional model), and training curves to their places in the run
    directory. A model of data that are not images (M1's codes: one or more than 3 channels
    of 1 x 1 pixel) gets only its curves; one drawn pixel by pixel fewer images
    (`images_in_run_grid`): `keras-vae generate` and `reconstruct` draw more."""
    if model.image_shape[-1] in (1, 3) and model.image_shape[0] > 1:
        write_samples(
            model, run.samples, n=images_in_run_grid(model, model.labelling.samples_in_grid)
        )
        shown = images_in_run_grid(model, 12)
        write_reconstructions(
            model, x_test[:shown], run.reconstructions, None if labels is None else labels[:shown]
        )
    drawing.plot_training_curves(history, run.training_curves)
