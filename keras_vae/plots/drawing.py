"""Every figure keras_vae draws, as PNG files (matplotlib figures without pyplot: no display)."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure


def _save(figure: Figure, path: str | os.PathLike) -> None:
    figure.savefig(path, dpi=100, bbox_inches="tight")


def _tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Returns (N, H, W, C) images tiled into one (rows*H, columns*W, C) array, gaps white."""
    n, height, width, channels = images.shape
    rows = math.ceil(n / columns)
    canvas = np.ones(((height + 1) * rows - 1, (width + 1) * columns - 1, channels), "float32")
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[
            r * (height + 1) : r * (height + 1) + height, c * (width + 1) : c * (width + 1) + width
        ] = image
    return canvas


def _show(axes, canvas: np.ndarray) -> None:
    if canvas.shape[-1] == 1:
        axes.imshow(canvas[..., 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        axes.imshow(np.clip(canvas, 0.0, 1.0), interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])


def plot_image_grid(
    images: np.ndarray, path: str | os.PathLike, title: str, columns: int | None = None
) -> None:
    """Writes (N, H, W, C) images in [0, 1] as one titled grid.

    Args:
        images: the images.
        path: the PNG to write.
        title: the figure title.
        columns: images per row; a square-ish grid by default.
    """
    images = np.asarray(images)
    columns = columns or math.ceil(math.sqrt(len(images)))
    canvas = _tile(images, columns)
    figure = Figure(figsize=(max(3.0, canvas.shape[1] / 40), max(3.0, canvas.shape[0] / 40) + 0.4))
    axes = figure.add_subplot()
    _show(axes, canvas)
    axes.set_title(title)
    _save(figure, path)


def plot_reconstructions(
    originals: np.ndarray, reconstructions: np.ndarray, path: str | os.PathLike, title: str
) -> None:
    """Writes originals (top row) over their reconstructions (bottom row)."""
    originals, reconstructions = np.asarray(originals), np.asarray(reconstructions)
    columns = len(originals)
    figure = Figure(figsize=(max(4.0, columns * 0.6), 2.0))
    for row, (images, label) in enumerate(
        ((originals, "original"), (reconstructions, "reconstruction"))
    ):
        axes = figure.add_subplot(2, 1, row + 1)
        _show(axes, _tile(images, columns))
        axes.set_ylabel(label, rotation=0, ha="right", va="center")
    figure.suptitle(title)
    _save(figure, path)


def plot_training_curves(
    log: dict[str, Sequence[float]],
    path: str | os.PathLike,
    title: str = "Training curves (loss = negative ELBO)",
) -> None:
    """Writes one panel per metric (loss, each term), train and validation, against epoch.

    Args:
        log: {metric: per-epoch values}, as `RunDirectory.read_log` or `History.history` give.
        path: the PNG to write.
        title: the figure title.
    """
    names = [k for k in log if k != "epoch" and not k.startswith("val_")]
    names.sort(key=lambda name: name != "loss")  # the negative ELBO first, then its terms
    epochs = np.arange(1, len(log[names[0]]) + 1)
    figure = Figure(figsize=(4.0 * len(names), 3.2))
    for i, name in enumerate(names):
        axes = figure.add_subplot(1, len(names), i + 1)
        axes.plot(epochs, log[name], marker=".", label="train")
        if f"val_{name}" in log:
            axes.plot(epochs, log[f"val_{name}"], marker=".", label="validation")
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.set_ylabel("nats per image")
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle(title)
    figure.tight_layout()
    _save(figure, path)


def plot_latent_space(
    points: np.ndarray,
    labels: np.ndarray | None,
    path: str | os.PathLike,
    title: str,
    axis_labels: tuple[str, str] = ("z[0]", "z[1]"),
) -> None:
    """Writes a scatter of (N, 2) latent points, coloured by label where labels are given."""
    points = np.asarray(points)
    figure = Figure(figsize=(6.4, 5.6))
    axes = figure.add_subplot()
    if labels is None:
        axes.scatter(points[:, 0], points[:, 1], s=2, alpha=0.5)
    else:
        scatter = axes.scatter(
            points[:, 0], points[:, 1], c=labels, cmap="tab10", s=2, alpha=0.6, vmin=-0.5, vmax=9.5
        )
        colorbar = figure.colorbar(scatter, ax=axes, ticks=range(10))
        colorbar.set_label("label")
    axes.set_xlabel(axis_labels[0])
    axes.set_ylabel(axis_labels[1])
    axes.set_title(title)
    axes.grid(alpha=0.3)
    _save(figure, path)


def plot_manifold(
    images: np.ndarray,
    grid_values: tuple[np.ndarray, np.ndarray],
    path: str | os.PathLike,
    title: str,
    axis_labels: tuple[str, str] = ("z[0]", "z[1]"),
) -> None:
    """Writes images decoded on a 2-D latent grid, with the grid's coordinates on the axes.

    Args:
        images: (rows * columns, H, W, C), row-major, the first row at the top.
        grid_values: the coordinates along the horizontal axis (columns) and the vertical axis
            (rows, top to bottom).
        path: the PNG to write.
        title: the figure title.
        axis_labels: names of the horizontal and vertical directions.
    """
    columns_values, rows_values = grid_values
    canvas = _tile(np.asarray(images), len(columns_values))
    figure = Figure(figsize=(7.0, 7.4))
    axes = figure.add_subplot()
    _show(axes, canvas)
    height, width = images.shape[1] + 1, images.shape[2] + 1
    axes.set_xticks(np.arange(len(columns_values)) * width + width / 2 - 1)
    axes.set_xticklabels([f"{v:.1f}" for v in columns_values], fontsize=7)
    axes.set_yticks(np.arange(len(rows_values)) * height + height / 2 - 1)
    axes.set_yticklabels([f"{v:.1f}" for v in rows_values], fontsize=7)
    axes.set_xlabel(axis_labels[0])
    axes.set_ylabel(axis_labels[1])
    axes.set_title(title)
    _save(figure, path)


def plot_interpolation(images: np.ndarray, path: str | os.PathLike, title: str) -> None:
    """Writes one row of images: the first and last are the endpoints' reconstructions."""
    images = np.asarray(images)
    figure = Figure(figsize=(max(4.0, len(images) * 0.7), 1.6))
    axes = figure.add_subplot()
    _show(axes, _tile(images, len(images)))
    width = images.shape[2] + 1
    axes.set_xticks([width / 2 - 1, (len(images) - 0.5) * width - 1])
    axes.set_xticklabels(["from", "to"])
    axes.set_title(title)
    _save(figure, path)


def plot_roc_curves(
    curves: dict[str, tuple[np.ndarray, np.ndarray, float]],
    path: str | os.PathLike,
    title: str = "ROC",
) -> None:
    """Writes ROC curves, one per score, with chance's diagonal.

    Args:
        curves: {score name: (false positive rates, true positive rates, AUROC)}.
        path: the PNG to write.
        title: the figure title.
    """
    figure = Figure(figsize=(4.6, 4.4))
    axes = figure.add_subplot(1, 1, 1)
    for name, (fpr, tpr, area) in curves.items():
        axes.plot(fpr, tpr, label=f"{name} (AUROC {area:.3f})")
    axes.plot([0, 1], [0, 1], color="0.6", linestyle="--", label="chance")
    axes.set_xlabel("false positive rate")
    axes.set_ylabel("true positive rate")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.01)
    axes.set_aspect("equal")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    axes.set_title(title)
    _save(figure, path)
