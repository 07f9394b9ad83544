"""The VAE a PyTorch user would write by hand: the same layers as keras_vae's `dense`, `conv` and
`resnet` architectures in plain `torch.nn`, binary cross-entropy summed over pixels + KL, Adam,
and a plain loop over a shuffled tensor (no DataLoader, no compilation).

`compare_backends.py` runs it as its baseline; `run()` returns the same fields as a Keras run.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class ResidualBlock(nn.Module):
    """x + conv(act(conv(act(x)))), as keras_vae's `resnet.residual_block`."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


def up(c_in: int, c_out: int) -> nn.ConvTranspose2d:
    """A stride-2 transposed convolution doubling H and W, as Keras's padding='same'."""
    return nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1)


def down(c_in: int, c_out: int) -> nn.Conv2d:
    """A stride-2 convolution halving H and W, as Keras's padding='same'."""
    return nn.Conv2d(c_in, c_out, 3, stride=2, padding=1)


class VAE(nn.Module):
    """The encoder and decoder of one keras_vae architecture on 28x28x1 images."""

    def __init__(self, architecture: str, latent_dim: int, hidden_units=(400,), filters=(32, 64)):
        super().__init__()
        self.architecture = architecture
        if architecture == "dense":
            widths = [784, *hidden_units]
            self.encoder = nn.Sequential(nn.Flatten())
            for a, b in zip(widths, widths[1:], strict=False):
                self.encoder.extend([nn.Linear(a, b), nn.ReLU()])
            features = widths[-1]
            back = [latent_dim, *reversed(hidden_units)]
            self.decoder = nn.Sequential()
            for a, b in zip(back, back[1:], strict=False):
                self.decoder.extend([nn.Linear(a, b), nn.ReLU()])
            self.decoder.extend([nn.Linear(back[-1], 784), nn.Unflatten(1, (1, 28, 28))])
        elif architecture == "conv":
            f1, f2 = filters
            self.encoder = nn.Sequential(
                down(1, f1), nn.ReLU(), down(f1, f2), nn.ReLU(), nn.Flatten(),
                nn.Linear(7 * 7 * f2, 256), nn.ReLU(),
            )  # fmt: skip
            features = 256
            self.decoder = nn.Sequential(
                nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 7 * 7 * f2), nn.ReLU(),
                nn.Unflatten(1, (f2, 7, 7)), up(f2, f2), nn.ReLU(), up(f2, f1), nn.ReLU(),
                nn.Conv2d(f1, 1, 3, padding=1),
            )  # fmt: skip
        elif architecture == "resnet":
            f1, f2 = filters
            self.encoder = nn.Sequential(
                down(1, f1), ResidualBlock(f1), down(f1, f2), ResidualBlock(f2), nn.ReLU(),
                nn.Flatten(),
            )  # fmt: skip
            features = 7 * 7 * f2
            self.decoder = nn.Sequential(
                nn.Linear(latent_dim, 7 * 7 * f2), nn.Unflatten(1, (f2, 7, 7)),
                ResidualBlock(f2), nn.ReLU(), up(f2, f2), ResidualBlock(f2), nn.ReLU(),
                up(f2, f1), nn.ReLU(), nn.Conv2d(f1, 1, 3, padding=1),
            )  # fmt: skip
        else:
            raise ValueError(f"No plain-PyTorch version of {architecture!r}.")
        self.z_mean = nn.Linear(features, latent_dim)
        self.z_log_var = nn.Linear(features, latent_dim)

    def negative_elbo(self, x):
        """Returns the batch mean of BCE summed over pixels + KL, in nats per image."""
        h = self.encoder(x)
        mu, log_var = self.z_mean(h), self.z_log_var(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * log_var)
        logits = self.decoder(z)
        bce = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        kl = -0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())
        return (bce + kl) / x.shape[0]


def run(
    architecture: str,
    latent_dim: int,
    x_train: np.ndarray,
    x_test: np.ndarray,
    epochs: int,
    batch_size: int,
    seed: int,
    hidden_units=(400,),
) -> dict:
    """Trains the plain-PyTorch VAE and returns epoch times, first-step time and test -ELBO.

    Args:
        x_train, x_test: (N, 28, 28, 1) float32 images in [0, 1] (NHWC, as Keras takes them).
    """
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    start = time.perf_counter()
    # NCHW, on the device once: what a careful PyTorch user does with a dataset that fits.
    train = torch.from_numpy(np.ascontiguousarray(x_train.transpose(0, 3, 1, 2))).to(device)
    test = torch.from_numpy(np.ascontiguousarray(x_test.transpose(0, 3, 1, 2))).to(device)
    model = VAE(architecture, latent_dim, hidden_units=hidden_units).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    epoch_seconds, first_step = [], None
    for _ in range(epochs):
        model.train()
        sync()
        epoch_start = time.perf_counter()
        order = torch.randperm(len(train), device=device)
        for i in range(0, len(train), batch_size):
            loss = model.negative_elbo(train[order[i : i + batch_size]])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if first_step is None:
                sync()
                first_step = time.perf_counter() - start
        sync()
        epoch_seconds.append(time.perf_counter() - epoch_start)

    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, len(test), batch_size):
            batch = test[i : i + batch_size]
            total += float(model.negative_elbo(batch)) * len(batch)
    return {
        "epoch_seconds": epoch_seconds,
        "first_step_seconds": first_step,
        "test_negative_elbo": total / len(test),
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
        "version": f"torch {torch.__version__}",
    }
