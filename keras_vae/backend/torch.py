"""PyTorch: gradients by `loss.backward()`, the update under `torch.no_grad()`."""

import torch
from keras.utils import unpack_x_y_sample_weight


def inference_mode():
    """Returns a context in which model calls record no autograd graph."""
    return torch.no_grad()


class VAETrainer:
    """The VAE's `train_step` and `test_step` on the torch backend."""

    def train_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        self.zero_grad()
        terms = self.compute_loss_terms(x, training=True)
        terms["objective"].backward()
        weights = self.trainable_weights
        with torch.no_grad():
            self.optimizer.apply([w.value.grad for w in weights], weights)
        return self.update_metrics(terms, x.shape[0])

    def test_step(self, data):
        x, _, _ = unpack_x_y_sample_weight(data)
        with torch.no_grad():
            terms = self.compute_loss_terms(x, training=False)
        return self.update_metrics(terms, x.shape[0])
