"""What every VAE does as a `keras.Model`, apart from its maths: report one mean per loss term
and keep their order, check the images given to `fit` and `evaluate`, save its random state,
and save and compile as Keras's own models do on every backend."""

from __future__ import annotations

from typing import Any

import keras

from keras_vae.backend import VAETrainer
from keras_vae.epoch_means import EpochMeans
from keras_vae.framework_isolation import tensorflow_left_unimported
from keras_vae.images import check_images
from keras_vae.models.checks import has_regularizers
from keras_vae.models.random_state import load_seed_state, save_seed_state

REGULARIZATION = "regularization"  # the metric of the layers' own losses (self.losses)
# The negative ELBO in bits per pixel channel, for a likelihood over 8-bit values.
BITS_PER_DIM = "bits_per_dim"


class VAEBase(VAETrainer, keras.Model):
    """A keras.Model whose subclass sets `loss_terms`, `objective`, `likelihood`, `labelling`,
    `image_shape` and `seed_generator`, and calls `_track_metrics` once they are set."""

    _fitting = False  # within fit(), whose validation images are checked once, up front

    def _track_metrics(self, *networks: keras.Model) -> None:
        """Makes the epoch means the logs report (`_metric_names`)."""
        self._epoch_means = EpochMeans(self._metric_names(*networks))

    def _metric_names(self, *networks: keras.Model) -> list[str]:
        """Returns what the logs report: `loss`, each loss term's metrics, the objective's
        bound, the networks' regularisers, and `objective` where it differs."""
        names = ["loss"]
        for term in self.loss_terms:
            names += [term.name, *term.reported]
        if self.objective.name is not None:
            names.append(self.objective.name)
        if self.likelihood.discrete:
            names.append(BITS_PER_DIM)
        if any(has_regularizers(network) for network in networks):
            names.append(REGULARIZATION)
        if REGULARIZATION in names or any(term.changes_objective for term in self.loss_terms):
            names.append("objective")
        return names

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self._epoch_means]

    @property
    def metrics_names(self) -> list[str]:
        """The names of the logs' scalars: `loss`, then each loss term's, as Keras lists one
        per metric."""
        return list(self._epoch_means.names)

    def update_metrics(self, terms: dict, batch_size: Any) -> dict:
        """Adds a batch's terms to the epoch means; returns the current means as logs."""
        # A layer that calls add_loss without a declared regulariser is still minimised, though
        # not reported on its own: `terms` may hold more than the means.
        self._epoch_means.update_state(terms, sample_weight=batch_size)
        return self._epoch_means.result()

    def save(self, filepath, *args, **kwargs):
        """`keras.Model.save`, without the TensorFlow import Keras's serialisation adds on the
        other backends (see `framework_isolation`)."""
        with tensorflow_left_unimported():
            return super().save(filepath, *args, **kwargs)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after checking that `x` (and the validation images) are images
        this model can train on."""
        self._check_inputs(x, y)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and validation:
            self._check_inputs(validation[0], validation[1] if len(validation) > 1 else None)
        self._fitting = True  # fit's validation passes evaluate the images checked here
        try:
            return super().fit(x, y, *args, **kwargs)
        finally:
            self._fitting = False

    def evaluate(self, x=None, y=None, *args, return_dict=False, **kwargs):
        """`keras.Model.evaluate`, after checking that `x` are images this model can score;
        as a list, the values are in `metrics_names`' order."""
        if not self._fitting:
            self._check_inputs(x, y)
        logs = super().evaluate(x, y, *args, return_dict=True, **kwargs)
        return logs if return_dict else self._in_order(logs)

    def train_on_batch(self, *args, return_dict=False, **kwargs):
        """`keras.Model.train_on_batch`; as a list, the values are in `metrics_names`' order."""
        logs = super().train_on_batch(*args, return_dict=True, **kwargs)
        return logs if return_dict else self._in_order(logs)

    def test_on_batch(self, *args, return_dict=False, **kwargs):
        """`keras.Model.test_on_batch`; as a list, the values are in `metrics_names`' order."""
        logs = super().test_on_batch(*args, return_dict=True, **kwargs)
        return logs if return_dict else self._in_order(logs)

    def _in_order(self, logs: dict) -> Any:
        """Returns `logs` as Keras's list of results: in `metrics_names`' order (Keras's own
        would sort the scalars of our one metric by name), anything else after, by name."""
        names = self.metrics_names
        values = [logs[n] for n in names if n in logs]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    def _check_inputs(self, x: Any, y: Any) -> None:
        """Raises a ValueError for images (and labels) this model cannot train on or score."""
        check_images(
            x,
            self.image_shape,
            self.likelihood.support,
            range_fix="for 8-bit images divide by 255, or choose the gaussian or laplace "
            "likelihood",
        )
        self.labelling.check_fit(x, y)

    def save_own_variables(self, store) -> None:
        """Saves Keras's state and the sampling noise's random state (`random_state`)."""
        super().save_own_variables(store)
        save_seed_state(store, self.seed_generator)

    def load_own_variables(self, store) -> None:
        """Loads what `save_own_variables` saved; files without the random state load too."""
        super().load_own_variables(load_seed_state(store, self.seed_generator))

    def compile_from_config(self, config: dict) -> None:
        """Compiles a loaded VAE as `compile()` would on this backend, with the saved optimizer.

        Keras saves `jit_compile` as the backend that saved the file resolved `"auto"` (XLA on
        JAX, eager on PyTorch and on TensorFlow's CPU), so a file written on JAX would train
        with `torch.compile` on PyTorch, and one written on PyTorch without XLA on JAX. Set
        `vae.jit_compile` after loading to choose otherwise.
        """
        super().compile_from_config({k: v for k, v in config.items() if k != "jit_compile"})
