"""Train the classifier behind classifier FID / IS and write the weights the package ships.

    KERAS_BACKEND=jax python scripts/train_mnist_classifier.py [--dataset fashion_mnist]
        [--epochs 12] [--out PATH]

On MNIST (the default) it fails unless the classifier reaches 99.0% test accuracy; on
Fashion-MNIST (Debian's dataset-fashion-mnist package), 88.0%.
"""

from __future__ import annotations

from pathlib import Path

import click
import keras
import numpy as np

from keras_vae.data import load_mnist
from keras_vae.data.fashion_mnist import load_fashion_mnist
from keras_vae.evaluation.classifier import MNISTClassifier, build_classifier, shipped_weights_path

MIN_ACCURACY = {"mnist": 0.99, "fashion_mnist": 0.88}
LOADERS = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}


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
@click.option("--dataset", type=click.Choice(list(LOADERS)), default="mnist", show_default=True)
@click.option("--epochs", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The .weights.h5 file to write [the package's shipped file for --dataset].",
)
def main(dataset: str, epochs: int, seed: int, out: Path | None) -> None:
    out = out or shipped_weights_path(dataset)
    (x_train, y_train), (x_test, y_test) = LOADERS[dataset]()
    trained = train_classifier(x_train, y_train, epochs=epochs, seed=seed)
    # An uncompiled copy, so that the file holds the weights without Adam's state (3x smaller).
    model = build_classifier()
    model.set_weights(trained.get_weights())
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save_weights(out)
    accuracy = MNISTClassifier(out).accuracy(x_test, y_test)
    click.echo(f"test accuracy {accuracy:.4f}; weights {out} ({out.stat().st_size / 1024:.0f} KB)")
    if accuracy < MIN_ACCURACY[dataset]:
        raise SystemExit(f"accuracy {accuracy:.4f} is below the required {MIN_ACCURACY[dataset]}")


if __name__ == "__main__":
    main()
