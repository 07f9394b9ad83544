"""A trained VAE's codes as a dataset, for M1+M2 (Kingma et al., 2014): M2 learns from the
latent codes of an unsupervised VAE, M1, instead of from pixels.

`--dataset m1_codes --data RUN` reads the run RUN of `keras-vae train`: its training and test
images, as that run read them (grey levels, before any binarisation), each replaced by the
posterior mean of z under the run's model in the dimensions the model uses, (N, 1, 1, D), with
the images' labels. A model of them takes a likelihood over real values (`normal`). Kingma et
al. drew a fresh sample of q(z | x) each time; the means are the one fixed code of each image.
(Here, not in `keras_vae.data`, because it reads a training run.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.data.dataset import Dataset, Split


@dataclass(frozen=True)
class M1Codes(Dataset):
    """The posterior means of the images of a trained run under its model.

    Args:
        path: the directory of a `keras-vae train` run of an unconditional VAE.
        min_spread: the latent dimensions kept are those whose posterior means vary between
            the training images by a standard deviation above this; the rest the model does
            not use (their means sit at the prior's 0), as Kingma et al.'s code keeps those
            above 0.1.
    """

    description = "the codes of a trained VAE run (M1)"
    path: Path
    min_spread: float = 0.1

    def read(self) -> tuple[Split, Split]:
        """Returns `(codes_train, y_train), (codes_test, y_test)`, codes float32 (N, 1, 1, D)."""
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
        codes, test_codes = (
            posterior_means(model, np.asarray(images, dtype="float32"))[0]
            for images in (train, test)
        )
        kept = active_dimensions(codes, self.min_spread)
        return (
            (codes[:, None, None, kept].astype("float32"), y_train),
            (test_codes[:, None, None, kept].astype("float32"), y_test),
        )


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
