"""The commands that draw images of a model: `generate`, `reconstruct`, `interpolate`, `plot`."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from keras_vae.cli.backend import KerasCommand
from keras_vae.cli.errors import BadInput, user_errors
from keras_vae.cli.inputs import (
    check_label,
    fitted_latent_sampler,
    labels_for,
    load_held_out_images,
    load_model,
    output_file,
)
from keras_vae.cli.options import MODEL, data_options, label_option, latent_sampler_options
from keras_vae.run_directory import RunDirectory


@click.command(cls=KerasCommand)
@MODEL
@click.option("-n", "--count", default=64, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--out",
    default=RunDirectory.SAMPLES,
    show_default=True,
    type=click.Path(path_type=Path),
    help="The PNG grid to write.",
)
@click.option("--npz", type=click.Path(path_type=Path), help="Also save the images (key 'x').")
@click.option(
    "--temperature",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Scale of the prior's standard deviation.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@label_option("Conditional model: draw every image of this class [every class, in order].")
@latent_sampler_options
def generate(
    model: Path,
    count: int,
    out: Path,
    npz: Path | None,
    temperature: float,
    seed: int,
    label: int | None,
    latent_sampler: str,
    gmm_components: int,
) -> None:
    """Draw images from the prior of a trained model (or a mixture fitted to training codes).

    \b
    Example: keras-vae generate runs/conv -n 64 --out grid.png --npz samples.npz
    Conditional: keras-vae generate runs/cvae -n 100 --label 7 --out sevens.png
    """
    from keras_vae import plots

    vae = load_model(model)
    check_label(vae, label)
    sampler = fitted_latent_sampler(model, vae, latent_sampler, gmm_components)
    labels = None if label is None else np.full(count, label)
    images = plots.write_samples(vae, output_file(out), count, seed, temperature, sampler, labels)
    if npz is not None:
        np.savez_compressed(output_file(npz), x=images)
    click.echo(f"wrote {out}" + (f" and {npz} ({images.shape})" if npz else ""))


@click.command(cls=KerasCommand)
@MODEL
@click.option(
    "--out",
    default=RunDirectory.RECONSTRUCTIONS,
    show_default=True,
    type=click.Path(path_type=Path),
)
@click.option("-n", "--count", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--first", default=0, show_default=True, type=click.IntRange(min=0))
@data_options
def reconstruct(
    model: Path, out: Path, count: int, first: int, data: Path | None, binarize: str
) -> None:
    """Show test images over their reconstructions.

    Example: keras-vae reconstruct runs/conv --out recon.png -n 16
    """
    from keras_vae import plots

    vae = load_model(model)
    test = load_held_out_images(model, vae, data, binarize)
    x, labels = test.images, labels_for(vae, test)
    if first >= len(x):
        raise BadInput(f"--first {first} is past the last of the {len(x)} test images.")
    part = slice(first, first + count)
    plots.write_reconstructions(
        vae, x[part], output_file(out), None if labels is None else labels[part]
    )
    click.echo(f"wrote {out}")


@click.command(cls=KerasCommand)
@MODEL
@click.option("--from", "first", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--to", "last", default=1, show_default=True, type=click.IntRange(min=0))
@click.option("--steps", default=10, show_default=True, type=click.IntRange(min=2))
@click.option(
    "--out", default="interpolation.png", show_default=True, type=click.Path(path_type=Path)
)
@label_option("Conditional model: decode the path as this class [the first image's].")
@data_options
def interpolate(
    model: Path,
    first: int,
    last: int,
    steps: int,
    out: Path,
    label: int | None,
    data: Path | None,
    binarize: str,
) -> None:
    """Decode the straight line between two test images' posterior means.

    Example: keras-vae interpolate runs/conv --from 3 --to 7 --steps 10 --out i.png
    """
    from keras_vae import plots

    vae = load_model(model)
    check_label(vae, label)
    test = load_held_out_images(model, vae, data, binarize)
    with user_errors():
        plots.write_interpolation(
            vae, test.images, first, last, steps, output_file(out), labels_for(vae, test), label
        )
    click.echo(f"wrote {out}")


@click.command(cls=KerasCommand)
@MODEL
@click.option(
    "--out",
    default="plots",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help=f"Directory for latent_space.png, manifold.png, {RunDirectory.TRAINING_CURVES}.",
)
@label_option("Conditional model: decode the manifold as this class [0].")
@data_options
def plot(model: Path, out: Path, label: int | None, data: Path | None, binarize: str) -> None:
    """Plot the latent space of the test set, a decoded latent grid, the training curves, and
    a VampPrior's pseudo-inputs.

    Example: keras-vae plot runs/conv --out runs/conv/plots
    """
    from keras_vae import plots

    vae = load_model(model)
    check_label(vae, label)
    test = load_held_out_images(model, vae, data, binarize)
    labels_for(vae, test)
    out.mkdir(parents=True, exist_ok=True)
    with user_errors():
        written = plots.write_latent_plots(vae, test.images, test.labels, out, label=label)
        pseudo_inputs = plots.write_prior_images(vae, out / "pseudo_inputs.png")
    if pseudo_inputs is not None:
        written.append(pseudo_inputs)
    run = RunDirectory.of_model(model)
    if run and run.log.exists():
        curves = out / run.training_curves.name
        plots.plot_training_curves(run.read_log(), curves)
        written.append(curves)
    else:
        click.echo(f"no {RunDirectory.LOG} beside {model}: training curves skipped", err=True)
    click.echo("wrote " + ", ".join(str(path) for path in written))
