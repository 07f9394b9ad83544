"""Train the MNIST classifier behind classifier FID / IS and write the weights the package ships.

    KERAS_BACKEND=jax python scripts/train_mnist_classifier.py [--epochs 12] [--out PATH]

It fails unless the classifier reaches 99.0% test accuracy.
"""

from __future__ import annotations

from pathlib import Path

import click
import keras
import numpy as np

from keras_vae.data import load_mnist
from keras_vae.evaluation.classifier import MNISTClassifier, build_classifier, shipped_weights_path

MIN_ACCURACY = 0.99


def train_classifier(
    x_train: np.ndarray, y_train: np.ndarray, epochs: int = 12, seed: int = 0
) -> keras.Model:
    """Returns the classifier trained on `x_train`, `y_train` (Adam, cross-entropy)."""
    keras.utils.set_random_seed(seed)
    model = build_classifier()
    schedule = keras.optimizers.schedules.CosineDecay(
        1e-3, decay_steps=epochs * int(np.ceil(len(x_train) / 128))
    )
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, shuffle=True, verbose=2)
    return model


@click.command()
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=shipped_weights_path(),
    show_default=True,
    help="The .weights.h5 file to write.",
)
def main(epochs: int, seed: int, out: Path) -> None:
    (x_train, y_train), (x_test, y_test) = load_mnist()
    trained = train_classifier(x_train, y_train, epochs=epochs, seed=seed)
    # An uncompiled copy, so that the file holds the weights without Adam's state (3x smaller).
    model = build_classifier()
    model.set_weights(trained.get_weights())
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(out)
    accuracy = MNISTClassifier(out).accuracy(x_test, y_test)
    click.echo(f"test accuracy {accuracy:.4f}; weights {out} ({out.stat().st_size / 1024:.0f} KB)")
    if accuracy < MIN_ACCURACY:
        raise SystemExit(f"accuracy {accuracy:.4f} is below the required {MIN_ACCURACY}")


if __name__ == "__main__":
    main()
