"""Runs one small training data-parallel or on one device, for tests/test_distribution.py.

    python tests/distributed_run.py DATA OUT [--distribute] [--report FILE] [--stream]
        [--batch-size B] [jax multi-host options: --coordinator-address A --num-processes N
        --process-id I]

Two epochs of plain SGD (whose steps, unlike Adam's, scale with the gradient, so a gradient
summed instead of averaged over replicas shows in the loss). Writes FILE (one per process:
"{rank}" in it becomes the process's index) as JSON: the last epoch's training loss, how many
replicas trained, and the batch sizes each replica saw in the run's own train steps (the
sharding of the step's input on JAX, printed by each replica on TensorFlow, recorded in each
process on torch), and the final weights. DATA may be an image folder (100 test images held
out), read into memory or, with --stream, decoded batch by batch by one worker process.
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

if keras.backend.backend() == "jax":
    import jax

    # The step's sharding is recorded as XLA compiles it; a program read back from JAX's
    # compilation cache would skip that.
    jax.config.update("jax_enable_compilation_cache", False)

from keras_vae.training import TrainingConfig, train
from keras_vae.training import run as training_run
from keras_vae.training.distribution import DataParallel


def main():
    """Trains once, as the options say, and writes the report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--distribute", action="store_true")
    parser.add_argument("--report", required=True)
    parser.add_argument("--stream", action="store_true")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--coordinator-address")
    parser.add_argument("--num-processes", type=int)
    parser.add_argument("--process-id", type=int)
    args = parser.parse_args()

    spec = None
    if args.distribute:
        spec = DataParallel(args.coordinator_address, args.num_processes, args.process_id)
    folder = {}
    if Path(args.data).is_dir():
        folder = dict(test_split=100, stream=args.stream, stream_workers=1)
    config = TrainingConfig(
        data=Path(args.data), out=Path(args.out), hidden_units=(32,), latent_dim=2,
        batch_size=args.batch_size, epochs=2, seed=7, checkpoint_every=1, verbose=0,
        distribution=spec, learning_rate=3e-3, **folder,
    )  # fmt: skip
    build_model = training_run.build_model

    def build_model_with_sgd(config, input_shape, train_images=None, num_classes=None):
        model = build_model(config, input_shape, train_images, num_classes)
        model.compile(optimizer=keras.optimizers.SGD(config.learning_rate))
        return model

    training_run.build_model = build_model_with_sgd  # where train() looks it up

    backend = keras.backend.backend()
    replica_batches = []
    printed = Path(tempfile.mkdtemp()) / "replica_batches.txt"
    from keras_vae.models.vae import VAE

    step = VAE.train_step
    if backend == "jax":
        import jax

        def recording_step(self, state, data):
            x = data[0] if isinstance(data, (tuple, list)) else data
            # Called as the step is compiled, with the sharding XLA gives the step's input.
            jax.debug.inspect_array_sharding(
                x,
                callback=lambda sharding: replica_batches.append(sharding.shard_shape(x.shape)[0]),
            )
            return step(self, state, data)
    else:

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
        "losses": result.history["loss"],
        "val_loss": result.test_metrics["loss"],
        "process": int(os.environ.get("RANK", args.process_id or 0)),
        "weights": [float(w) for v in result.model.get_weights() for w in v.ravel()],
    }
    report["replica_batches"] = sorted(set(replica_batches))
    if backend == "jax":
        import jax

        report["devices"] = jax.device_count()
        report["processes"] = jax.process_count()
        report["collectives"] = jax.config.jax_cpu_collectives_implementation
    elif backend == "tensorflow":
        lines = printed.read_text().split() if printed.exists() else []
        report["replica_batches"] = sorted({int(n) for n in lines})
    Path(args.report.format(rank=report["process"])).write_text(json.dumps(report))


if __name__ == "__main__":  # Grain's decoding workers (--stream) import this file
    main()
