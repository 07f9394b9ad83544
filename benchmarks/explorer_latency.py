"""Measures how fast the explorer answers the page's pointer moves: ms per decode.

    KERAS_BACKEND=jax python benchmarks/explorer_latency.py RUN [--requests 200] [--points 2000]

Serves RUN's model as `keras-vae explore` does (Uvicorn, on a free local port, warmed up), then
sends `--requests` decode requests for codes along a line through the latent plane, one after
another as the page does, and reports the median and 95th percentile of the model's time (the
server's Server-Timing header) and of the whole round trip (HTTP, decoding, PNG encoding).
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.request

import numpy as np


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run directory or a saved model")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--points", type=int, default=2000)
    args = parser.parse_args(argv)

    import keras

    from keras_vae.data import load_mnist
    from keras_vae.explorer.latent_space import LatentSpace
    from keras_vae.explorer.server import ExplorerServer
    from keras_vae.saving import load_vae

    vae = load_vae(args.run)
    _, (x_test, y_test) = load_mnist()
    x = (x_test[: args.points] > 0.5).astype("float32")  # binarised, as the runs were trained
    space = LatentSpace(vae, x, y_test[: args.points])
    space.warm_up()
    server = ExplorerServer(space).start()
    try:
        label = "&label=3" if vae.conditional else ""
        ends = np.array(space.info()["pad_extent"])
        model_ms, round_trip_ms = [], []
        for t in np.linspace(-1.0, 1.0, args.requests):
            u, v = t * ends
            z = space.center + u * space.axes[0] + v * space.axes[1]
            url = f"{server.url}api/decode?z={','.join(f'{c:.4f}' for c in z)}{label}"
            start = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                response.read()
                timing = response.headers["Server-Timing"]
            round_trip_ms.append(1000 * (time.perf_counter() - start))
            model_ms.append(float(timing.split("dur=")[1]))
    finally:
        server.stop()
    report = {
        "backend": keras.backend.backend(),
        "run": args.run,
        "requests": args.requests,
        "model_ms_median": round(float(np.median(model_ms)), 2),
        "model_ms_p95": round(float(np.percentile(model_ms, 95)), 2),
        "round_trip_ms_median": round(float(np.median(round_trip_ms)), 2),
        "round_trip_ms_p95": round(float(np.percentile(round_trip_ms, 95)), 2),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
