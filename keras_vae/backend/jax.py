"""JAX: stateless steps; `jax.value_and_grad` over the model run in a `StatelessScope`.

As in Keras's JAX trainer, the state is threaded explicitly: each step takes and returns
(trainable, non_trainable, optimizer, metrics) variable values. The seed generator's state is
among the non-trainable ones, so the sampling noise advances every step.
"""

import contextlib

import jax
import keras
from keras import StatelessScope
from keras.utils import unpack_x_y_sample_weight


def inference_mode():
    """Returns a context in which model calls record no gradients (a no-op here)."""
    return contextlib.nullcontext()


def replica_context() -> tuple[int, int]:
    """Returns (index, count) of the replica running this code: (0, 1), as a JAX step sees the
    global batch (Keras shards it across devices and XLA keeps the maths global)."""
    return 0, 1


@contextlib.contextmanager
def data_parallel(spec):
    """Sets `keras.distribution.DataParallel` over every device (of every process, once
    `keras.distribution.initialize` has joined them) for the duration."""
    from keras_vae.distribution import Replicas

    if spec.coordinator_address or (spec.num_processes or 1) > 1:
        keras.distribution.initialize(
            job_addresses=spec.coordinator_address,
            num_processes=spec.num_processes,
            process_id=spec.process_id,
        )
    devices = keras.distribution.list_devices()
    previous = keras.distribution.distribution()
    # Each process feeds its own part of every batch (keras_vae's ImageBatches take it), so
    # Keras need not shard a tf.data pipeline between hosts.
    keras.distribution.set_distribution(
        keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)
    )
    try:
        yield Replicas(len(devices), jax.process_index(), jax.process_count())
    finally:
        keras.distribution.set_distribution(previous)


class VAETrainer:
    """The VAE's `train_step` and `test_step` on the JAX backend."""

    def _stateless_terms(self, trainable, non_trainable, optimizer_variables, x, training):
        mapping = list(zip(self.trainable_variables, trainable, strict=True))
        mapping += zip(self.non_trainable_variables, non_trainable, strict=True)
        if optimizer_variables is not None:  # the step count, for KL warm-up
            mapping += zip(self.optimizer.variables, optimizer_variables, strict=True)
        with StatelessScope(state_mapping=mapping) as scope:
            terms = self.compute_loss_terms(x, training=training)
        non_trainable = [scope.get_current_value(v) for v in self.non_trainable_variables]
        return terms["objective"], (terms, non_trainable)

    def _stateless_update_metrics(self, metrics_variables, terms, batch_size):
        mapping = list(zip(self.metrics_variables, metrics_variables, strict=True))
        with StatelessScope(state_mapping=mapping) as scope:
            logs = self.update_metrics(terms, batch_size)
        return logs, [scope.get_current_value(v) for v in self.metrics_variables]

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, _, _ = unpack_x_y_sample_weight(data)
        grad_fn = jax.value_and_grad(self._stateless_terms, has_aux=True)
        (_, (terms, non_trainable)), gradients = grad_fn(
            trainable, non_trainable, optimizer_variables, x, True
        )
        trainable, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, gradients, trainable
        )
        logs, metrics_variables = self._stateless_update_metrics(
            metrics_variables, terms, x.shape[0]
        )
        return logs, (trainable, non_trainable, optimizer_variables, metrics_variables)

    def test_step(self, state, data):
        trainable, non_trainable, metrics_variables = state
        x, _, _ = unpack_x_y_sample_weight(data)
        _, (terms, non_trainable) = self._stateless_terms(trainable, non_trainable, None, x, False)
        logs, metrics_variables = self._stateless_update_metrics(
            metrics_variables, terms, x.shape[0]
        )
        return logs, (trainable, non_trainable, metrics_variables)
