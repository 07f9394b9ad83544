"""TensorFlow: gradients by `tf.GradientTape`; Keras wraps the steps in `tf.function` (and XLA)."""

import contextlib

import tensorflow as tf
from keras.utils import unpack_x_y_sample_weight


def inference_mode():
    """Returns a context in which model calls record no gradients (a no-op here)."""
    return contextlib.nullcontext()


class VAETrainer:
    """The VAE's `train_step` and `test_step` on the TensorFlow backend."""

    def train_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            terms = self.compute_loss_terms(x, training=True)
        gradients = tape.gradient(terms["objective"], self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self.update_metrics(terms, tf.shape(x)[0])

    def test_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        terms = self.compute_loss_terms(x, training=False)
        return self.update_metrics(terms, tf.shape(x)[0])
