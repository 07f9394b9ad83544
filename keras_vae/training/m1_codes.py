"""A trained VAE's codes as a dataset, for M1+M2 (Kingma et al., 2014): M2 learns from the
latent codes of an unsupervised VAE, M1, instead of from pixels.

`--dataset m1_codes --data RUN` reads the run RUN of `keras-vae train`: its training and test
images, as that run read them (grey levels, before any binarisation), each replaced by the
posterior mean of z under the run's model in the dimensions the model uses, (N, 1, 1, D), with
the images' labels. A model of them takes a likelihood over real values (`normal`). As in Kingma
et al.'s code, each training batch draws its codes afresh from q(z | x), and the test codes are
the means. (Here, not in `keras_vae.data`, because it reads a training run.)
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.data.dataset import Dataset, Split


@dataclass(frozen=True)
class M1Codes(Dataset):
    """The codes of a trained run's images under its model, in the dimensions it uses: the
    test images' posterior means, and the training images' means or fresh draws (`sample`).

    Args:
        path: the directory of a `keras-vae train` run of an unconditional VAE.
        min_spread: the latent dimensions kept are those whose posterior means vary between
            the training images by a standard deviation above this; the rest the model does
            not use (their means sit at the prior's 0), as Kingma et al.'s code keeps those
            above 0.1.
        sample: the training codes are drawn afresh from q(z | x) each time a batch reads
            them (`SampledCodes`), as Kingma et al. drew them for each minibatch; False: the
            posterior means. The test codes are always the means, as in their code.
        seed: the training codes' noise seed.
    """

    description = "the codes of a trained VAE run (M1)"
    path: Path
    min_spread: float = 0.1
    sample: bool = True
    seed: int = 0

    def read(self) -> tuple[Split, Split]:
        """Returns `(codes_train, y_train), (codes_test, y_test)`, codes float32 (N, 1, 1, D):
        the training codes a `SampledCodes` where `sample` is set."""
        from keras_vae.inference import posterior_means
        from keras_vae.run_directory import RunDirectory
        from keras_vae.saving import load_vae
        from keras_vae.training.config import read_config

        run = RunDirectory(Path(self.path))
        if not run.config.exists():
            raise FileNotFoundError(
                f"{self.path} is not the directory of a keras-vae train run (it has no "
                f"{run.config.name}); train M1 there first, e.g. keras-vae train --out "
                f"{self.path}."
            )
        model = load_vae(run.path)
        if model.conditional or getattr(model, "hierarchical", False):
            raise ValueError(
                f"The model of {self.path} is conditional or hierarchical; M1 is a one-layer "
                "VAE trained without labels."
            )
        source = dataclasses.replace(
            read_config(run.config).data_source(), binarize=None, validation_split=None
        )
        data = source.load()
        (train, y_train), (test, y_test) = data.train, data.test
        means, log_vars = posterior_means(model, np.asarray(train, dtype="float32"))
        test_means, _ = posterior_means(model, np.asarray(test, dtype="float32"))
        kept = active_dimensions(means, self.min_spread)
        codes = means[:, None, None, kept].astype("float32")
        if self.sample:
            scales = np.exp(0.5 * log_vars[:, None, None, kept]).astype("float32")
            codes = SampledCodes(codes, scales, self.seed)
        return (codes, y_train), (test_means[:, None, None, kept].astype("float32"), y_test)


class SampledCodes:
    """Codes drawn afresh from q(z | x) each time they are read: a read-only (N, 1, 1, D)
    float32 array-like whose indexing returns `means + scales * noise` for those images.

    Like `FolderImages`: a slice with step 1 or a boolean mask selects codes, still unsampled;
    an int, a list or an int array draws them; `np.asarray` and `mean` give the means (the
    codes as a whole, e.g. for a validation split). The noise depends on `seed` and on which
    images are read together, so the batches of an epoch, which depend only on the run's
    seed and the epoch, draw the same noise in a resumed run as in an uninterrupted one.

    Args:
        means, scales: (N, 1, 1, D) posterior means and standard deviations.
        seed: the noise's seed.
    """

    def __init__(self, means: np.ndarray, scales: np.ndarray, seed: int = 0) -> None:
        self.means = np.asarray(means, "float32")
        self.scales = np.asarray(scales, "float32")
        self.seed = int(seed)
        self.shape, self.dtype, self.ndim = self.means.shape, self.means.dtype, self.means.ndim

    def __len__(self) -> int:
        return len(self.means)

    def __getitem__(self, index):
        if (isinstance(index, slice) and index.step in (None, 1)) or (
            isinstance(index, np.ndarray) and index.dtype == bool
        ):
            return SampledCodes(self.means[index], self.scales[index], self.seed)
        if isinstance(index, (int, np.integer)):
            return self[np.array([index])][0]
        if isinstance(index, slice):
            index = range(len(self))[index]
        index = np.asarray(index, dtype="int64").reshape(-1)
        rng = np.random.default_rng([self.seed, zlib.crc32(index.tobytes())])
        noise = rng.standard_normal(self.means[index].shape, dtype="float32")
        return self.means[index] + self.scales[index] * noise

    def __array__(self, dtype=None, copy=None):
        return self.means if dtype is None else self.means.astype(dtype)

    def mean(self, axis=0, dtype="float64") -> np.ndarray:
        """Returns the mean of the codes' means over `axis`."""
        return self.means.mean(axis=axis, dtype=dtype)

    def __repr__(self) -> str:
        return f"SampledCodes({len(self)} codes, shape={self.shape})"


def active_dimensions(codes: np.ndarray, min_spread: float) -> np.ndarray:
    """Returns the indices of the columns of `codes` (N, D) whose standard deviation over the
    images exceeds `min_spread`: the latent dimensions the model uses."""
    kept = np.flatnonzero(np.std(codes, axis=0) > min_spread)
    if kept.size == 0:
        raise ValueError(
            f"No latent dimension of the run varies by more than {min_spread} between images: "
            "its model has learnt nothing to build on; train it longer."
        )
    return kept
