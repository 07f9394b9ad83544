"""The model families: the VAE (`vae.py`), the hierarchical VAE (`hierarchical.py`), the
semi-supervised M2 (`semi_supervised.py`), what
conditions a model on labels (`conditioning.py`, `labels.py`) and `build_vae` (`build.py`); the
latent interface they share with priors, loss terms and objectives is `keras_vae.latent`.
Names load on first use (`keras_vae.lazy_imports`)."""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = ["VAE", "HierarchicalVAE", "SemiSupervisedVAE", "build_vae"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "VAE": ".vae",
        "HierarchicalVAE": ".hierarchical",
        "SemiSupervisedVAE": ".semi_supervised",
        "build_vae": ".build",
    },
    submodules=("build", "conditioning", "hierarchical", "labels", "semi_supervised", "vae"),
)

if TYPE_CHECKING:
    from keras_vae.models.build import build_vae
    from keras_vae.models.hierarchical import HierarchicalVAE
    from keras_vae.models.semi_supervised import SemiSupervisedVAE
    from keras_vae.models.vae import VAE
