"""keras_vae: Variational Autoencoders in Keras 3, on TensorFlow, PyTorch and JAX.

Every name below loads on first use, so that importing keras_vae (and `keras-vae --help`) loads
no backend; see `keras_vae.lazy_imports`.
"""

from typing import TYPE_CHECKING

from keras_vae import lazy_imports

__version__ = "0.2.0.dev0"

__all__ = [
    "VAE",
    "DataParallel",
    "HierarchicalVAE",
    "SemiSupervisedVAE",
    "__version__",
    "architectures",
    "build_vae",
    "data",
    "data_parallel",
    "evaluation",
    "get_architecture",
    "get_dataset",
    "get_loss",
    "get_objective",
    "get_prior",
    "get_registry",
    "list_architectures",
    "list_datasets",
    "list_losses",
    "list_objectives",
    "list_priors",
    "list_registries",
    "load_vae",
    "losses",
    "models",
    "objectives",
    "plots",
    "priors",
    "register_architecture",
    "register_dataset",
    "register_loss",
    "register_objective",
    "register_prior",
    "training",
]

__getattr__, __dir__ = lazy_imports.lazy_exports(
    __name__,
    {
        "VAE": ".models.vae",
        "DataParallel": ".training.distribution",
        "HierarchicalVAE": ".models.hierarchical",
        "SemiSupervisedVAE": ".models.semi_supervised",
        "build_vae": ".models.build",
        "data_parallel": ".training.distribution",
        "get_architecture": ".architectures.registry",
        "get_dataset": ".data.dataset",
        "get_loss": ".losses.registry",
        "get_objective": ".objectives.registry",
        "get_prior": ".priors.registry",
        "get_registry": ".registry",
        "list_architectures": ".architectures.registry",
        "list_datasets": ".data.dataset",
        "list_losses": ".losses.registry",
        "list_objectives": ".objectives.registry",
        "list_priors": ".priors.registry",
        "list_registries": ".registry",
        "load_vae": ".saving",
        "register_architecture": ".architectures.registry",
        "register_dataset": ".data.dataset",
        "register_loss": ".losses.registry",
        "register_objective": ".objectives.registry",
        "register_prior": ".priors.registry",
    },
    # Old names, each importing with a DeprecationWarning (lazy_imports.MOVED_MODULES):
    # `datasets` and `metrics` of `data` and `evaluation`, `conditioning` and `hierarchical` of
    # the modules in `models`; `latent`, the latent interface, is a module of its own.
    submodules=(
        "architectures",
        "conditioning",
        "data",
        "datasets",
        "evaluation",
        "hierarchical",
        "latent",
        "losses",
        "metrics",
        "models",
        "objectives",
        "plots",
        "priors",
        "training",
    ),  # fmt: skip
)
lazy_imports.install()

if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from keras_vae import (
        architectures,
        data,
        evaluation,
        losses,
        models,
        objectives,
        plots,
        priors,
        training,
    )
    from keras_vae.architectures import get_architecture, list_architectures, register_architecture
    from keras_vae.data.dataset import get_dataset, list_datasets, register_dataset
    from keras_vae.losses import get_loss, list_losses, register_loss
    from keras_vae.models.build import build_vae
    from keras_vae.models.hierarchical import HierarchicalVAE
    from keras_vae.models.semi_supervised import SemiSupervisedVAE
    from keras_vae.models.vae import VAE
    from keras_vae.objectives import get_objective, list_objectives, register_objective
    from keras_vae.priors import get_prior, list_priors, register_prior
    from keras_vae.registry import get_registry, list_registries
    from keras_vae.saving import load_vae
    from keras_vae.training.distribution import DataParallel, data_parallel
