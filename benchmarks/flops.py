"""Counted floating-point operations of a Keras VAE per training image, and a GEMM peak.

Only the matrix products are counted (Dense, Conv2D, Conv2DTranspose): 2 FLOPs per
multiply-add. A training step does each product three times (forward, gradient of the weights,
gradient of the input) except the encoder's first layer, whose input needs no gradient.
Element-wise work (activations, sampling, the loss, Adam) is left out, so images/s from these
counts is an upper bound that no implementation can reach.
"""

from __future__ import annotations

import math
import time

import numpy as np


def layer_forward_flops(layer) -> int:
    """Returns the forward FLOPs of one Keras layer per image (0 for layers without products)."""
    kind = type(layer).__name__
    if kind == "Dense":
        return 2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    if kind in ("Conv2D", "Conv2DTranspose"):
        kh, kw, a, b = (int(d) for d in layer.kernel.shape)  # (kh, kw, in, out) / (kh, kw, out, in)
        # A convolution does its products at each output position; a transposed one at each input.
        positions = layer.output.shape[1:3] if kind == "Conv2D" else layer.input.shape[1:3]
        return 2 * kh * kw * a * b * math.prod(int(p) for p in positions)
    return 0


def training_flops_per_image(vae) -> int:
    """Returns the counted FLOPs of one training step per image of a keras_vae `VAE`."""
    total = 0
    first = True
    for model in (vae.encoder, vae.decoder):
        for layer in model.layers:
            flops = layer_forward_flops(layer)
            if not flops:
                continue
            total += (2 if first else 3) * flops
            first = False
    return total


def gemm_peak_gflops(device: str = "cpu", sizes=(1024, 2048, 4096), repeats: int = 5) -> dict:
    """Returns the best float32 matrix-multiply rate seen, in GFLOP/s, and how it was measured.

    Tries PyTorch on `device` ("cpu" or "cuda") and, on the CPU, NumPy's BLAS too; the bound is
    the best of all, so that no framework can beat it by using a faster BLAS.
    """
    best = {"gflops": 0.0, "library": None, "size": None}

    def record(library: str, size: int, seconds: float) -> None:
        gflops = 2 * size**3 / seconds / 1e9
        if gflops > best["gflops"]:
            best.update(gflops=gflops, library=library, size=size)

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        for size in sizes:
            a = torch.randn(size, size, device=device)
            b = torch.randn(size, size, device=device)
            torch.matmul(a, b)  # warm-up
            for _ in range(repeats):
                if device == "cuda":
                    torch.cuda.synchronize()
                start = time.perf_counter()
                torch.matmul(a, b)
                if device == "cuda":
                    torch.cuda.synchronize()
                record(f"torch {torch.__version__}", size, time.perf_counter() - start)
    if device == "cpu":
        rng = np.random.default_rng(0)
        for size in sizes:
            a = rng.standard_normal((size, size), dtype=np.float32)
            b = rng.standard_normal((size, size), dtype=np.float32)
            a @ b
            for _ in range(repeats):
                start = time.perf_counter()
                a @ b
                record(f"numpy {np.__version__}", size, time.perf_counter() - start)
    return best
