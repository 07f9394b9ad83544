"""How fast `--stream` decodes a folder of JPEGs beside how fast the conv model trains, and how
its memory grows with the folder.

    KERAS_BACKEND=jax python benchmarks/image_folder.py [--sizes 10000,50000,200000]
        [--workers 2] [--data mnist.npz] [--work DIR] [--out results.json]

Writes `max(--sizes)` 64x64 colour JPEGs under `--work` (a temporary directory by default;
MNIST digits scaled up, coloured and placed on tinted backgrounds, so no two are alike; the
smaller folders are links to the first of them). Then, each in a fresh process:

1. the pipeline alone: the Grain pipeline of `--stream` (`--workers` decoding processes) read as
   fast as it goes, batches of 128, on the smallest folder;
2. the conv model training one epoch on that folder, in memory and with `--stream`;
3. streamed training (the dense model, to keep the epochs short) for one epoch on each folder
   size: peak resident memory of the training process (the kernel's VmHWM) and of it with its
   decoding workers (their resident memory summed, sampled every 0.2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

SIZE = 64
BATCH = 128
TEST_IMAGES = 1000  # a fixed test split, so the test images in memory do not grow with the folder


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,200000")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data", default=None, help="mnist.npz (found as load_mnist finds it)")
    parser.add_argument("--work", default=None, help="where the folders go [a temporary dir]")
    parser.add_argument("--out", default=None, help="also write the results here as JSON")
    parser.add_argument("--task", help=argparse.SUPPRESS)  # internal: what a subprocess measures
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _write_jpegs(job: tuple[Path, int, int, np.ndarray]) -> None:
    folder, first, seed, digits = job
    from PIL import Image

    rng = np.random.default_rng(seed)
    for number, digit in enumerate(digits, start=first):
        grey = np.asarray(Image.fromarray(digit).resize((SIZE, SIZE), Image.Resampling.BILINEAR))
        ink, paper = rng.integers(0, 256, 3), rng.integers(0, 96, 3)
        alpha = grey[..., None] / 255.0
        pixels = (alpha * ink + (1 - alpha) * paper).astype("uint8")
        pixels = np.roll(pixels, rng.integers(-6, 7, size=2), axis=(0, 1))
        Image.fromarray(pixels).save(folder / f"{number:07d}.jpg", quality=90)


def make_folders(work: Path, sizes: list[int], mnist: str | None) -> dict[int, Path]:
    """Writes max(sizes) JPEGs into work/jpegs_N and links the first n of them into
    work/jpegs_n for the other sizes; returns each size's folder."""
    from keras_vae.data import load_mnist

    (x_train, _), _ = load_mnist(mnist)
    digits = np.rint(x_train[..., 0] * 255).astype("uint8")
    largest = max(sizes)
    full = work / f"jpegs_{largest}"
    if not (full.is_dir() and len(os.listdir(full)) == largest):
        full.mkdir(parents=True, exist_ok=True)
        chunk = 5000
        choice = np.random.default_rng(0).integers(0, len(digits), largest)
        jobs = [(full, first, first, digits[choice[first : first + chunk]])
                for first in range(0, largest, chunk)]  # fmt: skip
        with ProcessPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(_write_jpegs, jobs))
    folders = {largest: full}
    names = sorted(os.listdir(full))
    for size in sorted(set(sizes) - {largest}):
        folder = work / f"jpegs_{size}"
        if not folder.is_dir():
            folder.mkdir()
            for name in names[:size]:
                os.symlink(full / name, folder / name)
        folders[size] = folder
    return folders


def pipeline_task(args) -> dict:
    """The streamed batches alone, read as fast as the pipeline gives them."""
    from keras_vae.data import DataSource
    from keras_vae.data.batch_order import BatchOrder
    from keras_vae.data.streaming import stream_batches

    images = DataSource(data=args.folder, stream=True, test_split=TEST_IMAGES).load().train[0]
    order = BatchOrder(len(images), BATCH, seed=0)
    iterator = iter(stream_batches(images, None, order, epochs=3, workers=args.workers))
    for _ in range(10):  # the workers start, and the first batches are in flight
        next(iterator)
    start, count = time.perf_counter(), 0
    for batch in iterator:
        count += len(batch[0])
    return {"images_per_second": count / (time.perf_counter() - start), "images": count}


def training_task(args, architecture: str, stream: bool) -> dict:
    """One epoch of training on the folder; its images/s and peak memory."""
    from memory import peak_rss_mb

    from keras_vae.training import TrainingConfig, train

    sampler = TreeMemory(os.getpid())
    config = TrainingConfig(
        data=Path(args.folder), out=Path(tempfile.mkdtemp()), architecture=architecture,
        hidden_units=(256,) if architecture == "dense" else None, latent_dim=32,
        likelihood="gaussian", batch_size=BATCH, epochs=1, test_split=TEST_IMAGES,
        stream=stream, stream_workers=args.workers, verbose=0,
    )  # fmt: skip
    start = time.perf_counter()
    result = train(config, overwrite=True)
    return {
        "images_per_second": result.train_images_per_second,
        "wall_seconds": time.perf_counter() - start,
        "peak_rss_mb": peak_rss_mb(),
        "peak_rss_with_workers_mb": sampler.stop(),
    }


class TreeMemory:
    """Samples the resident memory of a process and its descendants, summed, every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(_rss_mb(pid) for pid in _tree(self.pid)))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(task: str, folder: Path, args) -> dict:
    """Runs `task` on `folder` in a fresh process; returns what it measured."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--task", task, "--folder", str(folder),
                   "--result", str(result), "--workers", str(args.workers)]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{task} on {folder} failed:\n{done.stderr[-3000:]}")
        return json.loads(result.read_text())


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.task:
        if args.task == "pipeline":
            measured = pipeline_task(args)
        else:
            architecture, mode = args.task.split("-")
            measured = training_task(args, architecture, stream=mode == "stream")
        Path(args.result).write_text(json.dumps(measured))
        return
    sizes = sorted(int(n) for n in args.sizes.split(","))
    work = Path(args.work or tempfile.mkdtemp(prefix="keras_vae_jpegs_"))
    start = time.perf_counter()
    folders = make_folders(work, sizes, args.data)
    print(f"{max(sizes):,} JPEGs under {work} ({time.perf_counter() - start:.0f} s)", flush=True)
    smallest = folders[sizes[0]]
    results = {
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "workers": args.workers,
        "pipeline": measure("pipeline", smallest, args),
        "conv_in_memory": measure("conv-memory", smallest, args),
        "conv_streamed": measure("conv-stream", smallest, args),
        "memory": {size: measure("dense-stream", folders[size], args) for size in sizes},
    }
    pipeline = results["pipeline"]["images_per_second"]
    conv = results["conv_in_memory"]["images_per_second"]
    results["pipeline_over_conv"] = pipeline / conv
    peaks = [results["memory"][size]["peak_rss_with_workers_mb"] for size in sizes]
    results["memory_growth"] = peaks[-1] / peaks[0] - 1
    print(f"pipeline alone, {args.workers} workers: {pipeline:,.0f} images/s")
    print(f"conv training: in memory {conv:,.0f} images/s, streamed "
          f"{results['conv_streamed']['images_per_second']:,.0f}")  # fmt: skip
    print(f"pipeline / conv model: {results['pipeline_over_conv']:.1f}x\n")
    print("| files | peak RSS, trainer | with its workers | train img/s |\n|---:|---:|---:|---:|")
    for size in sizes:
        row = results["memory"][size]
        print(f"| {size:,} | {row['peak_rss_mb']:,.0f} MB | {row['peak_rss_with_workers_mb']:,.0f} "
              f"MB | {row['images_per_second']:,.0f} |")  # fmt: skip
    print(f"\nmemory growth {sizes[0]:,} -> {sizes[-1]:,} files: {results['memory_growth']:+.1%}")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
