"""Train the MNIST classifier behind classifier FID / IS and write the weights the package ships.

    KERAS_BACKEND=jax python scripts/train_mnist_classifier.py [--epochs 12] [--out PATH]

It fails unless the classifier reaches 99.0% test accuracy.
"""

from __future__ import annotations

from pathlib import Path

import click

from keras_vae import datasets
from keras_vae.classifier import (
    MNISTClassifier,
    build_classifier,
    shipped_weights_path,
    train_classifier,
)

MIN_ACCURACY = 0.99


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
    (x_train, y_train), (x_test, y_test) = datasets.load_mnist()
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
