"""Export a trained VAE for serving: its encoder (image -> z_mean, z_log_var) and its decoder
(z -> mean image) as separate artifacts written by Keras's own `Model.export`, with a JSON of
what a server needs to feed them (latent size, image shape, prior, likelihood).

Which format each backend can write is Keras's: ONNX from every backend (its converter, tf2onnx,
jax2onnx or torch.onnx, in the `export` extras); a TensorFlow SavedModel from TensorFlow only
here, since from JAX it needs TensorFlow as well and from PyTorch torch_xla too.
"""

from __future__ import annotations

import importlib.util
import json
import os
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from keras_vae.atomic_files import atomic_path
from keras_vae.models.vae import VAE

FORMATS = ("onnx", "tf_saved_model")
# The ONNX graphs' output names, in order; each converter names them its own way otherwise.
OUTPUTS = {"encoder": ("z_mean", "z_log_var"), "decoder": ("image",)}
METADATA = "vae.json"
_FORMAT_VERSION = 1  # of the metadata file; bump on an incompatible change

# What Keras's exporter imports, per format and backend: (modules, the extra that installs them).
_NEEDS = {
    ("onnx", "jax"): (("onnx", "jax2onnx"), "export-jax"),
    ("onnx", "tensorflow"): (("onnx", "tf2onnx"), "export"),
    ("onnx", "torch"): (("onnx", "onnxscript"), "export"),
    ("tf_saved_model", "tensorflow"): ((), None),
}
_CANNOT = {
    ("tf_saved_model", "jax"): "Keras writes a SavedModel from JAX through TensorFlow (jax2tf), "
    "which this backend's install leaves out: export with --format onnx, or with "
    "KERAS_BACKEND=tensorflow (the .keras file loads on any backend).",
    ("tf_saved_model", "torch"): "Keras writes a SavedModel from PyTorch through TensorFlow and "
    "torch_xla: export with --format onnx, or with KERAS_BACKEND=tensorflow (the .keras file "
    "loads on any backend).",
}


@dataclass(frozen=True)
class ExportedVAE:
    """The files `export_vae` wrote.

    Attributes:
        encoder: image (batch, H, W, C) in [0, 1] [, one-hot labels] -> z_mean, z_log_var.
        decoder: z (batch, latent_dim) [, one-hot labels] -> mean image (batch, H, W, C).
        metadata: the JSON that describes both.
    """

    encoder: Path
    decoder: Path
    metadata: Path


class MissingExporter(RuntimeError):
    """Raised when this backend cannot write a format, or its converter is not installed."""


class _Endpoint(keras.Model):
    """One network of a VAE as a model of its own, the VAE saved in its config."""

    def __init__(self, vae: VAE, **kwargs):
        super().__init__(**kwargs)
        self.vae = vae

    def get_config(self) -> dict:
        return {"name": self.name, "vae": keras.saving.serialize_keras_object(self.vae)}

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        return cls(keras.saving.deserialize_keras_object(config.pop("vae")), **config)


@keras.saving.register_keras_serializable(package="keras_vae")
class EncoderEndpoint(_Endpoint):
    """q(z | x) of a VAE: (images[, one-hot labels]) -> (z_mean, z_log_var). For a hierarchy,
    the top layer's."""

    def call(self, inputs):
        images, labels = self.vae.labelling.split_inputs(inputs)
        return self.vae.encode(images, labels)


@keras.saving.register_keras_serializable(package="keras_vae")
class DecoderEndpoint(_Endpoint):
    """p(x | z) of a VAE: (z[, one-hot labels]) -> mean image (a draw for an autoregressive
    likelihood: `VAE.decode`). For a hierarchy, z is the top layer's code, the layers below at
    their conditional priors' means."""

    def call(self, inputs):
        z, labels = self.vae.labelling.split_inputs(inputs)
        return self.vae.decode(z, labels)


def check_exporter(format: str, backend: str | None = None) -> None:
    """Raises `MissingExporter`, in one line saying what to do, if `format` cannot be written
    from `backend` (the active one by default) here."""
    backend = backend or keras.backend.backend()
    if format not in FORMATS:
        raise ValueError(f"Unknown export format {format!r}; choose one of {', '.join(FORMATS)}.")
    if (format, backend) in _CANNOT:
        raise MissingExporter(f"{format} export from {backend}: {_CANNOT[format, backend]}")
    modules, extra = _NEEDS.get((format, backend), ((), None))
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExporter(
            f"{format} export from {backend} needs {', '.join(missing)}: "
            f"pip install 'keras-vae[{extra}]'"
        )


def export_vae(vae: VAE, out: str | os.PathLike, format: str = "onnx") -> ExportedVAE:
    """Writes `vae`'s encoder and decoder to the folder `out` in `format`, and `vae.json`.

    ONNX files are `encoder.onnx` and `decoder.onnx`; SavedModels the folders `encoder/` and
    `decoder/` (each with one endpoint, `serve`). Every input has a free batch size.

    Raises:
        MissingExporter: this backend cannot write `format`, or its converter is missing.
    """
    check_exporter(format)
    if format == "onnx" and vae.likelihood.autoregressive:
        raise ValueError(
            f"The {type(vae.likelihood).__name__} likelihood's decoder draws its images pixel "
            "by pixel from random numbers, which no ONNX converter takes: export it with "
            "--format tf_saved_model under KERAS_BACKEND=tensorflow (its decoder returns a "
            "fresh draw per call), or serve the .keras file."
        )
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out} is a file; export writes a folder: give a new or existing one.")
    out.mkdir(parents=True, exist_ok=True)
    image_spec = keras.InputSpec(shape=(None, *vae.image_shape), dtype="float32", name="images")
    z_spec = keras.InputSpec(shape=(None, vae.latent_dim), dtype="float32", name="z")
    suffix = ".onnx" if format == "onnx" else ""
    written = []
    for endpoint, spec, name in (
        (EncoderEndpoint(vae), image_spec, "encoder"),
        (DecoderEndpoint(vae), z_spec, "decoder"),
    ):
        beside = vae.labelling.input_specs()  # a conditional model's one-hot labels
        signature = [[spec, *beside]] if beside else [spec]
        _build(endpoint, signature)
        path = out / f"{name}{suffix}"
        endpoint.export(str(path), format=format, input_signature=signature, verbose=False)
        if format == "onnx":
            _name_outputs(path, OUTPUTS[name])
        written.append(path)
    metadata = out / METADATA
    with atomic_path(metadata) as temporary:
        Path(temporary).write_text(json.dumps(describe(vae, format), indent=2) + "\n")
    return ExportedVAE(written[0], written[1], metadata)


def describe(vae: VAE, format: str) -> dict:
    """Returns what a server needs to know of the exported networks, as JSON-ready values."""
    return {
        "format_version": _FORMAT_VERSION,
        "format": format,
        "backend": keras.backend.backend(),
        "latent_dim": vae.latent_dim,
        "image_shape": list(vae.image_shape),
        "pixel_range": [0.0, 1.0],
        "num_classes": vae.num_classes,
        "prior": _name_and_config(vae.prior),
        "likelihood": _name_and_config(vae.likelihood),
        "hierarchical": bool(getattr(vae, "hierarchical", False)),
        "encoder": {
            "inputs": ["images", *vae.labelling.input_names()],
            "outputs": list(OUTPUTS["encoder"]),
        },
        "decoder": {
            "inputs": ["z", *vae.labelling.input_names()],
            "outputs": list(OUTPUTS["decoder"]),
        },
    }


def _name_and_config(thing) -> dict:
    config = {
        key: value
        for key, value in thing.get_config().items()
        if isinstance(value, (int, float, str, bool, type(None)))
    }
    return {"class": type(thing).__name__, **config}


def _build(endpoint: keras.Model, signature: list) -> None:
    """Calls `endpoint` once on zeros, as `Model.export` needs a model that has been called."""

    def zeros(spec):
        return np.zeros((1, *spec.shape[1:]), spec.dtype)

    inputs = (
        [zeros(s) for s in signature[0]] if isinstance(signature[0], list) else zeros(signature[0])
    )
    endpoint(inputs)


def _name_outputs(path: Path, names: tuple[str, ...]) -> None:
    """Renames the outputs of the ONNX graph at `path` to `names` (an Identity node each)."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    if len(graph.output) != len(names):
        raise RuntimeError(f"{path}: expected {len(names)} outputs, found {len(graph.output)}.")
    for output, name in zip(graph.output, names, strict=True):
        graph.node.append(onnx.helper.make_node("Identity", [output.name], [name]))
        output.name = name
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
