"""Compares keras_vae's training speed on each installed Keras backend with a plain PyTorch loop,
with the plainest Keras model of the same dense network, and with the machine's matrix-multiply
limit.

    python benchmarks/compare_backends.py [--architectures dense,conv,resnet] [--epochs N]
        [--batch-size B] [--train-images N] [--mixed-precision] [--upsamplings A,B] [--pairs N]
        [--data mnist.npz] [--out DIR]
    python benchmarks/compare_backends.py --quick --out /tmp/bench   # < 2 minutes

Each run is its own subprocess (a Keras backend is fixed at import), on the same MNIST images
(grey levels in [0, 1], Bernoulli likelihood on logits + KL, Adam 1e-3). Per run: steady-state
training images/s (median of the epochs after the first, which compiles), seconds from the start
to the end of the first training step, peak resident memory, test negative ELBO after training,
and the ratios to the plain PyTorch loop and to the GEMM bound (see `flops.py`). For dense,
each backend also trains `plain_keras.py`'s model, alternating with keras_vae `--pairs` times;
its rows give the median images/s and keras_vae's the median of the pairs' ratios. Writes
`DIR/results.md` (also printed), `DIR/results.json` and `DIR/throughput.png`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKENDS = ("jax", "tensorflow", "torch")
# The architectures as the benchmark builds them: dense is the classic 784-400-20 network.
NETWORKS = {
    "dense": {"latent_dim": 20, "hidden_units": (400,)},
    "conv": {"latent_dim": 16},
    "resnet": {"latent_dim": 16},
}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--architectures", default=None, help="default dense,conv,resnet")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="those installed run")
    parser.add_argument("--epochs", type=int, default=4, help="the first is a warm-up")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--train-images",
        default=None,
        help="train on the first N images: one N, or N per architecture as arch=N,... "
        "(default dense=60000,conv=10000,resnet=10000; 1024 with --quick)",
    )
    parser.add_argument("--test-images", type=int, default=10000)
    parser.add_argument("--mixed-precision", action="store_true", help="add bf16 rows")
    parser.add_argument(
        "--upsamplings",
        type=lambda text: [u for u in text.split(",") if u],
        default=[],
        help="conv/resnet: a row per choice, e.g. transpose,pixel_shuffle (default: one row, "
        "each backend's default)",
    )
    parser.add_argument(
        "--pairs", type=int, default=1, help="dense: keras_vae / plain Keras runs per backend"
    )
    parser.add_argument("--data", default=None, help="mnist.npz (found as load_mnist finds it)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmark_results")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 2 epochs on 1,024 images, dense and conv, unless --train-images or "
        "--architectures say otherwise",
    )
    # Internal: run one measurement in this process and write its JSON.
    parser.add_argument(
        "--worker", choices=("keras", "plain-keras", "plain-pytorch", "gemm"), help="internal"
    )
    parser.add_argument("--architecture", help="internal")
    parser.add_argument("--upsampling", help="internal")
    parser.add_argument("--result", help="internal")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.test_images = 2, 256
        args.train_images = args.train_images or "1024"
        args.architectures = args.architectures or "dense,conv"
    args.train_images = args.train_images or "dense=60000,conv=10000,resnet=10000"
    args.architectures = args.architectures or ",".join(NETWORKS)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch compiles and is not timed.")
    if args.pairs < 1:
        parser.error("--pairs must be at least 1.")
    try:
        args.train_images = images_per_architecture(args.train_images)
    except ValueError:
        parser.error(f"--train-images takes N or arch=N,...; got {args.train_images!r}.")
    return args


def images_per_architecture(text: str | dict) -> dict[str, int]:
    """Returns {architecture: training images} from "N" or "dense=N,conv=M,..."."""
    if isinstance(text, dict):
        return text
    if "=" not in text:
        return {architecture: int(text) for architecture in NETWORKS}
    counts = {name: 60000 for name in NETWORKS}
    for part in text.split(","):
        name, n = part.split("=")
        counts[name.strip()] = int(n)
    return counts


# --- one measurement, in a subprocess ------------------------------------------------------


def load_data(args) -> tuple:
    """Returns the run's train and test images, (N, 28, 28, 1) float32 in [0, 1]."""
    from keras_vae.data import load_mnist

    (x_train, _), (x_test, _) = load_mnist(args.data)
    return x_train[: args.train_images[args.architecture]], x_test[: args.test_images]


def step_clock(start: float):
    """Returns a Keras callback recording when the first training step ends (seconds after
    `start`) and each epoch's training time."""
    import keras

    class StepClock(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.first_step: float | None = None
            self.epoch_seconds: list[float] = []

        def on_train_batch_end(self, batch, logs=None):
            if self.first_step is None:
                self.first_step = time.perf_counter() - start

        def on_epoch_begin(self, epoch, logs=None):
            self._epoch_start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_seconds.append(time.perf_counter() - self._epoch_start)

    return StepClock()


def run_keras(args) -> dict:
    """Trains keras_vae as `keras-vae train` builds it, on this process's backend."""
    start = time.perf_counter()
    import keras
    from flops import training_flops_per_image

    from keras_vae.framework_isolation import set_random_seed
    from keras_vae.training import TrainingConfig, build_model

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    network = NETWORKS[args.architecture]
    config = TrainingConfig(
        architecture=args.architecture,
        latent_dim=network["latent_dim"],
        hidden_units=network.get("hidden_units"),
        upsampling=args.upsampling,
        batch_size=args.batch_size,
        epochs=args.epochs,
        seed=args.seed,
    )
    set_random_seed(args.seed)
    x_train, x_test = load_data(args)
    model = build_model(config, x_train.shape[1:])
    clock = step_clock(start)
    model.fit(
        x_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        shuffle=True,
        callbacks=[clock],
        verbose=0,
    )
    test = model.evaluate(x_test, batch_size=args.batch_size, return_dict=True, verbose=0)
    return {
        "epoch_seconds": clock.epoch_seconds,
        "first_step_seconds": clock.first_step,
        "test_negative_elbo": float(test["loss"]),
        "flops_per_image": training_flops_per_image(model),
        "device": _keras_device(),
        "version": f"keras {keras.__version__}, {keras.backend.backend()} {_backend_version()}",
        "jit_compile": bool(model.jit_compile),
        "steps_per_execution": int(model.steps_per_execution),
        # What the up-sampling choice built (Conv2DTranspose or DepthToSpace layers).
        "decoder_layers": sorted({type(layer).__name__ for layer in model.decoder.layers}),
    }


def run_plain_keras(args) -> dict:
    """Trains `plain_keras.py`'s model of the dense network on this process's backend."""
    start = time.perf_counter()
    import keras
    import plain_keras

    from keras_vae.framework_isolation import set_random_seed

    set_random_seed(args.seed)
    x_train, x_test = load_data(args)
    network = NETWORKS[args.architecture]
    result = plain_keras.run(
        x_train,
        x_test,
        network["latent_dim"],
        network["hidden_units"],
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        clock=step_clock(start),
    )
    return {
        **result,
        "device": _keras_device(),
        "version": f"keras {keras.__version__}, {keras.backend.backend()} {_backend_version()}",
    }


def run_plain_pytorch(args) -> dict:
    import plain_pytorch

    x_train, x_test = load_data(args)
    network = NETWORKS[args.architecture]
    return plain_pytorch.run(
        args.architecture,
        network["latent_dim"],
        x_train,
        x_test,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        hidden_units=network.get("hidden_units", (400,)),
    )


def run_gemm(args) -> dict:
    from flops import gemm_peak_gflops

    device = "cpu"
    if importlib.util.find_spec("torch"):
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    sizes = (512,) if args.quick else (512, 1024, 2048, 4096)
    return {**gemm_peak_gflops(device, sizes=sizes), "device": device}


def _keras_device() -> str:
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return gpus[0].name if gpus else "cpu"


def _backend_version() -> str:
    import keras

    return __import__(keras.backend.backend()).__version__


def worker(args) -> None:
    """Runs one measurement and writes it, with this process's peak RSS, to `args.result`."""
    from memory import peak_rss_mb

    run = {
        "keras": run_keras,
        "plain-keras": run_plain_keras,
        "plain-pytorch": run_plain_pytorch,
        "gemm": run_gemm,
    }
    result = run[args.worker](args)
    result["peak_rss_mb"] = peak_rss_mb()
    Path(args.result).write_text(json.dumps(result))


# --- the comparison, in the parent ---------------------------------------------------------


def spawn(args, worker_kind: str, backend: str | None = None, architecture: str | None = None,
          mixed_precision: bool = False, upsampling: str | None = None) -> dict:  # fmt: skip
    """Runs one worker subprocess; returns its result, or {"error": ...} if it failed."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        command = [sys.executable, __file__, "--worker", worker_kind, "--result", str(result)]
        command += ["--epochs", str(args.epochs), "--batch-size", str(args.batch_size)]
        command += ["--seed", str(args.seed)]
        images = ",".join(f"{k}={v}" for k, v in args.train_images.items())
        command += ["--train-images", images, "--test-images", str(args.test_images)]
        flags = (("--data", args.data), ("--architecture", architecture))
        for flag, value in (*flags, ("--upsampling", upsampling)):
            if value is not None:
                command += [flag, str(value)]
        if args.quick:
            command.append("--quick")
        if mixed_precision:
            command.append("--mixed-precision")
        env = dict(os.environ, KERAS_BACKEND=backend or "torch", TF_CPP_MIN_LOG_LEVEL="2")
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not result.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": " / ".join(tail) or f"exit {done.returncode}"}
        return json.loads(result.read_text())


def summarise(run: dict, images: int, bound: float | None, baseline: float | None) -> dict:
    """Adds steady-state images/s and the ratios to a worker's result."""
    if "error" in run:
        return run
    steady = run["epoch_seconds"][1:]
    run["images_per_second"] = images / statistics.median(steady)
    run["timed_epochs"] = len(steady)
    run["vs_plain_pytorch"] = run["images_per_second"] / baseline if baseline else None
    run["vs_gemm_bound"] = run["images_per_second"] / bound if bound else None
    return run


def backend_runs(args, backend: str, architecture: str) -> list[dict]:
    """Runs keras_vae on one backend (and, for dense, the plain Keras model, alternating with
    it `--pairs` times); returns one entry per runner, each with its list of `runs`."""
    variants = [("", False, None)]
    if args.upsamplings and architecture in ("conv", "resnet"):
        variants = [(f" {u}", False, u) for u in args.upsamplings]
    if args.mixed_precision:
        variants.append((" bf16", True, None))
    entries = []
    for suffix, mixed, upsampling in variants:
        paired = architecture == "dense" and not mixed
        keras_vae_runs, plain_runs = [], []
        for _ in range(args.pairs if paired else 1):
            print(f"[{architecture}] keras_vae {backend}{suffix} ...", file=sys.stderr, flush=True)
            keras_vae_runs.append(spawn(args, "keras", backend, architecture, mixed, upsampling))
            if paired:
                print(f"[{architecture}] plain Keras {backend} ...", file=sys.stderr, flush=True)
                plain_runs.append(spawn(args, "plain-keras", backend, architecture))
        entries.append({"runner": f"keras_vae {backend}{suffix}", "backend": backend,
                        "runs": keras_vae_runs})  # fmt: skip
        if plain_runs:
            entries.append({"runner": f"plain Keras {backend}", "backend": backend,
                            "runs": plain_runs})  # fmt: skip
    return entries


def median_run(runs: list[dict]) -> dict:
    """Returns the run of median speed (the slower of the middle two), with every run's
    images/s as `repeats`; a failed run if any failed."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    ordered = sorted(runs, key=lambda r: r["images_per_second"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["repeats"] = [r["images_per_second"] for r in runs]  # in the order they ran
    return median


def add_plain_keras_ratios(rows: list[dict]) -> None:
    """Sets `vs_plain_keras` on each keras_vae row that has a plain Keras row of its backend:
    the median over the interleaved pairs of keras_vae's images/s over plain Keras's."""
    plain = {r["backend"]: r for r in rows if r["runner"].startswith("plain Keras")}
    for row in rows:
        other = plain.get(row["backend"])
        if not row["runner"].startswith("keras_vae") or other is None or "error" in row:
            continue
        if "error" in other or " " in row["runner"].removeprefix("keras_vae "):
            continue  # the pairs are the plain-float32, default-network rows
        ratios = [a / b for a, b in zip(row["repeats"], other["repeats"], strict=True)]
        row["vs_plain_keras"] = statistics.median(ratios)
        row["plain_keras_ratios"] = ratios


def compare(args) -> dict:
    """Runs every measurement and returns them with the machine's description."""
    installed = [b for b in args.backends.split(",") if importlib.util.find_spec(b)]
    have_torch = importlib.util.find_spec("torch") is not None
    gemm = spawn(args, "gemm")
    results = {
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
        },
        "settings": {
            k: getattr(args, k)
            for k in (
                "epochs",
                "batch_size",
                "train_images",
                "test_images",
                "seed",
                "quick",
                "pairs",
            )  # fmt: skip
        },
        "gemm": gemm,
        "runs": [],
    }
    for architecture in args.architectures.split(","):
        if architecture not in NETWORKS:
            raise SystemExit(f"Unknown architecture {architecture!r}; pick from {list(NETWORKS)}.")
        train_images = args.train_images[architecture]
        print(f"[{architecture}] plain PyTorch ...", file=sys.stderr, flush=True)
        baseline = spawn(args, "plain-pytorch", architecture=architecture) if have_torch else None
        keras_runs = []
        for backend in installed:
            keras_runs += backend_runs(args, backend, architecture)
        runs = [run for entry in keras_runs for run in entry["runs"]]
        flops = next((r["flops_per_image"] for r in runs if "flops_per_image" in r), None)
        bound = gemm.get("gflops", 0) * 1e9 / flops if flops and "error" not in gemm else None
        baseline_speed = None
        rows = []
        if baseline is not None:
            baseline = summarise(baseline, train_images, bound, None)
            baseline_speed = baseline.get("images_per_second")
            baseline["vs_plain_pytorch"] = 1.0 if baseline_speed else None
            rows.append({"runner": "plain PyTorch loop", "backend": "torch", **baseline})
        for run in keras_runs:
            repeats = [summarise(r, train_images, bound, baseline_speed) for r in run.pop("runs")]
            rows.append({**run, **median_run(repeats)})
        add_plain_keras_ratios(rows)
        for row in rows:
            row["architecture"] = architecture
            row["gemm_bound_images_per_second"] = bound
            row["flops_per_image"] = flops
        results["runs"] += rows
    return results


def markdown(results: dict) -> str:
    """Returns the results as a markdown table with a line on the machine and the bound."""
    gemm = results["gemm"]
    lines = [
        f"Machine: {results['machine']['processor']}, {results['machine']['cpu_count']} cores; "
        f"device: {_devices(results)}. Float32 GEMM peak: "
        + (
            f"{gemm['gflops']:.0f} GFLOP/s ({gemm['library']}, {gemm['size']}^3)."
            if "error" not in gemm
            else f"not measured ({gemm['error']})."
        ),
        f"Settings: {json.dumps(results['settings'])}.",
        "",
        "| architecture | runner | train img/s | × plain PyTorch | × plain Keras | × GEMM bound "
        "| first step (s) | peak RSS (MB) | test −ELBO (nats) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results["runs"]:
        if "error" in row:
            lines.append(f"| {row['architecture']} | {row['runner']} | failed: {row['error']} |")
            continue
        lines.append(
            f"| {row['architecture']} | {row['runner']} | {row['images_per_second']:,.0f} "
            f"| {_ratio(row.get('vs_plain_pytorch'))} | {_ratio(row.get('vs_plain_keras'))} "
            f"| {_ratio(row.get('vs_gemm_bound'))} "
            f"| {row['first_step_seconds']:.1f} | {row['peak_rss_mb']:,.0f} "
            f"| {row['test_negative_elbo']:.2f} |"
        )
    bounds = {r["architecture"]: r.get("gemm_bound_images_per_second") for r in results["runs"]}
    lines.append("")
    lines.append(
        "GEMM bound (img/s): "
        + ", ".join(f"{a} {b:,.0f}" if b else f"{a} n/a" for a, b in bounds.items())
        + ". Each timed value is the median of the epochs after the first; rows run "
        "several times give the median run, and × plain Keras is the median of the pairs' ratios."
    )
    return "\n".join(lines) + "\n"


def _ratio(value) -> str:
    return f"{value:.2f}" if value else "–"


def _devices(results: dict) -> str:
    return ", ".join(sorted({r["device"] for r in results["runs"] if "device" in r})) or "?"


def plot(results: dict, path: Path) -> None:
    """Draws training images/s per architecture and runner, with the GEMM bound as a line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    architectures = list(dict.fromkeys(r["architecture"] for r in results["runs"]))
    fig, axes = plt.subplots(1, len(architectures), figsize=(4.5 * len(architectures), 4))
    axes = [axes] if len(architectures) == 1 else list(axes)
    for ax, architecture in zip(axes, architectures, strict=True):
        rows = [r for r in results["runs"] if r["architecture"] == architecture]
        names = [r["runner"].replace("keras_vae ", "") for r in rows]
        speeds = [r.get("images_per_second", 0.0) for r in rows]
        ax.bar(range(len(rows)), speeds, color="tab:blue")
        ax.set_xticks(range(len(rows)), names, rotation=30, ha="right")
        bound = rows[0].get("gemm_bound_images_per_second")
        if bound:
            ax.axhline(bound, color="tab:red", linestyle="--", label="GEMM bound")
            ax.legend(loc="upper right")
        ax.set_title(architecture)
        ax.set_ylabel("training images/s")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = compare(args)
    table = markdown(results)
    print(table)
    (out / "results.md").write_text(table)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, out / "throughput.png")
    print(f"Wrote {out / 'results.md'}, results.json and throughput.png.", file=sys.stderr)
    if any("error" in r for r in results["runs"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
