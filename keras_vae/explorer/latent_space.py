"""`LatentSpace`: what the explorer page shows of a trained VAE, as JSON-ready values and PNG
bytes: the test set's codes and their 2-D projection, and images decoded from codes the page
sends. No web code here: the app only routes requests to these methods."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from keras_vae.images import png_bytes
from keras_vae.inference import decode_images, posterior_means, reconstruct_images, sample_images
from keras_vae.models.vae import VAE


@dataclass(frozen=True)
class Decoded:
    """A PNG and the milliseconds the model took to compute it (encoding excluded)."""

    png: bytes
    model_ms: float


class LatentSpace:
    """A VAE's latent space over a set of images (the test set): their codes, the plane of
    their two leading principal directions, and decoding on demand.

    Args:
        vae: the trained model.
        images: (N, H, W, C) images in [0, 1] as the model takes them (binarised if it was
            trained so); their posterior means are the scatter's points.
        labels: their labels (N,) or None; a conditional model needs them.
        display_images: the images as shown on the page (e.g. the grey-level originals of
            binarised ones); `images` by default.
    """

    def __init__(
        self,
        vae: VAE,
        images: np.ndarray,
        labels: np.ndarray | None = None,
        display_images: np.ndarray | None = None,
    ):
        self.vae = vae
        self.images = images
        self.labels = None if labels is None else np.asarray(labels).astype(int)
        self.display_images = images if display_images is None else display_images
        # One call into the model at a time: the server answers requests on several threads.
        self._lock = threading.Lock()
        self.codes = posterior_means(
            vae, images, labels=vae.labelling.read(self.labels, len(images))
        )[0]
        self.center, self.axes = principal_plane(self.codes)
        self.projection = (self.codes - self.center) @ self.axes.T

    @property
    def latent_dim(self) -> int:
        return int(self.codes.shape[1])

    def info(self) -> dict[str, Any]:
        """Returns what the page needs to lay itself out."""
        vae = self.vae
        spread = np.abs(self.codes - self.center).max(axis=0)
        extent = np.abs(self.projection).max(axis=0)
        return {
            "latent_dim": self.latent_dim,
            "image_shape": list(vae.image_shape),
            "num_classes": vae.num_classes,
            "prior": type(vae.prior).__name__,
            "likelihood": type(vae.likelihood).__name__,
            "hierarchical": bool(getattr(vae, "hierarchical", False)),
            "points": len(self.codes),
            "center": self.center.tolist(),
            "axes": self.axes.tolist(),
            # The pad spans the points; each slider the codes' range along its dimension.
            "pad_extent": np.maximum(1.1 * extent, 1.0).round(3).tolist(),
            "slider_extent": np.maximum(1.2 * (np.abs(self.center) + spread), 3.0)
            .round(3)
            .tolist(),
        }

    def scatter(self) -> dict[str, Any]:
        """Returns the points' coordinates in the principal plane and the labels they are
        coloured by: their own, or a semi-supervised model's predicted classes."""
        if self.vae.labelling.classifies:
            from keras_vae.evaluation.classification import class_probabilities

            with self._lock:
                predicted = class_probabilities(self.vae, self.images).argmax(axis=1)
            return {
                "xy": self.projection.round(4).tolist(),
                "labels": predicted.tolist(),
                "coloured_by": "predicted class",
            }
        return {
            "xy": self.projection.round(4).tolist(),
            "labels": None if self.labels is None else self.labels.tolist(),
            "coloured_by": None if self.labels is None else "label",
        }

    def image(self, index: int) -> dict[str, Any]:
        """Returns image `index`'s code and label."""
        self._check_index(index)
        label = None if self.labels is None else int(self.labels[index])
        return {
            "index": index,
            "label": label,
            "code": self.codes[index].round(5).tolist(),
            "xy": self.projection[index].round(4).tolist(),
        }

    def image_png(self, index: int) -> bytes:
        """Returns image `index` as the page shows it."""
        self._check_index(index)
        return png_bytes(self.display_images[index])

    def reconstruction_png(self, index: int, label: int | None = None) -> Decoded:
        """Returns image `index` decoded from its posterior mean (given `label`, or its own, for
        a conditional model)."""
        self._check_index(index)
        labels = self.vae.labelling.repeated(1, label, default=self._own_label(index))
        return self._timed(
            lambda: reconstruct_images(self.vae, self.images[index : index + 1], labels)[0]
        )

    def decode_png(self, z: Any, label: int | None = None) -> Decoded:
        """Returns the mean image of code `z` (latent_dim,) (given `label` for a conditional
        model)."""
        z = np.asarray(z, dtype="float32")
        if z.shape != (self.latent_dim,) or not np.all(np.isfinite(z)):
            raise ValueError(
                f"z must be {self.latent_dim} finite numbers (the latent size), got "
                f"{z.size} values" + ("" if np.all(np.isfinite(z)) else " with NaN or inf")
            )
        labels = self.vae.labelling.required(1, label)
        return self._timed(lambda: decode_images(self.vae, z[None], labels)[0])

    def interpolation_png(
        self, start: int, end: int, steps: int = 10, label: int | None = None
    ) -> Decoded:
        """Returns a strip of `steps` images decoded along the straight line between the codes
        of images `start` and `end`."""
        self._check_index(start)
        self._check_index(end)
        if not 2 <= steps <= 50:
            raise ValueError(f"steps must be 2 to 50, got {steps}.")
        weights = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
        z = (1 - weights) * self.codes[start] + weights * self.codes[end]
        labels = self.vae.labelling.repeated(steps, label, default=self._own_label(start))
        return self._timed(lambda: tile(decode_images(self.vae, z, labels), columns=steps))

    def samples_png(
        self, n: int = 36, temperature: float = 1.0, seed: int = 0, label: int | None = None
    ) -> Decoded:
        """Returns a square grid of `n` samples of the model's prior at `temperature` (all of
        class `label`, or every class in turn, for a conditional model)."""
        if not 1 <= n <= 400:
            raise ValueError(f"n must be 1 to 400, got {n}.")
        if not (np.isfinite(temperature) and 0 < temperature <= 5):
            raise ValueError(f"temperature must be in (0, 5], got {temperature}.")
        labels = self.vae.labelling.required(n, label) if label is not None else None
        columns = int(np.ceil(np.sqrt(n)))
        return self._timed(
            lambda: tile(sample_images(self.vae, n, seed, temperature, labels=labels), columns)
        )

    def warm_up(self) -> None:
        """Decodes once at every batch size the page asks for, so that backends that compile
        per shape (JAX) do it now rather than at the first move of the pointer."""
        label = self.vae.labelling.example_class
        self.decode_png(self.center, label)
        self.reconstruction_png(0)
        self.interpolation_png(0, 0, 10, label)
        self.samples_png(36, 1.0, 0, label)

    def _timed(self, compute) -> Decoded:
        with self._lock:
            start = time.perf_counter()
            image = compute()
            elapsed = 1000 * (time.perf_counter() - start)
        return Decoded(png_bytes(image), elapsed)

    def _own_label(self, index: int) -> int | None:
        return None if self.labels is None else int(self.labels[index])

    def _check_index(self, index: int) -> None:
        if not 0 <= index < len(self.codes):
            raise IndexError(f"No image {index}: the page shows images 0..{len(self.codes) - 1}.")


def principal_plane(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns the codes' mean (D,) and their two leading principal directions (2, D); the
    latent axes themselves for a latent of two dimensions (one: the axis and 0)."""
    codes = np.asarray(codes, "float64")
    dim = codes.shape[1]
    if dim <= 2:
        axes = np.zeros((2, dim))
        axes[0, 0] = 1.0
        if dim == 2:
            axes[1, 1] = 1.0
        return np.zeros(dim), axes
    center = codes.mean(axis=0)
    _, _, directions = np.linalg.svd(codes - center, full_matrices=False)
    return center, directions[:2]


def tile(images: np.ndarray, columns: int) -> np.ndarray:
    """Returns images (N, H, W, C) as one image of `columns` per row, a 1-pixel gap between."""
    n, height, width, channels = images.shape
    rows = int(np.ceil(n / columns))
    grid = np.ones((rows * (height + 1) - 1, columns * (width + 1) - 1, channels), "float32")
    for i, image in enumerate(images):
        top, left = (i // columns) * (height + 1), (i % columns) * (width + 1)
        grid[top : top + height, left : left + width] = image
    return grid
