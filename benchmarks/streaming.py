"""Trains on a dataset larger than memory, streamed from `.npy` shards, and compares it with the
in-memory path.

    KERAS_BACKEND=jax python benchmarks/streaming.py [--gigabytes 4] [--in-memory-images N]
        [--data mnist.npz] [--work DIR] [--out results.json]

Generates `--gigabytes` of uint8 28x28 shards (MNIST's training images, tiled and shifted so no
two are alike) under `--work`, trains the dense VAE on it for one epoch with `keras-vae train
--data DIR` (shards read batch by batch), then trains on the first `--in-memory-images` of the
same images held in memory (an `.npz`, read whole). Each run is a subprocess; for each it reports
peak resident memory and training images/s (the epoch as timed by the run itself).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

IMAGES_PER_SHARD = 131072  # 100 MiB of 28x28 uint8


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=4.0)
    parser.add_argument("--in-memory-images", type=int, default=1_000_000)
    parser.add_argument("--data", default=None, help="mnist.npz (found as load_mnist finds it)")
    parser.add_argument("--work", default=None, help="where the shards go [a temporary dir]")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=None, help="also write the results here as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: the dataset to train on
    parser.add_argument("--result", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def make_shards(directory: Path, gigabytes: float, mnist: str | None) -> int:
    """Writes train/ and test/ shards of uint8 images; returns the number of training images."""
    from keras_vae.data import load_mnist

    (x_train, _), (x_test, _) = load_mnist(mnist)
    base = np.rint(x_train[..., 0] * 255).astype("uint8")
    total = int(gigabytes * 1e9 // base[0].nbytes)
    (directory / "train").mkdir(parents=True, exist_ok=True)
    (directory / "test").mkdir(parents=True, exist_ok=True)
    np.save(directory / "test" / "000.npy", np.rint(x_test[..., 0] * 255).astype("uint8"))
    rng = np.random.default_rng(0)
    for number, first in enumerate(range(0, total, IMAGES_PER_SHARD)):
        count = min(IMAGES_PER_SHARD, total - first)
        images = base[rng.integers(0, len(base), count)]
        shifts = rng.integers(-2, 3, size=2)
        np.save(directory / "train" / f"{number:04d}.npy", np.roll(images, shifts, axis=(1, 2)))
    return total


def worker(args) -> None:
    """Trains one epoch on `args.worker` and writes peak RSS and images/s."""
    from memory import peak_rss_mb

    from keras_vae.training import TrainingConfig, train

    out = Path(tempfile.mkdtemp())
    config = TrainingConfig(
        data=Path(args.worker), out=out, hidden_units=(400,), latent_dim=20,
        batch_size=args.batch_size, epochs=1, verbose=0,
    )  # fmt: skip
    start = time.perf_counter()
    result = train(config, overwrite=True)
    Path(args.result).write_text(
        json.dumps(
            {
                "images_per_second": result.train_images_per_second,
                "wall_seconds": time.perf_counter() - start,
                "peak_rss_mb": peak_rss_mb(),
                "test_negative_elbo": result.test_metrics["loss"],
            }
        )
    )


def measure(dataset: Path, args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--worker", str(dataset), "--result", str(result)]
        command += ["--batch-size", str(args.batch_size)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"training on {dataset} failed:\n{done.stderr[-3000:]}")
        return json.loads(result.read_text())


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    work = Path(args.work or tempfile.mkdtemp(prefix="keras_vae_shards_"))
    total = make_shards(work / "shards", args.gigabytes, args.data)
    size = sum(p.stat().st_size for p in (work / "shards" / "train").glob("*.npy"))
    print(f"{total:,} training images in {size / 1e9:.2f} GB of shards under {work}", flush=True)

    parts, needed = [], args.in_memory_images
    for shard in sorted((work / "shards" / "train").glob("*.npy")):
        images = np.load(shard, mmap_mode="r")
        parts.append(np.array(images[:needed]))
        needed -= len(parts[-1])
        if needed <= 0:
            break
    test = np.load(work / "shards" / "test" / "000.npy")
    np.savez(work / "in_memory.npz", x_train=np.concatenate(parts), x_test=test)
    del parts

    streamed = measure(work / "shards", args)
    in_memory = measure(work / "in_memory.npz", args)
    results = {
        "backend": os.environ.get("KERAS_BACKEND", "tensorflow"),
        "shard_gigabytes": size / 1e9,
        "streamed_images": total,
        "in_memory_images": args.in_memory_images,
        "streamed": streamed,
        "in_memory": in_memory,
        "speed_ratio": streamed["images_per_second"] / in_memory["images_per_second"],
    }
    print(
        f"| data | images | peak RSS (MB) | train img/s |\n|---|---:|---:|---:|\n"
        f"| {size / 1e9:.1f} GB of .npy shards, streamed | {total:,} "
        f"| {streamed['peak_rss_mb']:,.0f} | {streamed['images_per_second']:,.0f} |\n"
        f"| first {args.in_memory_images:,} of them, in memory | {args.in_memory_images:,} "
        f"| {in_memory['peak_rss_mb']:,.0f} | {in_memory['images_per_second']:,.0f} |\n\n"
        f"streamed / in memory: {results['speed_ratio']:.2f}x images/s"
    )
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
