"""`GaussianMixtureSampler`: a latent sampler fitted after training, a full-covariance Gaussian
mixture on the training set's posterior means (as pythae's GaussianMixtureSampler; Ghosh et
al., 2020). Decoding its draws instead of the prior's avoids the regions of the prior that
no training image's code occupies ("holes"), which is where poor samples come from.

For a conditional model, `ClassConditionalSampler` fits one such mixture to each class's
codes: the draws for label y come from where the codes of y's images lie, which is where the
decoder draws a y (a code from another class's region, decoded with label y, may not look
like one).

Plain NumPy (float64): fitting 60,000 codes of a few dozen dimensions takes seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.atomic_files import atomic_path

_FORMAT = 1  # of the saved file; bump on an incompatible change


@dataclass(frozen=True)
class GaussianMixtureSampler:
    """A Gaussian mixture over the latent space.

    Attributes:
        weights: (K,) mixture weights, summing to 1.
        means: (K, D) component means.
        covariances: (K, D, D) component covariances.
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def latent_dim(self) -> int:
        return int(self.means.shape[1])

    @classmethod
    def fit(
        cls,
        z: np.ndarray,
        components: int = 10,
        seed: int = 0,
        iterations: int = 200,
        tolerance: float = 1e-6,
        regularization: float = 1e-6,
    ) -> GaussianMixtureSampler:
        """Fits the mixture to codes `z` (N, D) by expectation-maximisation.

        Args:
            components: K (10, as pythae's default).
            seed: seed of the k-means++ choice of the initial means.
            iterations: at most this many EM steps.
            tolerance: stop once the mean log-likelihood improves by less than this.
            regularization: added to each covariance's diagonal, so that none is singular.
        """
        z = np.asarray(z, "float64")
        if z.ndim != 2 or len(z) < components:
            raise ValueError(
                f"A mixture of {components} components needs at least as many codes (N, D); "
                f"got an array of shape {z.shape}."
            )
        if not np.all(np.isfinite(z)):
            raise ValueError("The codes to fit contain NaN or infinite values.")
        means = _kmeans_plus_plus(z, components, np.random.default_rng(seed))
        shared = np.cov(z, rowvar=False).reshape(z.shape[1], z.shape[1])
        mixture = cls(
            np.full(components, 1.0 / components),
            means,
            np.repeat(shared[None] + regularization * np.eye(z.shape[1]), components, axis=0),
        )
        previous = -np.inf
        for _ in range(iterations):
            log_joint = mixture._log_joint(z)  # E-step: (N, K)
            log_norm = _logsumexp(log_joint, axis=1)
            responsibilities = np.exp(log_joint - log_norm[:, None])
            mixture = cls._maximise(z, responsibilities, regularization)
            current = float(log_norm.mean())
            if current - previous < tolerance:
                break
            previous = current
        return mixture

    @classmethod
    def _maximise(
        cls, z: np.ndarray, responsibilities: np.ndarray, regularization: float
    ) -> GaussianMixtureSampler:
        """The M-step: the weights, means and covariances that the responsibilities imply."""
        counts = responsibilities.sum(axis=0) + 1e-12
        means = responsibilities.T @ z / counts[:, None]
        covariances = np.empty((len(counts), z.shape[1], z.shape[1]))
        for k, mean in enumerate(means):
            centred = z - mean
            covariances[k] = (responsibilities[:, k, None] * centred).T @ centred / counts[k]
            covariances[k] += regularization * np.eye(z.shape[1])
        return cls(counts / counts.sum(), means, covariances)

    def _log_joint(self, z: np.ndarray) -> np.ndarray:
        """Returns (N, K) log w_k + log N(z; mean_k, covariance_k)."""
        dim = z.shape[1]
        log_joint = np.empty((len(z), len(self.weights)))
        for k, (mean, covariance) in enumerate(zip(self.means, self.covariances, strict=True)):
            cholesky = np.linalg.cholesky(covariance)
            solved = np.linalg.solve(cholesky, (z - mean).T)
            log_det = 2.0 * np.sum(np.log(np.diag(cholesky)))
            log_joint[:, k] = np.log(self.weights[k]) - 0.5 * (
                dim * np.log(2 * np.pi) + log_det + np.sum(solved**2, axis=0)
            )
        return log_joint

    def log_prob(self, z: np.ndarray) -> np.ndarray:
        """Returns (N,) the mixture's log density at codes `z`."""
        return _logsumexp(self._log_joint(np.asarray(z, "float64")), axis=1)

    def sample(self, n: int, seed: int = 0, temperature: float = 1.0) -> np.ndarray:
        """Returns (n, D) float32 draws; `temperature` scales each component's spread."""
        rng = np.random.default_rng(seed)
        which = rng.choice(len(self.weights), size=n, p=self.weights)
        noise = rng.standard_normal((n, self.latent_dim)) * temperature
        choleskys = np.linalg.cholesky(self.covariances)
        draws = self.means[which] + np.einsum("nij,nj->ni", choleskys[which], noise)
        return draws.astype("float32")

    def save(self, path: str | os.PathLike) -> Path:
        """Writes the parameters to the .npz file `path` (atomically); returns `path`."""
        return _save(path, self.weights, self.means, self.covariances)

    @classmethod
    def load(cls, path: str | os.PathLike) -> GaussianMixtureSampler:
        """Reads what `save` wrote.

        Raises:
            ValueError: the file is not a saved mixture (damaged, another kind of .npz, or a
                class-conditional sampler: read those with `load_latent_sampler`).
        """
        sampler = load_latent_sampler(path)
        if not isinstance(sampler, cls):
            raise ValueError(
                f"{path} holds one mixture per class; read it with load_latent_sampler."
            )
        return sampler


@dataclass(frozen=True)
class ClassConditionalSampler:
    """One `GaussianMixtureSampler` per class, for a conditional model: the codes for label y
    are drawn from the mixture fitted to the codes of y's images."""

    mixtures: tuple[GaussianMixtureSampler, ...]

    @property
    def latent_dim(self) -> int:
        return self.mixtures[0].latent_dim

    @classmethod
    def fit(
        cls,
        z: np.ndarray,
        labels: np.ndarray,
        num_classes: int,
        components: int = 10,
        seed: int = 0,
    ) -> ClassConditionalSampler:
        """Fits a mixture of `components` to the codes `z` (N, D) of each class in `labels` (N,)."""
        labels = np.asarray(labels)
        if labels.shape != (len(z),):
            raise ValueError(f"Expected one label per code, {len(z)}; got shape {labels.shape}.")
        mixtures = []
        for label in range(num_classes):
            codes = np.asarray(z)[labels == label]
            if len(codes) < components:
                raise ValueError(
                    f"Class {label} has {len(codes)} training codes, fewer than the "
                    f"{components} components of its mixture; pass fewer components."
                )
            mixtures.append(GaussianMixtureSampler.fit(codes, components, seed))
        return cls(tuple(mixtures))

    def sample(
        self, n: int, labels: np.ndarray, seed: int = 0, temperature: float = 1.0
    ) -> np.ndarray:
        """Returns (n, D) float32 draws, row i from the mixture of class `labels[i]`."""
        labels = np.asarray(labels)
        if labels.shape != (n,) or not np.isin(labels, range(len(self.mixtures))).all():
            raise ValueError(
                f"Expected {n} labels in 0..{len(self.mixtures) - 1}, one per draw; got "
                f"{labels if labels.size <= 10 else f'shape {labels.shape}'}."
            )
        draws = np.empty((n, self.latent_dim), "float32")
        for label, mixture in enumerate(self.mixtures):
            rows = np.flatnonzero(labels == label)
            if len(rows):  # each class its own stream, so a class's draws don't hang on others'
                draws[rows] = mixture.sample(len(rows), seed + label, temperature)
        return draws

    def save(self, path: str | os.PathLike) -> Path:
        """Writes the mixtures, stacked along a first class axis, to the .npz file `path`."""
        return _save(
            path,
            np.stack([m.weights for m in self.mixtures]),
            np.stack([m.means for m in self.mixtures]),
            np.stack([m.covariances for m in self.mixtures]),
        )


def _save(path, weights: np.ndarray, means: np.ndarray, covariances: np.ndarray) -> Path:
    """Writes a sampler's arrays to the .npz file `path` (atomically); returns `path`."""
    with atomic_path(path) as temporary:
        np.savez(temporary, format=_FORMAT, weights=weights, means=means, covariances=covariances)
    return Path(path)


def load_latent_sampler(
    path: str | os.PathLike,
) -> GaussianMixtureSampler | ClassConditionalSampler:
    """Reads a sampler that `GaussianMixtureSampler.save` or `ClassConditionalSampler.save`
    wrote.

    Raises:
        ValueError: the file is not a saved sampler (damaged, or another kind of .npz).
    """
    try:
        with np.load(path) as saved:
            if int(saved["format"]) != _FORMAT:
                raise ValueError(f"format {int(saved['format'])}, expected {_FORMAT}")
            weights, means, covariances = (
                saved["weights"], saved["means"], saved["covariances"]
            )  # fmt: skip
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(
            f"{path} is not a readable Gaussian-mixture sampler ({error}); delete it and it "
            "is fitted again."
        ) from None
    if weights.ndim == 1:
        return GaussianMixtureSampler(weights, means, covariances)
    return ClassConditionalSampler(tuple(map(GaussianMixtureSampler, weights, means, covariances)))


def _kmeans_plus_plus(z: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Returns k initial means chosen by k-means++ (each new one far from those chosen)."""
    chosen = [z[rng.integers(len(z))]]
    distances = np.sum((z - chosen[0]) ** 2, axis=1)
    for _ in range(1, k):
        total = distances.sum()
        index = rng.choice(len(z), p=distances / total) if total > 0 else rng.integers(len(z))
        chosen.append(z[index])
        distances = np.minimum(distances, np.sum((z - z[index]) ** 2, axis=1))
    return np.array(chosen)


def _logsumexp(values: np.ndarray, axis: int) -> np.ndarray:
    peak = np.max(values, axis=axis, keepdims=True)
    return np.squeeze(peak, axis) + np.log(np.sum(np.exp(values - peak), axis=axis))
