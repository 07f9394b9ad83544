"""The classic PyTorch VAE example (pytorch/examples, vae/main.py), as a plain-PyTorch reference.

Same network (784-400-20 MLP, sigmoid output), loss (binary cross-entropy summed + KL), optimiser
(Adam 1e-3), batch 128 and data (MNIST / 255, not binarised) as the original; torchvision is
replaced by a TensorDataset over the same arrays, since there is no CPU torchvision build here.

    python benchmarks/pytorch_reference_vae.py --epochs 10 [--data mnist.npz] [--json out.json]

Prints the test loss (negative ELBO, nats per image) after each epoch and steady-state training
images/s (median epoch after the first).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class VAE(nn.Module):
    def __init__(self, hidden: int = 400, latent: int = 20) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x.view(-1, 784)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def load_mnist_arrays(path: str | None) -> tuple[np.ndarray, np.ndarray]:
    # keras_vae only for its offline-capable MNIST sources; on the torch backend, so that this
    # process loads no other framework.
    os.environ.setdefault("KERAS_BACKEND", "torch")
    from keras_vae.data import load_mnist

    (x_train, _), (x_test, _) = load_mnist(path)
    return x_train.reshape(-1, 784), x_test.reshape(-1, 784)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    x_train, x_test = load_mnist_arrays(args.data)
    train_loader = DataLoader(
        TensorDataset(torch.from_numpy(x_train)), batch_size=args.batch_size, shuffle=True
    )
    test_loader = DataLoader(TensorDataset(torch.from_numpy(x_test)), batch_size=args.batch_size)
    model = VAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    epoch_seconds, test_losses = [], []
    for epoch in range(1, args.epochs + 1):
        model.train()
        start = time.perf_counter()
        train_loss = 0.0
        for (data,) in train_loader:
            optimizer.zero_grad()
            recon, mu, logvar = model(data)
            loss = loss_function(recon, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - start)
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for (data,) in test_loader:
                recon, mu, logvar = model(data)
                test_loss += loss_function(recon, data, mu, logvar).item()
        test_losses.append(test_loss / len(x_test))
        print(
            f"epoch {epoch}: train loss {train_loss / len(x_train):.4f}  "
            f"test loss {test_losses[-1]:.4f}"
        )

    steady = epoch_seconds[1:] or epoch_seconds
    result = {
        "test_negative_elbo": test_losses[-1],
        "train_images_per_second": len(x_train) / statistics.median(steady),
        "epochs": args.epochs,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
