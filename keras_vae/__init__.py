"""keras_vae: Variational Autoencoders in Keras 3, on TensorFlow, PyTorch and JAX."""

__version__ = "0.1.0"

from keras_vae import architectures, datasets, losses, metrics
from keras_vae.architectures import get_architecture, list_architectures, register_architecture
from keras_vae.build import build_vae
from keras_vae.distribution import DataParallel, data_parallel
from keras_vae.losses import get_loss, list_losses, register_loss
from keras_vae.model import VAE
from keras_vae.saving import load_vae

__all__ = [
    "VAE",
    "DataParallel",
    "__version__",
    "architectures",
    "build_vae",
    "data_parallel",
    "datasets",
    "get_architecture",
    "get_loss",
    "list_architectures",
    "list_losses",
    "load_vae",
    "losses",
    "metrics",
    "register_architecture",
    "register_loss",
]
