"""Every wrong input gets one clear error: a ValueError/TypeError from the library, exit code 2
and one line from the command line, and no file already saved is lost."""

import hashlib
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from keras_vae import build_vae, get_architecture, get_loss, load_vae
from keras_vae.cli import main
from keras_vae.data import load_images
from keras_vae.training import TrainingConfig, train
from tests.helpers import write_strokes_npz


def cli_error(*args) -> str:
    """Runs `keras-vae ARGS`, which must fail on its input: exit 2, one `Error:` line (click
    puts its usage line above errors in a flag's value), no traceback."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 2, result.output + repr(result.exception)
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    return errors[0]


def snapshot(directory: Path) -> dict[str, str]:
    """Every file under `directory` with the hash of its bytes."""
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished one-epoch run whose files no bad command may touch."""
    data = write_strokes_npz(tmp_path_factory.mktemp("data") / "strokes.npz", 128, 32)
    out = tmp_path_factory.mktemp("run")
    config = TrainingConfig(data=data, out=out, hidden_units=(8,), latent_dim=2, batch_size=32,
                            epochs=1, checkpoint_every=1, verbose=0)  # fmt: skip
    train(config, overwrite=True)
    return out, data


@pytest.fixture
def model():
    vae = build_vae("dense", latent_dim=2, hidden_units=(8,))
    vae.compile(optimizer="adam")
    return vae


def write_npz(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def grey(n, shape=(28, 28, 1)):
    return np.random.default_rng(0).uniform(0, 1, (n, *shape)).astype("float32")


# --- each bad input: the library's error, then the command line's -----------------------


@pytest.mark.parametrize(
    "images, message",
    [
        (grey(4, (28, 28)), "add the channel axis"),
        (grey(4, (32, 32, 1)), "the model takes (28, 28, 1)"),
        (grey(4, (28, 28, 3)), "the model takes (28, 28, 1)"),
    ],
    ids=["rank", "size", "channels"],
)
def test_images_of_the_wrong_rank_or_size(model, images, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        model.fit(images, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="the model takes"):
        model.evaluate(images, verbose=0)


def test_images_of_the_wrong_size_at_the_command_line(finished_run, tmp_path):
    run, _ = finished_run
    before = snapshot(run)
    big = write_npz(tmp_path / "big.npz", x_train=grey(8, (32, 32, 1)), x_test=grey(8, (32, 32, 1)))
    output = cli_error("evaluate", run / "model.keras", "--data", big)
    assert "(28, 28, 1)" in output and "(32, 32, 1)" in output
    flat = write_npz(tmp_path / "flat.npz", x_train=grey(8, (784,)), x_test=grey(8, (784,)))
    output = cli_error("train", "--data", flat, "--out", tmp_path / "o")
    assert "expected (N, H, W) or (N, H, W, C) images" in output
    assert snapshot(run) == before


def test_non_finite_pixels(model, tmp_path):
    images = grey(6)
    images[4, 3, 3, 0] = np.nan
    images[5, 0, 0, 0] = np.inf
    with pytest.raises(ValueError, match="2 NaN or infinite pixel values .first in image 4."):
        model.fit(images, verbose=0)
    path = write_npz(tmp_path / "nan.npz", x_train=images, x_test=grey(2))
    assert "NaN or infinite" in cli_error("train", "--data", path, "--out", tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_pixels_outside_0_1_for_a_bernoulli_likelihood(model, tmp_path):
    images = grey(4) * 255
    with pytest.raises(ValueError, match="divide by 255"):
        model.fit(images, verbose=0)
    # The Gaussian likelihood is defined for any pixel value: no error there.
    gaussian = build_vae("dense", latent_dim=2, hidden_units=(8,), losses=["gaussian", "kl"])
    gaussian.compile(optimizer="adam")
    gaussian.fit(images, epochs=1, verbose=0)
    path = write_npz(tmp_path / "raw.npz", x_train=images, x_test=grey(2) * 255)
    output = cli_error("train", "--data", path, "--out", tmp_path / "o", "--limit", 4)
    assert "[0, 1]" in output and "by 255" in output


def test_empty_dataset(model, tmp_path):
    with pytest.raises(ValueError, match="no images"):
        model.fit(grey(0), verbose=0)
    path = write_npz(tmp_path / "empty.npz", x_train=grey(0), x_test=grey(0))
    assert "no images" in cli_error("train", "--data", path, "--out", tmp_path / "o")


def test_labels_and_images_of_different_lengths(model, tmp_path):
    with pytest.raises(ValueError, match="3 labels for 4 images"):
        model.fit(grey(4), np.zeros(3), verbose=0)
    x = (grey(8) * 255).astype("uint8")
    path = write_npz(tmp_path / "labels.npz", x_train=x, y_train=np.zeros(7), x_test=x)
    with pytest.raises(ValueError, match="7 labels for 8 images"):
        load_images(path)
    assert "7 labels for 8 images" in cli_error("train", "--data", path, "--out", tmp_path / "o")


def test_unknown_architecture_or_loss_suggests_the_closest_name():
    with pytest.raises(ValueError, match="Did you mean 'resnet'"):
        get_architecture("resent")
    with pytest.raises(ValueError, match="Did you mean 'bernoulli'"):
        get_loss("bernouli")
    with pytest.raises(ValueError, match="Did you mean 'conv'"):
        build_vae("cnv")
    assert "Did you mean 'resnet'" in cli_error("train", "--architecture", "resent")
    assert "Did you mean 'laplace'" in cli_error("train", "--likelihood", "laplce")


def test_bad_model_files(finished_run, tmp_path):
    run, _ = finished_run
    before = snapshot(run)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes((run / "model.keras").read_bytes()[:3000])
    text = tmp_path / "text.keras"
    text.write_text("not a model")
    foreign = tmp_path / "foreign.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(foreign)
    hollow = tmp_path / "hollow.keras"
    with zipfile.ZipFile(hollow, "w") as archive:
        archive.writestr("config.json", "{not json")
    cases = [(truncated, "not a .keras model file"), (text, "not a .keras model file"),
             (foreign, "not a keras_vae VAE"), (hollow, "Could not load")]  # fmt: skip
    for path, message in cases:
        with pytest.raises(ValueError, match=message):
            load_vae(path)
        assert message in cli_error("generate", path, "--out", tmp_path / "samples.png")
    assert not (tmp_path / "samples.png").exists()
    assert snapshot(run) == before


def test_output_directory_that_is_not_writable(finished_run, tmp_path):
    _, data = finished_run
    blocker = tmp_path / "a_file"
    blocker.write_text("keep me")
    out = blocker / "run"  # a directory cannot be made inside a file
    config = TrainingConfig(data=data, out=out, hidden_units=(8,), latent_dim=2, epochs=1)
    with pytest.raises(ValueError, match="Cannot write to the output directory"):
        train(config)
    assert "choose a writable --out" in cli_error("train", "--data", data, "--out", out)
    assert blocker.read_text() == "keep me"


@pytest.mark.parametrize("latent_dim", [0, -3])
def test_latent_dim_below_one(latent_dim):
    with pytest.raises(ValueError, match="latent_dim must be an int >= 1"):
        build_vae("conv", latent_dim=latent_dim)
    assert "latent-dim" in cli_error("train", "--latent-dim", latent_dim)


def test_batch_size_larger_than_the_dataset(finished_run, tmp_path):
    _, data = finished_run
    config = TrainingConfig(data=data, out=tmp_path / "o", batch_size=500, epochs=1)
    with pytest.raises(ValueError, match="batch_size 500 is larger than the 128 training images"):
        train(config)
    output = cli_error("train", "--data", data, "--out", tmp_path / "o2", "--batch-size", 500)
    assert "lower --batch-size" in output


def test_a_non_empty_output_directory_needs_resume_or_overwrite(finished_run):
    run, data = finished_run
    before = snapshot(run)
    config = TrainingConfig(data=data, out=run, hidden_units=(8,), latent_dim=2, epochs=1)
    with pytest.raises(FileExistsError, match="pass --resume .continue that run. or --overwrite"):
        train(config)
    assert "--overwrite" in cli_error("train", "--data", data, "--out", run)
    assert "already trained 1 epochs" in cli_error("train", "--out", run, "--resume", "--epochs", 1)
    assert snapshot(run) == before
