"""Write MNIST with 1,000 stroke images in place of its test 9s: the case where a likelihood
fails as an anomaly score.

A model of the digits 0-8 finds one or two straight strokes, which are simpler than any digit,
*more* likely than its own test digits (Nalisnick et al., 2019); `keras-vae score --score
complexity` corrects for it. The strokes have label 10:

    python examples/simpler_images.py --out simpler.npz
    keras-vae score runs/no9 --data simpler.npz --score complexity --anomalous-labels 10
"""

from pathlib import Path

import click
import numpy as np

from keras_vae.data import load_mnist

STROKE_LABEL = 10


def stroke_images(n: int, seed: int = 0) -> np.ndarray:
    """Returns n uint8 28x28 images of one or two straight strokes, 2 pixels wide, each
    horizontal or vertical, 6 to 21 pixels long."""
    rng = np.random.default_rng(seed)
    images = np.zeros((n, 28, 28), np.uint8)
    for image in images:
        for _ in range(rng.integers(1, 3)):
            length = rng.integers(6, 22)
            start = rng.integers(3, 26 - length)  # the stroke ends by pixel 25
            across = rng.integers(4, 22)
            if rng.random() < 0.5:
                image[across : across + 2, start : start + length] = 255
            else:
                image[start : start + length, across : across + 2] = 255
    return images


def _uint8(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28, 1) floats in [0, 1] as (N, 28, 28) uint8, Keras's MNIST layout."""
    return np.rint(images[..., 0] * 255.0).astype(np.uint8)


@click.command()
@click.option("--out", default="simpler.npz", show_default=True, type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(exists=True, path_type=Path), help="MNIST's .npz [found].")
@click.option("--strokes", default=1000, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
def main(out: Path, data: Path | None, strokes: int, seed: int) -> None:
    """Write MNIST's training set, and its test digits 0-8 with stroke images (label 10)."""
    (x_train, y_train), (x_test, y_test) = load_mnist(data)
    digits = y_test != 9
    x = np.concatenate([_uint8(x_test[digits]), stroke_images(strokes, seed)])
    y = np.concatenate([y_test[digits], np.full(strokes, STROKE_LABEL)])
    np.savez_compressed(out, x_train=_uint8(x_train), y_train=y_train, x_test=x, y_test=y)
    click.echo(f"wrote {out}: {int(digits.sum())} test digits 0-8 and {strokes} strokes")


if __name__ == "__main__":
    main()
