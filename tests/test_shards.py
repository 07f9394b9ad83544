"""Datasets of `.npy` shards: read on demand, shuffled across shards, trained on exactly like the
same images in memory."""

import numpy as np
import pytest

from keras_vae import load_vae
from keras_vae.data import ImageBatches, ShardedImages, load_images, open_shards
from keras_vae.training import TrainingConfig, train
from tests.helpers import synthetic_images


def write_shards(directory, images, sizes, test):
    """Writes `images` (uint8) as train shards of the given sizes, and `test` as one shard."""
    (directory / "train").mkdir(parents=True)
    (directory / "test").mkdir()
    start = 0
    for number, size in enumerate(sizes):
        np.save(directory / "train" / f"{number:03d}.npy", images[start : start + size])
        start += size
    np.save(directory / "test" / "000.npy", test)
    return directory


@pytest.fixture
def strokes():
    x = (synthetic_images(300) * 255).astype("uint8")[..., 0]
    return x[:256], x[256:]


def test_sharded_images_read_like_the_array_they_split(tmp_path, strokes):
    train_images, test_images = strokes
    write_shards(tmp_path, train_images, [100, 56, 100], test_images)
    shards, test = open_shards(tmp_path)
    expected = train_images[..., None].astype("float32") / 255
    assert isinstance(shards, ShardedImages) and shards.shape == (256, 28, 28, 1)
    assert len(shards.shards) == 3
    index = np.array([255, 0, 99, 100, 155, 156, 7, 7])  # any order, across every shard
    np.testing.assert_array_equal(shards[index], expected[index])
    np.testing.assert_array_equal(np.asarray(shards[90:160]), expected[90:160])
    assert shards[90:160].shape == (70, 28, 28, 1)
    np.testing.assert_allclose(shards.mean(axis=0), expected.mean(axis=0, dtype="float64"))
    np.testing.assert_array_equal(test, test_images[..., None].astype("float32") / 255)
    # load_images takes the directory as it takes an .npz.
    (x_train, y_train), (x_test, _) = load_images(tmp_path)
    assert isinstance(x_train, ShardedImages) and y_train is None and len(x_test) == 44


def test_batches_mix_shards_and_cover_each_image_once_per_epoch(tmp_path):
    # Every image of shard k has the value k, so a batch shows which shards it came from.
    images = np.repeat(np.arange(4, dtype="uint8"), 64)[:, None, None] * np.ones((1, 4, 4), "uint8")
    write_shards(tmp_path, images, [64] * 4, images[:8])
    shards, _ = open_shards(tmp_path)
    batches = ImageBatches(shards, batch_size=32, seed=1)
    seen = np.concatenate([batches[i][0] for i in range(len(batches))])
    assert len({round(float(v) * 255) for v in batches[0][0][:, 0, 0, 0]}) > 1
    np.testing.assert_array_equal(
        np.sort(np.round(seen[:, 0, 0, 0] * 255)), np.sort(images[:, 0, 0].astype("float64"))
    )


def test_training_on_shards_equals_training_on_the_same_images_in_memory(tmp_path, strokes):
    train_images, test_images = strokes
    write_shards(tmp_path / "shards", train_images, [100, 56, 100], test_images)
    np.savez(tmp_path / "same.npz", x_train=train_images, x_test=test_images)
    common = dict(hidden_units=(16,), latent_dim=2, batch_size=32, epochs=2, seed=4, verbose=0)
    train(TrainingConfig(data=tmp_path / "shards", out=tmp_path / "a", **common))
    train(TrainingConfig(data=tmp_path / "same.npz", out=tmp_path / "b", **common))
    streamed = load_vae(tmp_path / "a" / "model.keras").get_weights()
    in_memory = load_vae(tmp_path / "b" / "model.keras").get_weights()
    for got, want in zip(streamed, in_memory, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_bad_shards_get_clear_errors(tmp_path, strokes):
    train_images, test_images = strokes
    write_shards(tmp_path / "mixed", train_images, [100, 156], test_images)
    np.save(tmp_path / "mixed" / "train" / "002.npy", np.zeros((5, 32, 32), "uint8"))
    with pytest.raises(ValueError, match="different shapes"):
        open_shards(tmp_path / "mixed")

    write_shards(tmp_path / "raw", train_images, [256], test_images)
    np.save(tmp_path / "raw" / "train" / "001.npy", np.full((4, 28, 28), 255.0, "float32"))
    shards, _ = open_shards(tmp_path / "raw")
    with pytest.raises(ValueError, match=r"001.npy has NaN, infinite or out-of-\[0, 1\] pixels"):
        shards[np.array([257])]

    with pytest.raises(ValueError, match="use --binarize dynamic"):
        load_images(tmp_path / "raw", binarize="static")

    (tmp_path / "no_test" / "train").mkdir(parents=True)
    np.save(tmp_path / "no_test" / "train" / "000.npy", train_images)
    with pytest.raises(ValueError, match="needs train/\\*.npy and test/\\*.npy"):
        open_shards(tmp_path / "no_test")
