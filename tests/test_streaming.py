"""Folders streamed from disk (--stream): images decoded when indexed, batches decoded by Grain
worker processes, training equal to the same folder in memory, and an exact resume."""

import os
import pickle
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_vae import load_vae
from keras_vae.cli import main
from keras_vae.data import DataSource, load_images
from keras_vae.data.batch_order import BatchOrder
from keras_vae.data.image_folder import ImageFolder
from keras_vae.data.streaming import FolderImages, StepBatches, import_grain
from keras_vae.training import TrainingConfig, train
from tests.helpers import synthetic_images


def write_folder(folder, count, labelled=False):
    """Writes `count` synthetic 28x28 grey PNGs (in class folders a/ and b/ if `labelled`);
    returns their uint8 pixels in file-name order."""
    pixels = (synthetic_images(count) * 255).astype("uint8")[..., 0]
    for number, image in enumerate(pixels):
        where = folder / ("ab"[number % 2] if labelled else "")
        where.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image).save(where / f"{number:03d}.png")
    return pixels


@pytest.fixture
def grain():
    """Grain, or a skip where the stream extra is missing (a failure under CI, which installs
    it)."""
    try:
        return import_grain()
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("the stream extra is not installed")


def test_folder_images_decode_what_the_folder_holds_in_memory(tmp_path):
    write_folder(tmp_path / "f", 40, labelled=True)
    Image.new("RGB", (28, 28), (200, 10, 10)).save(tmp_path / "f" / "a" / "red.png")
    (tmp_path / "f" / "b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    options = dict(test_split=8, skip_bad_images=True)
    with pytest.warns(UserWarning, match="Skipping 1 of the 42 image files"):
        (x, y), (x_test, y_test) = ImageFolder(tmp_path / "f", stream=True, **options).read()
    with pytest.warns(UserWarning, match="broken.png"):
        (x_memory, y_memory), (x_test_memory, _) = load_images(tmp_path / "f", **options)
    assert isinstance(x, FolderImages) and isinstance(x_test, np.ndarray)
    # One colour image makes every image three channels, streamed as in memory.
    assert x.shape == x_memory.shape == (33, 28, 28, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(x), x_memory)
    np.testing.assert_array_equal(x_test, x_test_memory)
    np.testing.assert_array_equal(y, y_memory)
    index = np.array([32, 0, 7, 7])
    np.testing.assert_array_equal(x[index], x_memory[index])
    np.testing.assert_array_equal(x[5], x_memory[5])
    np.testing.assert_array_equal(np.asarray(x[3:9]), x_memory[3:9])
    np.testing.assert_allclose(x.mean(axis=0), x_memory.mean(axis=0, dtype="float64"))
    # A mask keeps the images on disk: leaving out a class keeps the folder streamed.
    kept = x[y == 1]
    assert isinstance(kept, FolderImages)
    np.testing.assert_array_equal(np.asarray(kept), x_memory[y_memory == 1])
    # Worker processes get the file names, not the pixels.
    assert len(pickle.dumps(x)) < 40 * len(str(tmp_path / "f" / "a" / "000.png"))
    with pytest.raises(ValueError, match="use --binarize dynamic"):
        DataSource(data=tmp_path / "f", stream=True, binarize="static", **options).load()

    # A file damaged after the check is named, with the way back: --resume.
    first = x.files[0]
    with open(first, "r+b") as file:
        file.truncate(60)
    with pytest.raises(ValueError, match=f"{first}.*has changed since.*--resume"):
        x[np.array([0])]


def test_step_batches_are_the_in_memory_batches_of_each_step(tmp_path):
    write_folder(tmp_path, 20)
    images = load_images(tmp_path, test_split=4)[0][0]
    streamed = ImageFolder(tmp_path, test_split=4, stream=True).read()[0][0]
    order = BatchOrder(16, batch_size=6, seed=3)
    batches = StepBatches(streamed, np.arange(16), order, epochs=2)
    assert len(batches) == 2 * 3  # 16 images in batches of 6: three a epoch
    for step in range(len(batches)):
        epoch, index = divmod(step, 3)
        chosen = order.batch(order.order(epoch), index)
        pixels, labels = batches[step]
        assert pixels.dtype == np.uint8 and labels.tolist() == chosen.tolist()
        np.testing.assert_array_equal(pixels / np.float32(255), images[chosen])
    # Pickled for a worker, it drops its cached order and finds the same batches.
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(batches))[4][0], batches[4][0])


def test_streamed_training_equals_in_memory_and_resumes_exactly(tmp_path, grain):
    write_folder(tmp_path / "folder", 72)
    common = dict(data=tmp_path / "folder", test_split=8, hidden_units=(16,), latent_dim=2,
                  batch_size=16, seed=4, checkpoint_every=1, verbose=0)  # fmt: skip
    train(TrainingConfig(out=tmp_path / "memory", epochs=2, **common))
    # One epoch decoded in the training process, then resumed from the command line with a
    # worker process decoding the second.
    train(TrainingConfig(out=tmp_path / "streamed", epochs=1, stream=True, stream_workers=0,
                         **common))  # fmt: skip
    (tmp_path / "streamed" / "model.keras").unlink()  # resume from the checkpoint alone
    args = ["train", "--data", str(tmp_path / "folder"), "--test-split", "8", "--hidden-units",
            "16", "--latent-dim", "2", "--batch-size", "16", "--seed", "4", "--epochs", "2",
            "--stream", "--stream-workers", "1", "--resume"]  # fmt: skip
    args += ["--out", str(tmp_path / "streamed")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    streamed = load_vae(tmp_path / "streamed" / "model.keras")
    assert int(streamed.optimizer.iterations) == 2 * 4  # 64 training images, 16 a batch
    in_memory = load_vae(tmp_path / "memory" / "model.keras")
    for got, want in zip(streamed.get_weights(), in_memory.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_stream_without_grain_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "grain", None)  # what `import grain` meets without it
    with pytest.raises(ImportError, match=r"pip install 'keras-vae\[stream\]'"):
        import_grain()
