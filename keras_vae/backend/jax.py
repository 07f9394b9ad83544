"""JAX: stateless steps; `jax.value_and_grad` over the model run in a `StatelessScope`.

As in Keras's JAX trainer, the state is threaded explicitly: each step takes and returns
(trainable, non_trainable, optimizer, metrics) variable values. The seed generator's state is
among the non-trainable ones, so the sampling noise advances every step.
"""

import contextlib

import jax
from keras import StatelessScope
from keras.utils import unpack_x_y_sample_weight


def inference_mode():
    """Returns a context in which model calls record no gradients (a no-op here)."""
    return contextlib.nullcontext()


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
