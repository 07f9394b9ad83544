"""Runs one small training data-parallel or on one device, for tests/test_distribution.py.

    python tests/distributed_run.py DATA OUT [--distribute] [--report FILE] [jax multi-host
        options: --coordinator-address A --num-processes N --process-id I]

Writes FILE (one per process: "{rank}" in it becomes the process's index) as JSON: the epoch's
training loss, how many replicas trained, and the batch size each replica saw (read from the
data's sharding on JAX, printed by each replica on TensorFlow, recorded in each process on
torch).
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import keras

if keras.backend.backend() == "tensorflow" and os.environ.get("TF_LOGICAL_CPUS"):
    import tensorflow as tf

    # Before TensorFlow starts its runtime: split the CPU into logical devices to mirror over.
    cpu = tf.config.list_physical_devices("CPU")[0]
    count = int(os.environ["TF_LOGICAL_CPUS"])
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(count)]
    )

from keras_vae.distribution import DataParallel
from keras_vae.training import TrainingConfig, train

parser = argparse.ArgumentParser()
parser.add_argument("data")
parser.add_argument("out")
parser.add_argument("--distribute", action="store_true")
parser.add_argument("--report", required=True)
parser.add_argument("--coordinator-address")
parser.add_argument("--num-processes", type=int)
parser.add_argument("--process-id", type=int)
args = parser.parse_args()

BATCH = 64
spec = None
if args.distribute:
    spec = DataParallel(args.coordinator_address, args.num_processes, args.process_id)
config = TrainingConfig(
    data=Path(args.data), out=Path(args.out), hidden_units=(32,), latent_dim=2, batch_size=BATCH,
    epochs=1, seed=7, checkpoint_every=1, verbose=0, distribution=spec,
)  # fmt: skip

backend = keras.backend.backend()
replica_batches = []
printed = Path(tempfile.mkdtemp()) / "replica_batches.txt"
if backend in ("tensorflow", "torch"):
    from keras_vae.model import VAE

    step = VAE.train_step

    def recording_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        if backend == "tensorflow":
            import tensorflow as tf

            tf.print(tf.shape(x)[0], output_stream=f"file://{printed}")
        else:
            replica_batches.append(int(x.shape[0]))
        return step(self, data)

    VAE.train_step = recording_step

result = train(config, overwrite=True)
report = {
    "loss": result.history["loss"][-1],
    "val_loss": result.test_metrics["loss"],
    "process": int(os.environ.get("RANK", args.process_id or 0)),
}
if backend == "jax":
    import jax
    import numpy as np

    report["devices"] = jax.device_count()
    report["processes"] = jax.process_count()
    if spec is not None and jax.process_count() == 1:
        # What Keras does with a batch under this distribution: shard it between the devices.
        layout = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        sharded = jax.device_put(
            np.zeros((BATCH, 28, 28, 1), "float32"),
            layout.get_data_layout((BATCH, 28, 28, 1)).backend_layout,
        )
        report["replica_batches"] = [s.data.shape[0] for s in sharded.addressable_shards]
elif backend == "tensorflow":
    lines = printed.read_text().split() if printed.exists() else []
    report["replica_batches"] = sorted({int(n) for n in lines})
else:
    report["replica_batches"] = sorted(set(replica_batches))
Path(args.report.format(rank=report["process"])).write_text(json.dumps(report))
