"""One training run, from data to saved model, log and figures: `train`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from keras_vae.atomic_files import save_atomically
from keras_vae.backend import Replicas
from keras_vae.data import ImageBatches, ShardedImages, steps_per_epoch
from keras_vae.data.batch_order import BatchOrder
from keras_vae.data.labelled_subset import keep_balanced_labels, labelled_per_batch
from keras_vae.data.streaming import FolderImages, stream_batches
from keras_vae.framework_isolation import set_random_seed
from keras_vae.images import check_images
from keras_vae.models.labels import labels_of_run
from keras_vae.models.vae import VAE
from keras_vae.plots import write_run_figures
from keras_vae.run_directory import RunDirectory
from keras_vae.saving import load_vae
from keras_vae.training.callbacks import (
    BestModel,
    Checkpoint,
    EpochTimer,
    LearningRateDecay,
    StopOnNonFiniteLoss,
)
from keras_vae.training.checkpoints import latest_checkpoint
from keras_vae.training.components import component_settings
from keras_vae.training.config import TrainingConfig, write_config
from keras_vae.training.distribution import distribution_scope
from keras_vae.training.resume import check_resumable, resume_point
from keras_vae.training.start import build_model, initialize_output_bias


@dataclass(frozen=True)
class TrainingResult:
    """What a run produced: the model, its history and where the files are."""

    model: VAE
    history: dict[str, list[float]]
    test_metrics: dict[str, float]  # the last epoch's validation metrics
    train_images_per_second: float
    out: Path
    validated_on: str = "test"  # "validation" with a validation split
    best_epoch: int | None = None  # the epoch of the kept model, with a validation split
    chosen_by: str | None = None  # the validation figure that chose it (val_loss, val_iwae)


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite; training stopped and kept its last good checkpoint."""


def train(config: TrainingConfig, resume: bool = False, overwrite: bool = False) -> TrainingResult:
    """Trains a VAE as `config` says and writes its run directory `config.out`
    (`RunDirectory`): the final model, checkpoints every `checkpoint_every` epochs and the
    pointer to the newest, the per-epoch log, the config, and figures of samples,
    reconstructions and training curves. Every model file is written atomically, so a kill at
    any moment leaves the previous complete one.

    Args:
        config: the run.
        resume: continue the run in `config.out` from its newest saved model (weights,
            optimizer state, step count, so a KL warm-up continues, and the sampling noise's
            random state) up to `config.epochs`; the batches come in the order the
            uninterrupted run would have used, and the log keeps one row per epoch.
        overwrite: allow a new run in a non-empty `config.out` (its files are replaced).

    Raises:
        FileExistsError: `config.out` is not empty and neither `resume` nor `overwrite` is set.
        ValueError: bad data or settings, or an unwritable `config.out`; the message says which.
        TrainingDiverged: the loss became NaN or infinite (the message names the step).
    """
    with distribution_scope(config.distribution) as replicas:
        return _train(config, resume, overwrite, replicas)


def _train(
    config: TrainingConfig, resume: bool, overwrite: bool, replicas: Replicas
) -> TrainingResult:
    run = RunDirectory(config.out)
    # In a data-parallel run every process trains; only the chief writes files.
    chief = replicas.is_chief
    _check_request(config, run, resume, overwrite, chief)
    set_random_seed(config.seed)
    (x_train, y_train), (x_validation, y_validation) = _training_data(config, replicas)
    split = config.validation_split is not None
    model, initial_epoch = _model_to_train(config, run, (x_train, y_train), resume, replicas)
    if chief:  # only once data and model are known good, so that bad input loses no earlier run
        run.prepare(replace=overwrite)
    if chief:
        write_config(config, run.config, keras.backend.backend())
    # Every process saves and draws alike, as a multi-host JAX run needs all of them in each
    # computation (saving included); those other than the chief write to a scratch directory.
    files = run if chief else RunDirectory(tempfile.mkdtemp(prefix="keras_vae_replica_"))
    try:
        order = BatchOrder(
            len(x_train),
            config.batch_size,
            config.seed,
            # Processes that feed their own devices (torchrun, multi-host JAX) take their part
            # of each batch; within a process, Keras splits it between the devices.
            part=(replicas.process_index, replicas.process_count),
            replicas=replicas.count,
            reshuffle=not config.fixed_batches,
            **_labelled_mixing(config, y_train),
        )
        batches = _batches(config, x_train, y_train, order, initial_epoch)
        streamed = isinstance(x_train, FolderImages)
        epoch_times, divergence = EpochTimer(), StopOnNonFiniteLoss()
        # The model is chosen on what it was trained for: the IWAE bound, else the ELBO.
        monitor = f"val_{model.objective.name or 'loss'}"
        best = BestModel(
            files.best_model,
            patience=config.early_stopping,
            earlier_losses=files.read_log().get(monitor, []) if resume else (),
            monitor=monitor,
        )
        history = model.fit(
            batches,
            shuffle=False,  # the batches shuffle themselves, by (seed, epoch)
            # One stream of batches runs through every epoch (Keras keeps its iterator).
            steps_per_epoch=order.steps if streamed else None,
            epochs=config.epochs,
            initial_epoch=initial_epoch,
            validation_data=(x_validation,)
            if y_validation is None
            else (x_validation, y_validation),
            validation_batch_size=config.batch_size,
            callbacks=[
                LearningRateDecay(
                    config.learning_rate, config.epochs, config.learning_rate_decay_epochs
                ),
                keras.callbacks.CSVLogger(str(files.log), append=resume and chief),
                divergence,
                Checkpoint(files.checkpoints, every=config.checkpoint_every),
                *([best] if split else []),
                epoch_times,
                # Epoch e trains on the batches of order (seed, e), streamed or not.
                *([batches.epoch_callback()] if isinstance(batches, ImageBatches) else []),
            ],
            verbose=config.verbose if chief else 0,
        )
        if divergence.stopped_at is not None:
            raise TrainingDiverged(_divergence_message(divergence.stopped_at, config, run))
        if split and files.best_model.exists():
            # The model chosen on validation is the run's model (the newest state stays in
            # the checkpoints, for --resume).
            model = load_vae(files.best_model)
        save_atomically(model, files.model)
        full_history = files.read_log()
        write_run_figures(model, x_validation, full_history, files, y_validation)
    finally:
        if not chief:
            shutil.rmtree(files.path, ignore_errors=True)
    return TrainingResult(
        model=model,
        history=full_history,
        # The last validation pass already scored the final weights.
        test_metrics={k[4:]: v[-1] for k, v in history.history.items() if k.startswith("val_")},
        train_images_per_second=epoch_times.images_per_second(order.images_per_epoch),
        out=run.path,
        validated_on="validation" if split else "test",
        best_epoch=best.best_epoch if split else None,
        chosen_by=monitor if split else None,
    )


def _check_request(
    config: TrainingConfig, run: RunDirectory, resume: bool, overwrite: bool, chief: bool
) -> None:
    """Raises unless the run directory can take what is asked: a new run, or a resumed one."""
    if resume and overwrite:
        raise ValueError("--resume continues a run and --overwrite replaces it; pass one.")
    if config.early_stopping is not None and config.validation_split is None:
        raise ValueError(
            "--early-stopping chooses the model by its validation loss; pass --validation-split "
            "too, so that the choice is not made on the test set."
        )
    component_settings(config)  # an option no component takes fails before any file is written
    if chief and not resume and not overwrite and run.has_files(besides=config.data):
        raise FileExistsError(
            f"{run.path} is not empty; choose another --out, or pass --resume (continue that "
            "run) or --overwrite (replace its files)."
        )
    if resume:
        check_resumable(config, run)


def _training_data(config: TrainingConfig, replicas: Replicas) -> tuple[tuple, tuple]:
    """Returns (images, labels) for training and for validation (the test set without a
    validation split), checked against each other and the batch size; the labels are None
    unless the model is conditional."""
    data = config.data_source().load()
    (x_train, y_train), (x_validation, y_validation) = data.train, data.validation
    if config.labelled is not None:
        if config.conditional:
            raise ValueError(
                "--labelled trains M2, which conditions on the labels itself; drop --conditional."
            )
        y_train = keep_balanced_labels(y_train, config.labelled, config.labelled_seed)
        if data.test[1] is None:
            raise ValueError("--labelled needs the test images' labels too (y_test).")
    else:
        y_train, _ = labels_of_run(config.conditional, y_train, data.test[1])
    if len(x_train) < config.batch_size:
        raise ValueError(
            f"batch_size {config.batch_size} is larger than the {len(x_train)} training images; "
            "lower --batch-size."
        )
    if config.batch_size % replicas.count:
        raise ValueError(
            f"batch_size {config.batch_size} does not split evenly between {replicas.count} "
            "replicas; pass a multiple of the number of devices."
        )
    if y_train is None:
        y_validation = None
    return (x_train, y_train), (x_validation, y_validation)


def _model_to_train(
    config: TrainingConfig, run: RunDirectory, train: tuple, resume: bool, replicas: Replicas
) -> tuple[VAE, int]:
    """Returns the model to fit and the epoch it starts at: resumed from `run`, or new."""
    x_train, y_train = train
    if not resume:
        classes = None if y_train is None else int(np.max(y_train)) + 1
        model = build_model(
            config, tuple(x_train.shape[1:]), train_images=len(x_train), num_classes=classes
        )
        initialize_output_bias(model, x_train)
        return model, 0
    steps = steps_per_epoch(len(x_train), config.batch_size, replicas.count)
    model, initial_epoch = resume_point(run.path, steps, set_aside_damaged=replicas.is_chief)
    if initial_epoch >= config.epochs:
        raise ValueError(
            f"The run in {run.path} has already trained {initial_epoch} epochs; pass --epochs "
            f"above {initial_epoch} to train further."
        )
    check_images(x_train[:1], model.image_shape, what="training images")
    # The clipping is the run's to change on resume; the saved optimizer kept the old one.
    model.optimizer.global_clipnorm = config.clip_norm
    if replicas.is_chief:
        run.truncate_log(initial_epoch)
    return model, initial_epoch


def _batches(config: TrainingConfig, x_train, y_train, order: BatchOrder, initial_epoch: int):
    """Returns the training batches in `order` from `initial_epoch` on: a Grain pipeline
    decoding them in worker processes for a streamed folder, else an `ImageBatches`."""
    if isinstance(x_train, FolderImages):
        return stream_batches(
            x_train, y_train, order, config.epochs, initial_epoch, config.stream_workers
        )
    return ImageBatches(
        x_train,
        config.batch_size,
        config.seed,
        epoch=initial_epoch,
        labels=y_train,
        # Images on disk are read by two threads ahead of the step; in memory, a thread costs
        # more than the copy it would hide.
        workers=2 if isinstance(x_train, ShardedImages) else 1,
        part=order.part,
        replicas=order.replicas,
        labelled=order.labelled,
        labelled_per_batch=order.labelled_per_batch,
        reshuffle=order.reshuffle,
    )


def _labelled_mixing(config: TrainingConfig, y_train) -> dict:
    """Returns what `BatchOrder` takes to put labelled images in every batch of a
    semi-supervised run (nothing for any other run)."""
    if config.labelled is None:
        return {}
    labelled = np.flatnonzero(np.asarray(y_train) >= 0)
    per_batch = config.labelled_per_batch or labelled_per_batch(
        len(labelled), len(y_train), config.batch_size
    )
    return {"labelled": labelled, "labelled_per_batch": per_batch}


def _divergence_message(stopped_at: dict, config: TrainingConfig, run: RunDirectory) -> str:
    kept = latest_checkpoint(run.checkpoints)
    kept_text = (
        f"The last good checkpoint, {kept}, is kept; after the fix, continue from it with "
        f"--resume --out {run.path}."
        if kept
        else "No checkpoint had been written yet."
    )
    return (
        f"The loss became {stopped_at['value']} at step {stopped_at['step']} (epoch "
        f"{stopped_at['epoch']}, batch {stopped_at['batch']}), so training stopped. Likely "
        f"cause: a learning rate too high for this model ({config.learning_rate:g}; try "
        "10x lower), or data the likelihood cannot score. " + kept_text
    )
