"""Data-parallel training on each backend's own engine, on CPU: two JAX CPU devices, two logical
TensorFlow CPUs, two torchrun processes (gloo), and two JAX processes joined as two hosts.

Each trains two epochs of 161 batches of 64 (322 SGD steps: enough to meet the deadlock that
stopped two JAX CPU devices after ~100 steps) data-parallel and on one device from the same
seed, and compares the last epoch's training loss. The last batch of each epoch is short (32 or
33 images), so the runs also cover its trimming to a multiple of the replicas. Tolerances: JAX
keeps the maths global (one batch, one noise draw, sharded), so only the order of the float32
sums differs: 1e-5. TensorFlow and PyTorch replicas each draw their own sampling noise for their
half of the batch, by design, so the runs see different noise and agree only to its spread over
an epoch: 1% (a gradient summed instead of averaged over the two replicas, i.e. twice the SGD
step, misses it by far more).
"""

import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from tests.helpers import backend_env, synthetic_images, write_strokes_npz

HELPER = Path(__file__).with_name("distributed_run.py")
BACKEND = keras.backend.backend()


STEPS_PER_EPOCH = 161


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """160 batches of 64 and a last one of 32, which two replicas split evenly."""
    path = tmp_path_factory.mktemp("data") / "strokes.npz"
    return write_strokes_npz(path, 64 * (STEPS_PER_EPOCH - 1) + 32, 64)


@pytest.fixture(scope="module")
def odd_dataset(tmp_path_factory):
    """160 batches of 64 and a last one of 33: data-parallel runs must cut it to 32."""
    path = tmp_path_factory.mktemp("data") / "odd.npz"
    return write_strokes_npz(path, 64 * (STEPS_PER_EPOCH - 1) + 33, 64)


def run_helper(command, env, report):
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return json.loads(Path(report).read_text())


def single_device(dataset, tmp_path, options=(), **env):
    report = tmp_path / "single.json"
    command = [sys.executable, str(HELPER), str(dataset), str(tmp_path / "single"), *options]
    return run_helper(command + ["--report", str(report)], backend_env(**env), report)


def data_parallel(dataset, tmp_path, **env):
    report = tmp_path / "parallel.json"
    command = [sys.executable, str(HELPER), str(dataset), str(tmp_path / "parallel")]
    command += ["--distribute", "--report", str(report)]
    return run_helper(command, backend_env(**env), report)


@pytest.fixture(scope="module")
def single(dataset, tmp_path_factory):
    """The one-device run on `dataset` that both JAX tests compare with, trained once."""
    return single_device(dataset, tmp_path_factory.mktemp("single"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(BACKEND != "jax", reason="JAX's DataParallel")
def test_jax_two_cpu_devices(dataset, odd_dataset, single, tmp_path):
    two = {"JAX_NUM_CPU_DEVICES": "2"}
    parallel = data_parallel(dataset, tmp_path, **two)
    assert parallel["devices"] == 2
    # Each batch of 64, and the last of 32, half on each device, as the train step saw them.
    assert single["replica_batches"] == [32, 64]
    assert parallel["replica_batches"] == [16, 32]
    assert parallel["loss"] == pytest.approx(single["loss"], rel=1e-5)
    # Validation sees the last weights, where 322 steps of float32 round-off show more.
    assert parallel["val_loss"] == pytest.approx(single["val_loss"], rel=1e-4)
    assert (tmp_path / "parallel" / "model.keras").exists()
    # A last batch of 33 is cut to 32, which the two devices split evenly.
    odd = data_parallel(odd_dataset, tmp_path / "odd", **two)
    assert odd["replica_batches"] == [16, 32]
    assert odd["loss"] == pytest.approx(single["loss"], rel=1e-2)


@pytest.mark.skipif(BACKEND != "jax", reason="JAX's multi-process runtime")
def test_jax_two_processes_as_two_hosts(dataset, single, tmp_path):
    address = f"127.0.0.1:{free_port()}"
    processes, reports = [], []
    for index in range(2):
        report = tmp_path / f"host{index}.json"
        command = [sys.executable, str(HELPER), str(dataset), str(tmp_path / "hosts")]
        command += ["--distribute", "--report", str(report), "--coordinator-address", address]
        command += ["--num-processes", "2", "--process-id", str(index)]
        env = backend_env(JAX_NUM_CPU_DEVICES="1")
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True))  # fmt: skip
        reports.append(report)
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-4000:]
    first, second = (json.loads(r.read_text()) for r in reports)
    assert first["processes"] == second["processes"] == 2
    assert first["devices"] == 2  # one CPU device per process, two in the run
    assert first["loss"] == pytest.approx(second["loss"], rel=1e-6)
    assert first["loss"] == pytest.approx(single["loss"], rel=1e-5)
    # Only process 0 writes the run's files.
    assert (tmp_path / "hosts" / "model.keras").exists()


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    """A folder of 1,300 PNGs: 100 held out for testing, and 150 batches of 8 to train on."""
    folder = tmp_path_factory.mktemp("folder")
    for number, image in enumerate((synthetic_images(1300) * 255).astype("uint8")[..., 0]):
        Image.fromarray(image).save(folder / f"{number:04d}.png")
    return folder


@pytest.mark.skipif(BACKEND != "jax", reason="JAX's multi-process runtime")
def test_jax_two_processes_stream_their_own_parts_of_one_folder(image_folder, tmp_path):
    # 300 steps: each process's worker decodes only its 4 images of every batch of 8.
    options = ["--batch-size", "8"]
    single = single_device(image_folder, tmp_path, options)
    address = f"127.0.0.1:{free_port()}"
    processes, reports = [], []
    for index in range(2):
        report = tmp_path / f"host{index}.json"
        command = [sys.executable, str(HELPER), str(image_folder), str(tmp_path / "hosts")]
        command += [*options, "--stream", "--distribute", "--report", str(report)]
        command += ["--coordinator-address", address, "--num-processes", "2"]
        command += ["--process-id", str(index)]
        env = backend_env(JAX_NUM_CPU_DEVICES="1")
        processes.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                          stderr=subprocess.STDOUT, text=True))  # fmt: skip
        reports.append(report)
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    for process, output in zip(processes, outputs, strict=True):
        assert process.returncode == 0, output[-4000:]
    first, second = (json.loads(r.read_text()) for r in reports)
    assert first["processes"] == 2 and first["collectives"] == "gloo"
    assert single["replica_batches"] == [8] and first["replica_batches"] == [4]
    # Both processes end with the same weights, those of one process reading the whole batch.
    np.testing.assert_array_equal(first["weights"], second["weights"])
    np.testing.assert_allclose(first["weights"], single["weights"], rtol=1e-4, atol=1e-6)
    assert first["loss"] == pytest.approx(single["loss"], rel=1e-5)
    assert (tmp_path / "hosts" / "model.keras").exists()


@pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.distribute.MirroredStrategy")
def test_tensorflow_mirrored_over_two_logical_cpus(odd_dataset, tmp_path):
    single = single_device(odd_dataset, tmp_path)
    parallel = data_parallel(odd_dataset, tmp_path, TF_LOGICAL_CPUS="2")
    assert single["replica_batches"] == [33, 64]
    # Each of the two replicas took half of every batch; the last, cut from 33 to 32, too.
    assert parallel["replica_batches"] == [16, 32]
    assert parallel["loss"] == pytest.approx(single["loss"], rel=0.01)
    assert parallel["val_loss"] == pytest.approx(single["val_loss"], rel=0.01)


@pytest.mark.skipif(BACKEND != "torch", reason="torch.distributed under torchrun")
def test_torchrun_two_processes_with_gloo(odd_dataset, tmp_path):
    if shutil.which("torchrun") is None and not _has_module("torch.distributed.run"):
        pytest.skip("torchrun is not installed")
    single = single_device(odd_dataset, tmp_path)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2"]
    command += [str(HELPER), str(odd_dataset), str(tmp_path / "parallel"), "--distribute"]
    command += ["--report", str(tmp_path / "rank{rank}.json")]
    env = backend_env(OMP_NUM_THREADS="1")
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert single["replica_batches"] == [33, 64]
    for report in ranks:
        # Each process took half of each batch of 64, and of the last, cut from 33 to 32 (one
        # image alone would have left the other process an empty batch and a NaN loss).
        assert report["replica_batches"] == [16, 32]
        # Gradients and loss terms are all-reduced: both processes log the same loss.
        assert report["loss"] == pytest.approx(ranks[0]["loss"], rel=1e-6)
    assert ranks[0]["loss"] == pytest.approx(single["loss"], rel=0.01)
    assert (tmp_path / "parallel" / "model.keras").exists()


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
