"""Makes the M1 that Kingma et al. (2014) ship with their code a `keras-vae train` run, so that
M2 can be trained on its codes (`--dataset m1_codes --data OUT`).

Their M1 (github.com/dpkingma/nips14-ssl, `models/mnist_z_x_50-500-500_longrun`, the model
their M1+M2 reads) is the `m1-mnist` preset's network: 784-500-500-50 softplus MLPs with a
Bernoulli decoder. Its weights are two `.ndict.tar.gz` archives (an `arrays.npz` and a
`names.txt` inside a tar), the encoder's (`v.ndict.tar.gz`) and the decoder's
(`w.ndict.tar.gz`), each matrix (outputs, inputs) and each bias a column:

    git clone https://github.com/dpkingma/nips14-ssl
    KERAS_BACKEND=jax python scripts/kingma_m1.py \\
        --weights nips14-ssl/models/mnist_z_x_50-500-500_longrun --out runs/kingma-m1
    keras-vae train --preset m1m2-mnist --data runs/kingma-m1 --labelled-seed 0 --out runs/m1m2k

It prints the model's ELBO on the validation images (binarised once, with --seed), so that a
wrong conversion shows (theirs is near -90 nats; an untrained model's near -540).
"""

from __future__ import annotations

import dataclasses
import tarfile
from pathlib import Path

import click
import keras
import numpy as np

from keras_vae.data.binarize import binarize_stochastic
from keras_vae.run_directory import RunDirectory
from keras_vae.training.config import TrainingConfig, write_config
from keras_vae.training.presets import PRESETS
from keras_vae.training.start import build_model, load_data

ENCODER_LAYERS = ("w0", "b0"), ("w1", "b1"), ("mean_w", "mean_b"), ("logvar_w", "logvar_b")
DECODER_LAYERS = ("w0", "b0"), ("w1", "b1"), ("out_w", "out_b")


def read_ndict(path: Path) -> dict[str, np.ndarray]:
    """Returns the arrays of one of their `.ndict.tar.gz` archives by name."""
    if not path.exists():
        raise click.BadParameter(
            f"{path} does not exist; --weights takes the folder of their model, e.g. "
            "nips14-ssl/models/mnist_z_x_50-500-500_longrun, with v.ndict.tar.gz and "
            "w.ndict.tar.gz."
        )
    with tarfile.open(path, "r:gz") as archive:
        arrays = np.load(archive.extractfile("arrays.npz"), allow_pickle=False)
        names = archive.extractfile("names.txt").read().decode().split()
        return {name: arrays[f"arr_{i}"] for i, name in enumerate(names)}


def set_dense_weights(model: keras.Model, arrays: dict, names) -> None:
    """Sets the Dense layers of `model`, in order, to `arrays`' (outputs, inputs) matrices and
    column biases named by `names`' (matrix, bias) pairs."""
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if len(dense) != len(names):
        raise ValueError(f"{model.name} has {len(dense)} Dense layers; expected {len(names)}.")
    for layer, (matrix, bias) in zip(dense, names, strict=True):
        kernel, column = arrays[matrix].T, arrays[bias][:, 0]
        if kernel.shape != tuple(layer.kernel.shape):
            raise ValueError(
                f"{matrix} is {arrays[matrix].shape}, not the {tuple(layer.kernel.shape)[::-1]} "
                f"of {model.name}'s {layer.name}: these weights are of another network."
            )
        layer.set_weights([kernel, column])


def validation_elbo(model, x: np.ndarray, seed: int) -> float:
    """Returns the model's mean ELBO (nats) on `x` binarised once with `seed`."""
    results = model.evaluate(
        binarize_stochastic(x, seed), batch_size=1000, verbose=0, return_dict=True
    )
    return -float(results["loss"])


@click.command()
@click.option("--weights", required=True, type=click.Path(path_type=Path),
              help="their model's folder (v.ndict.tar.gz, w.ndict.tar.gz)")  # fmt: skip
@click.option("--data", type=click.Path(exists=True, path_type=Path), help="[MNIST]")
@click.option("--out", required=True, type=click.Path(path_type=Path))
@click.option("--seed", default=0, show_default=True)
def main(weights: Path, data: Path | None, out: Path, seed: int) -> None:
    """Writes their M1 as the run OUT of the m1-mnist preset, trained for no epochs here."""
    run = RunDirectory(out)
    if run.config.exists():
        raise click.UsageError(f"{out} holds a run already; give --out a new directory.")
    encoder = read_ndict(weights / "v.ndict.tar.gz")
    decoder = read_ndict(weights / "w.ndict.tar.gz")
    config = TrainingConfig(**{**PRESETS["m1-mnist"], "data": data, "out": out, "seed": seed})
    (x_train, _), _ = load_data(config)
    model = build_model(config, x_train.shape[1:])
    set_dense_weights(model.encoder, encoder, ENCODER_LAYERS)
    set_dense_weights(model.decoder, decoder, DECODER_LAYERS)
    validation = x_train[-config.validation_images(len(x_train)) :]
    elbo = validation_elbo(model, np.asarray(validation, "float32"), seed)
    run.prepare()
    model.save(run.model)
    write_config(dataclasses.replace(config, epochs=0), run.config, keras.backend.backend())
    click.echo(f"their M1 in {run.path}: validation ELBO {elbo:.2f} nats ({len(validation)} "
               "images binarised once)")  # fmt: skip


if __name__ == "__main__":
    main()
