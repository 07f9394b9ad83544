"""`keras-vae export`: the encoder and decoder as ONNX (checked in onnxruntime) or a SavedModel."""

import json
import os

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from keras_vae.export import MissingExporter, check_exporter, export_vae
from tests.helpers import to_numpy, write_labelled_npz

BACKEND = keras.backend.backend()


def _onnx_runtime():
    """Returns onnxruntime, or skips where the export extra is missing (fails under CI, which
    installs it)."""
    try:
        check_exporter("onnx")
        import onnxruntime
    except (MissingExporter, ImportError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the export extra is not installed: {error}")
    return onnxruntime


def _run(session, *inputs):
    return session.run(
        None, {spec.name: x for spec, x in zip(session.get_inputs(), inputs, strict=True)}
    )


@pytest.mark.parametrize(
    "architecture, num_classes",
    [("dense", None), ("conv", None), ("hvae", None), ("dense", 3)],
)
def test_onnx_files_compute_what_the_keras_model_does(tmp_path, architecture, num_classes):
    ort = _onnx_runtime()
    kwargs = {"latent_layers": 2} if architecture == "hvae" else {}
    vae = keras_vae.build_vae(
        architecture, (28, 28, 1), 4, seed=0, num_classes=num_classes, **kwargs
    )
    rng = np.random.default_rng(0)
    x = (rng.random((5, 28, 28, 1)) < 0.3).astype("float32")
    z = rng.normal(size=(5, 4)).astype("float32")
    labels = None if num_classes is None else np.eye(3, dtype="float32")[[0, 2, 1, 1, 0]]
    files = export_vae(vae, tmp_path / "served", "onnx")
    extra = () if labels is None else (labels,)

    encoder = ort.InferenceSession(str(files.encoder))
    assert [o.name for o in encoder.get_outputs()] == ["z_mean", "z_log_var"]
    z_mean, z_log_var = _run(encoder, x, *extra)
    want_mean, want_log_var = vae.encode(x, labels)
    np.testing.assert_allclose(z_mean, to_numpy(want_mean), atol=1e-5)
    np.testing.assert_allclose(z_log_var, to_numpy(want_log_var), atol=1e-5)

    decoder = ort.InferenceSession(str(files.decoder))
    assert [o.name for o in decoder.get_outputs()] == ["image"]
    (images,) = _run(decoder, z, *extra)
    assert images.shape == (5, 28, 28, 1)  # any batch size, not the one traced
    np.testing.assert_allclose(images, to_numpy(vae.decode(z, labels)), atol=1e-5)

    metadata = json.loads(files.metadata.read_text())
    assert metadata["latent_dim"] == 4 and metadata["image_shape"] == [28, 28, 1]
    assert metadata["num_classes"] == num_classes and metadata["backend"] == BACKEND
    assert metadata["likelihood"]["class"] == "Bernoulli"
    assert metadata["prior"]["class"] == "StandardNormal"
    assert metadata["hierarchical"] == (architecture == "hvae")


def test_a_saved_model_serves_the_decoder_or_says_which_backend_writes_one(tmp_path):
    vae = keras_vae.build_vae("dense", (28, 28, 1), 3, hidden_units=(16,), seed=0)
    if BACKEND != "tensorflow":
        with pytest.raises(MissingExporter, match="KERAS_BACKEND=tensorflow"):
            export_vae(vae, tmp_path / "served", "tf_saved_model")
        return
    import tensorflow as tf

    files = export_vae(vae, tmp_path / "served", "tf_saved_model")
    z = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    served = tf.saved_model.load(str(files.decoder))
    np.testing.assert_allclose(np.asarray(served.serve(z)), to_numpy(vae.decode(z)), atol=1e-5)


def test_an_autoregressive_decoder_exports_as_a_saved_model_and_onnx_says_so(tmp_path):
    losses = [keras_vae.losses.PixelCNN(components=2, filters=6, residual_layers=1), "kl"]
    vae = keras_vae.build_vae("conv", (8, 8, 3), 4, filters=(8,), losses=losses, seed=0)
    with pytest.raises(ValueError, match="draws its images pixel by pixel.*tf_saved_model"):
        export_vae(vae, tmp_path / "onnx", "onnx")
    assert not (tmp_path / "onnx").exists()  # refused before anything is written
    if BACKEND != "tensorflow":
        return
    import tensorflow as tf

    served = tf.saved_model.load(
        str(export_vae(vae, tmp_path / "served", "tf_saved_model").decoder)
    )
    z = np.zeros((2, 4), "float32")
    first, second = np.asarray(served.serve(z)), np.asarray(served.serve(z))
    assert first.shape == (2, 8, 8, 3) and np.abs(first - second).max() > 0.1  # fresh draws
    np.testing.assert_allclose(np.rint(first * 255), first * 255, atol=1e-3)  # of 8-bit values


def test_export_command_writes_both_networks_and_metadata(tmp_path):
    _onnx_runtime()
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=100, n_test=20)
    run = tmp_path / "run"
    train = ["train", "--data", str(data), "--out", str(run), "--conditional", "--hidden-units",
             "16", "--latent-dim", "2", "--epochs", "1", "--batch-size", "50"]  # fmt: skip
    assert CliRunner().invoke(main, train).exit_code == 0
    result = CliRunner().invoke(main, ["export", str(run), "--out", str(tmp_path / "served")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "served").iterdir()) == [
        "decoder.onnx",
        "encoder.onnx",
        "vae.json",
    ]
    assert json.loads((tmp_path / "served" / "vae.json").read_text())["num_classes"] == 4
    (tmp_path / "a_file").write_text("keep me")
    result = CliRunner().invoke(main, ["export", str(run), "--out", str(tmp_path / "a_file")])
    assert result.exit_code == 2 and "is a file; export writes a folder" in result.output
    assert (tmp_path / "a_file").read_text() == "keep me"


def test_a_missing_model_or_format_the_backend_cannot_write_is_one_line(tmp_path):
    result = CliRunner().invoke(main, ["export", str(tmp_path / "nope"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    if BACKEND != "tensorflow":
        result = CliRunner().invoke(
            main, ["export", "x", "--format", "tf_saved_model", "--out", str(tmp_path)]
        )
        assert result.exit_code == 2
        assert f"tf_saved_model export from {BACKEND}" in result.output
    with pytest.raises(ValueError, match="Unknown export format 'tflite'"):
        check_exporter("tflite")


def test_a_missing_converter_names_the_extra_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "onnx" else real(name, *a)
    )
    extra = "export-jax" if BACKEND == "jax" else "export"
    with pytest.raises(MissingExporter, match=rf"needs onnx.*pip install 'keras-vae\[{extra}\]'"):
        check_exporter("onnx")


def test_an_endpoint_saves_and_loads_with_its_vae(tmp_path):
    from keras_vae.export import DecoderEndpoint

    vae = keras_vae.build_vae("dense", (28, 28, 1), 3, hidden_units=(16,), seed=0)
    z = np.random.default_rng(0).normal(size=(2, 3)).astype("float32")
    endpoint = DecoderEndpoint(vae)
    endpoint(z)
    endpoint.save(tmp_path / "decoder.keras")
    loaded = keras.models.load_model(tmp_path / "decoder.keras")
    np.testing.assert_allclose(to_numpy(loaded(z)), to_numpy(endpoint(z)), atol=1e-6)
