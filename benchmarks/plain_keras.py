"""The plainest Keras 3 model of keras_vae's dense VAE: the same layers, loss and optimizer, and
nothing of keras_vae's (no loss-term registry, priors, metric trackers or own `train_step`).

A `keras.Model` subclass whose `call` draws z with a `SeedGenerator` and whose `compute_loss`
returns the batch mean of Bernoulli -log p(x | z) on logits, summed over pixels, plus the
analytic KL; Keras's stock `train_step` of each backend does the gradient step.
`compare_backends.py` runs it beside keras_vae on every backend, so the cost of keras_vae's own
model shows as a ratio.
"""

from __future__ import annotations

import time

import keras
from keras import layers, ops


class PlainVAE(keras.Model):
    """784-(hidden)-latent encoder and its mirror; images (B, 28, 28, 1) are flattened."""

    def __init__(self, latent_dim: int, hidden_units=(400,), seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.encoder = [layers.Dense(w, activation="relu") for w in hidden_units]
        self.z_mean = layers.Dense(latent_dim)
        self.z_log_var = layers.Dense(latent_dim)
        self.decoder = [layers.Dense(w, activation="relu") for w in reversed(hidden_units)]
        self.logits = layers.Dense(784)
        self.noise = keras.random.SeedGenerator(seed)

    def call(self, x):
        h = self.flatten(x)
        for layer in self.encoder:
            h = layer(h)
        mean, log_var = self.z_mean(h), self.z_log_var(h)
        z = mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=self.noise)
        for layer in self.decoder:
            z = layer(z)
        return self.logits(z), mean, log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        logits, mean, log_var = y_pred
        target = self.flatten(x)
        # -log Bernoulli(x; sigmoid(logits)) = softplus(logits) - x * logits
        reconstruction = ops.sum(ops.softplus(logits) - target * logits, axis=-1)
        kl = -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)
        return ops.mean(reconstruction + kl)


def run(x_train, x_test, latent_dim: int, hidden_units, epochs: int, batch_size: int,
        seed: int, clock) -> dict:  # fmt: skip
    """Trains PlainVAE with `fit` and returns epoch times, first-step time and test -ELBO.

    Args:
        x_train, x_test: (N, 28, 28, 1) float32 images in [0, 1].
        clock: a Keras callback with `epoch_seconds` and `first_step` (compare_backends's).
    """
    model = PlainVAE(latent_dim, hidden_units, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(x_train, epochs=epochs, batch_size=batch_size, shuffle=True, callbacks=[clock],
              verbose=0)  # fmt: skip
    start = time.perf_counter()
    test = model.evaluate(x_test, batch_size=batch_size, verbose=0)
    return {
        "epoch_seconds": clock.epoch_seconds,
        "first_step_seconds": clock.first_step,
        "test_negative_elbo": float(test),
        "test_seconds": time.perf_counter() - start,
    }
