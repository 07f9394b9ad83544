"""Training runs: `TrainingConfig`, `train` and resuming, with their callbacks, checkpoints, run
directory and data-parallel engines.

Names load on first use (`keras_vae.lazy_imports`): the CLI reads `TrainingConfig` for its
`--help` without loading a backend.
"""

from typing import TYPE_CHECKING

from keras_vae.lazy_imports import lazy_exports

__all__ = [
    "DataParallel",
    "RunDirectory",
    "TrainingConfig",
    "TrainingDiverged",
    "TrainingResult",
    "build_model",
    "data_parallel",
    "initialize_output_bias",
    "load_data",
    "read_config",
    "resume_point",
    "train",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "DataParallel": ".distribution",
        "RunDirectory": "keras_vae.run_directory",
        "TrainingConfig": ".config",
        "TrainingDiverged": ".run",
        "TrainingResult": ".run",
        "build_model": ".start",
        "data_parallel": ".distribution",
        "initialize_output_bias": ".start",
        "load_data": ".start",
        "read_config": ".config",
        "resume_point": ".resume",
        "train": ".run",
    },
)

if TYPE_CHECKING:
    from keras_vae.run_directory import RunDirectory
    from keras_vae.training.config import TrainingConfig, read_config
    from keras_vae.training.distribution import DataParallel, data_parallel
    from keras_vae.training.resume import resume_point
    from keras_vae.training.run import TrainingDiverged, TrainingResult, train
    from keras_vae.training.start import build_model, initialize_output_bias, load_data
