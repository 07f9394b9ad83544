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

from keras_vae.backend.common import Replicas
from keras_vae.backend.xla_flags import add_xla_flags

add_xla_flags()


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


def _steps_must_wait_for_each_other() -> bool:
    """Whether the current distribution runs collectives between several CPU devices of this
    process, where a step may not be dispatched before the previous one has finished.

    XLA's CPU runtime deadlocks when two steps of such a program are in flight: one device's
    all-reduce of step n+1 blocks a worker of the intra-op thread pool while the other device
    still needs that pool to finish step n, and after 40 s XLA aborts the process ("Termination
    timeout for all reduce ... Expected 2 threads to join the rendezvous, but only 1 of them
    arrived on time"). Reproduced here without Keras, in a plain `jax.jit` data-parallel loop
    on `JAX_NUM_CPU_DEVICES=2` (jaxlib 0.10.2): it hangs within ~100 steps with or without
    `JAX_CPU_ENABLE_ASYNC_DISPATCH=false`, `--xla_cpu_multi_thread_eigen=false` or longer
    collective timeouts; waiting for each step's outputs ran 5,000 steps, three times. No
    upstream report of this deadlock was found; the nearest is jax-ml/jax#31818 (CPU collective
    timeouts, made configurable by openxla/xla#32115), whose flags only delay the abort here.
    GPUs and TPUs keep asynchronous dispatch.
    """
    distribution = keras.distribution.distribution()
    if distribution is None:
        return False
    local = [d for d in jax.local_devices() if d.platform == "cpu"]
    return len(local) > 1 and len(jax.local_devices()) == len(local)


def _one_step_at_a_time(function):
    """Returns `function` (a Keras step function) made to wait until its outputs are computed
    on every device before it returns, where the distribution needs it; else `function`."""
    if getattr(function, "waits_for_each_step", False) or not _steps_must_wait_for_each_other():
        return function

    def step(state, data):
        logs, state = function(state, data)
        jax.block_until_ready((logs, state))
        return logs, state

    step.waits_for_each_step = True
    return step


class VAETrainer:
    """The VAE's `train_step` and `test_step` on the JAX backend."""

    def make_train_function(self, force=False):
        super().make_train_function(force)
        self.train_function = _one_step_at_a_time(self.train_function)

    def make_test_function(self, force=False):
        super().make_test_function(force)
        self.test_function = _one_step_at_a_time(self.test_function)

    def _stateless_terms(self, trainable, non_trainable, optimizer_variables, x, y, training):
        mapping = list(zip(self.trainable_variables, trainable, strict=True))
        mapping += zip(self.non_trainable_variables, non_trainable, strict=True)
        if optimizer_variables is not None:  # the step count, for KL warm-up
            mapping += zip(self.optimizer.variables, optimizer_variables, strict=True)
        # collect_losses: the layers' add_loss (activity regularisers) reach `self.losses`.
        with StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            terms = self.compute_loss_terms(x, training=training, labels=y)
            objective = terms["objective"]
            if optimizer_variables is not None:
                # Under mixed_float16 a LossScaleOptimizer scales the loss here and unscales
                # the gradients in stateless_apply; other optimizers return it unchanged.
                objective = self.optimizer.scale_loss(objective)
        non_trainable = [scope.get_current_value(v) for v in self.non_trainable_variables]
        return objective, (terms, non_trainable)

    def _stateless_update_metrics(self, metrics_variables, terms, batch_size):
        mapping = list(zip(self.metrics_variables, metrics_variables, strict=True))
        with StatelessScope(state_mapping=mapping) as scope:
            logs = self.update_metrics(terms, batch_size)
        return logs, [scope.get_current_value(v) for v in self.metrics_variables]

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, y, _ = unpack_x_y_sample_weight(data)
        grad_fn = jax.value_and_grad(self._stateless_terms, has_aux=True)
        (_, (terms, non_trainable)), gradients = grad_fn(
            trainable, non_trainable, optimizer_variables, x, y, True
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
        x, y, _ = unpack_x_y_sample_weight(data)
        _, (terms, non_trainable) = self._stateless_terms(
            trainable, non_trainable, None, x, y, False
        )
        logs, metrics_variables = self._stateless_update_metrics(
            metrics_variables, terms, x.shape[0]
        )
        return logs, (trainable, non_trainable, metrics_variables)
