"""scripts/kingma_m1.py: Kingma et al.'s shipped M1 weights become a run M2 can read."""

import io
import runpy
import tarfile
from pathlib import Path

import numpy as np
import pytest

from keras_vae.saving import load_vae
from keras_vae.training.m1_codes import M1Codes
from tests.helpers import run_script, to_numpy, write_labelled_npz

SCRIPT = Path(__file__).parents[1] / "scripts" / "kingma_m1.py"


def write_ndict(path, arrays):
    """Writes `arrays` as their code's `ndict.savez` does: a tar.gz of arrays.npz, names.txt."""
    npz = io.BytesIO()
    np.savez(npz, *arrays.values())
    names = "".join(f"{name}\n" for name in arrays).encode()
    with tarfile.open(path, "w:gz") as archive:
        for name, content in (("arrays.npz", npz.getvalue()), ("names.txt", names)):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))


def their_weights(folder, hidden=500, seed=0):
    """Writes random weights in the layout of their 784-hidden-hidden-50 M1; returns them."""
    rng = np.random.default_rng(seed)

    def layer(outputs, inputs):
        return (rng.normal(0, 0.05, (outputs, inputs)).astype("float32"),
                rng.normal(0, 0.5, (outputs, 1)).astype("float32"))  # fmt: skip

    v, w = {}, {}
    v["w0"], v["b0"] = layer(hidden, 784)
    v["w1"], v["b1"] = layer(hidden, hidden)
    v["mean_w"], v["mean_b"] = layer(50, hidden)
    v["logvar_w"], v["logvar_b"] = layer(50, hidden)
    w["w0"], w["b0"] = layer(hidden, 50)
    w["w1"], w["b1"] = layer(hidden, hidden)
    w["out_w"], w["out_b"] = layer(784, hidden)
    folder.mkdir(parents=True, exist_ok=True)
    write_ndict(folder / "v.ndict.tar.gz", v)
    write_ndict(folder / "w.ndict.tar.gz", w)
    return v, w


def softplus_mlp(x, params, names):
    """Their networks in NumPy: softplus hidden layers, (outputs, inputs) weights."""
    h = x.T
    for matrix, bias in names[:-1]:
        h = np.logaddexp(0.0, params[matrix] @ h + params[bias])
    matrix, bias = names[-1]
    return (params[matrix] @ h + params[bias]).T


def test_their_m1_weights_become_a_run_whose_codes_m2_reads(tmp_path, monkeypatch, capsys):
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=10_200, n_test=100)
    v, w = their_weights(tmp_path / "longrun")
    out = tmp_path / "kingma-m1"
    printed = run_script(SCRIPT, "--weights", tmp_path / "longrun", "--data", data, "--out", out,
                         monkeypatch=monkeypatch, capsys=capsys)  # fmt: skip
    assert "validation ELBO -" in printed

    model = load_vae(out)
    x = np.load(data)["x_test"][:8].reshape(8, 784).astype("float32") / 255
    mean, log_var = (to_numpy(t) for t in model.encoder(x.reshape(8, 28, 28, 1)))
    hidden = [("w0", "b0"), ("w1", "b1")]
    np.testing.assert_allclose(mean, softplus_mlp(x, v, [*hidden, ("mean_w", "mean_b")]),
                               rtol=1e-4, atol=1e-4)  # fmt: skip
    np.testing.assert_allclose(log_var, softplus_mlp(x, v, [*hidden, ("logvar_w", "logvar_b")]),
                               rtol=1e-4, atol=1e-4)  # fmt: skip
    z = np.random.default_rng(1).normal(size=(4, 50)).astype("float32")
    logits = to_numpy(model.decoder(z)).reshape(4, 784)
    np.testing.assert_allclose(logits, softplus_mlp(z, w, [*hidden, ("out_w", "out_b")]),
                               rtol=1e-4, atol=1e-4)  # fmt: skip

    (codes, labels), (test_codes, _) = M1Codes(out).read()
    assert len(codes) == 10_200 and len(labels) == 10_200
    assert test_codes.shape[0] == 100 and 0 < test_codes.shape[-1] <= 50

    saved = (out / "model.keras").read_bytes()
    argv = [SCRIPT, "--weights", tmp_path / "longrun", "--data", data, "--out", out]
    monkeypatch.setattr("sys.argv", [str(arg) for arg in argv])
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert stopped.value.code != 0 and "holds a run already" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == saved


def test_weights_of_another_network_are_refused_by_name(tmp_path, monkeypatch):
    data = write_labelled_npz(tmp_path / "bars.npz", n_train=10_200, n_test=100)
    their_weights(tmp_path / "wide", hidden=600)
    argv = [SCRIPT, "--weights", tmp_path / "wide", "--data", data, "--out", tmp_path / "m1"]
    monkeypatch.setattr("sys.argv", [str(arg) for arg in argv])
    with pytest.raises(ValueError, match="w0 is \\(600, 784\\).*another network"):
        runpy.run_path(str(SCRIPT), run_name="__main__")
    assert not (tmp_path / "m1").exists()
