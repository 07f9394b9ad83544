"""A trained VAE's codes as a dataset, for M1+M2 (Kingma et al., 2014): M2 learns from the
latent codes of an unsupervised VAE, M1, instead of from pixels.

`--dataset m1_codes --data RUN` reads the run RUN of `keras-vae train`: its training and test
images, as that run read them (grey levels, before any binarisation), each replaced by the
posterior mean of z under the run's model, (N, 1, 1, latent_dim), with the images' labels. A
model of them takes a likelihood over real values (`gaussian`). Kingma et al. drew a fresh
sample of q(z | x) each time; the means are the one fixed code of each image. (Here, not in
`keras_vae.data`, because it reads a training run.)
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
    """

    description = "the codes of a trained VAE run (M1)"
    path: Path

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
        splits = []
        for images, labels in (data.train, data.test):
            codes, _ = posterior_means(model, np.asarray(images, dtype="float32"))
            splits.append((codes[:, None, None, :].astype("float32"), labels))
        return tuple(splits)
