"""TensorFlow: gradients by `tf.GradientTape`; Keras wraps the steps in `tf.function` (and XLA)."""

import contextlib
import json
import os

import tensorflow as tf
from keras.utils import unpack_x_y_sample_weight

from keras_vae.backend.common import Replicas


def inference_mode():
    """Returns a context in which model calls record no gradients (a no-op here)."""
    return contextlib.nullcontext()


def replica_context():
    """Returns (index, count) of the `tf.distribute` replica running this code."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: code outside the step
        return 0, 1
    return context.replica_id_in_sync_group, context.num_replicas_in_sync


@contextlib.contextmanager
def data_parallel(spec):
    """Builds, compiles and fits inside `MirroredStrategy` over the local GPUs, else the
    logical CPUs; `MultiWorkerMirroredStrategy` where `TF_CONFIG` names several workers."""
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}"))
    workers = len(cluster.get("cluster", {}).get("worker", []))
    if workers > 1:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        index = int(cluster.get("task", {}).get("index", 0))
    else:
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        strategy = tf.distribute.MirroredStrategy([d.name for d in devices])
        index, workers = 0, 1
    with strategy.scope():
        yield Replicas(strategy.num_replicas_in_sync, index, max(workers, 1))


class VAETrainer:
    """The VAE's `train_step` and `test_step` on the TensorFlow backend."""

    def train_step(self, data):
        x, y, _ = unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms = self.compute_loss_terms(x, training=True, labels=y)
            # The optimizer sums the replicas' gradients; each replica's share of the mean.
            objective = terms["objective"] / tf.distribute.get_strategy().num_replicas_in_sync
            # A LossScaleOptimizer (mixed_float16) scales here and unscales in apply().
            objective = self.optimizer.scale_loss(objective)
        gradients = tape.gradient(objective, self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self.update_metrics(terms, tf.shape(x)[0])

    def test_step(self, data):
        x, y, _ = unpack_x_y_sample_weight(data)
        terms = self.compute_loss_terms(x, training=False, labels=y)
        return self.update_metrics(terms, tf.shape(x)[0])
