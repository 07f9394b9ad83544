"""The semi-supervised table's baseline: M2's classifier network trained on the labelled images
alone (the same balanced, seeded draw as `keras-vae train --labelled N`), scored on the test set.

    KERAS_BACKEND=jax python scripts/supervised_baseline.py --labelled 100 --labelled-seed 0 \\
        [--data mnist.npz] [--hidden-units 500] [--activation softplus] [--json out.json]

It trains `--epochs` and keeps the last weights: with 100 labelled images there is no
validation set to choose an epoch by.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import keras
import numpy as np

from keras_vae.architectures import get_architecture
from keras_vae.data import load_images
from keras_vae.data.labelled_subset import keep_balanced_labels
from keras_vae.models.conditioning import classifier_network


def train_baseline(
    x: np.ndarray,
    labels: np.ndarray,
    hidden_units: tuple[int, ...],
    activation: str,
    epochs: int,
    learning_rate: float,
    seed: int,
) -> keras.Model:
    """Returns the classifier network trained on the images whose label is not -1."""
    keras.utils.set_random_seed(seed)
    known = labels >= 0
    classes = int(labels.max()) + 1
    model = classifier_network(
        get_architecture("dense"), x.shape[1:], classes, hidden_units=hidden_units,
        activation=activation,
    )  # fmt: skip
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x[known], labels[known], batch_size=min(100, int(known.sum())), epochs=epochs,
              shuffle=True, verbose=0)  # fmt: skip
    return model


def test_error(model: keras.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Returns the share of images whose most probable class is not their label."""
    logits = model.predict(x, batch_size=1000, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) != y))


@click.command()
@click.option("--data", type=click.Path(exists=True, path_type=Path), help="[MNIST]")
@click.option("--labelled", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--labelled-seed", default=0, show_default=True, type=int)
@click.option("--hidden-units", default="500", show_default=True)
@click.option("--activation", default="softplus", show_default=True)
@click.option("--epochs", default=200, show_default=True, type=click.IntRange(min=1))
@click.option("--learning-rate", default=3e-4, show_default=True, type=float)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write JSON.")
def main(data, labelled, labelled_seed, hidden_units, activation, epochs, learning_rate,
         json_path) -> None:  # fmt: skip
    (x_train, y_train), (x_test, y_test) = load_images(data)
    labels = keep_balanced_labels(y_train, labelled, labelled_seed)
    units = tuple(int(u) for u in hidden_units.split(","))
    model = train_baseline(x_train, labels, units, activation, epochs, learning_rate,
                           labelled_seed)  # fmt: skip
    error = test_error(model, x_test, np.asarray(y_test))
    result = {"labelled": labelled, "labelled_seed": labelled_seed, "test_error": error,
              "epochs": epochs, "hidden_units": list(units), "activation": activation}  # fmt: skip
    click.echo(f"classifier alone on {labelled} labels (seed {labelled_seed}): test error "
               f"{error:.2%}")  # fmt: skip
    if json_path is not None:
        json_path.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
