"""The commands that serve a model: `export` (ONNX, SavedModel) and `explore` (the browser)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from keras_vae.cli.backend import KerasCommand
from keras_vae.cli.errors import BadInput, user_errors
from keras_vae.cli.inputs import load_held_out_images, load_model
from keras_vae.cli.options import MODEL, data_options


@click.command(name="export", cls=KerasCommand)
@MODEL
@click.option(
    "--format",
    "export_format",
    type=click.Choice(["onnx", "tf_saved_model"]),
    default="onnx",
    show_default=True,
    help="onnx: from every backend; tf_saved_model: from the TensorFlow backend.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the encoder, the decoder and vae.json (created if missing).",
)
def export_command(model: Path, export_format: str, out: Path) -> None:
    """Export the encoder (image -> z_mean, z_log_var) and decoder (z -> mean image) for serving.

    \b
    Example: keras-vae export runs/conv --format onnx --out served/
    """
    from keras_vae.export import MissingExporter, check_exporter, export_vae

    try:  # before loading the model: a missing converter is known in a moment
        check_exporter(export_format)
    except MissingExporter as error:
        raise BadInput(str(error)) from None
    vae = load_model(model)
    with user_errors():  # e.g. --out names a file
        files = export_vae(vae, out, export_format)
    click.echo(f"wrote {files.encoder}, {files.decoder}, {files.metadata}")


@click.command(cls=KerasCommand)
@MODEL
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=0,
    type=click.IntRange(0, 65535),
    help="Port to listen on [a free one, printed].",
)
@click.option(
    "--points",
    default=2000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Test images shown in the latent plane (the first N).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the page in a browser.")
@data_options
def explore(
    model: Path,
    host: str,
    port: int,
    points: int,
    open_browser: bool,
    data: Path | None,
    binarize: str,
) -> None:
    """Explore the latent space in the browser: a pad, sliders, the test set's codes,
    interpolations and samples, decoded live.

    \b
    Example: keras-vae explore runs/conv --port 8000
    """
    from keras_vae.explorer import check_installed

    try:
        check_installed()
    except ImportError as error:
        raise BadInput(str(error)) from None
    from keras_vae.explorer.latent_space import LatentSpace
    from keras_vae.explorer.server import ExplorerServer

    vae = load_model(model)
    test = load_held_out_images(model, vae, data, binarize)
    labels = None if test.labels is None else np.asarray(test.labels)[:points]
    with user_errors():
        space = LatentSpace(vae, test.images[:points], labels, test.grey_images[:points])
    space.warm_up()
    try:
        server = ExplorerServer(space, host, port)
    except OSError as error:
        raise BadInput(str(error)) from None
    click.echo(f"keras-vae explore: {server.url} (Ctrl-C to stop)")
    if open_browser:
        import webbrowser

        webbrowser.open(server.url)
    server.run()
