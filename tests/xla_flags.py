"""The XLA flags the tests run JAX with, added to XLA_FLAGS on import (conftest imports it
first, before anything starts JAX)."""

import os

# The tests compile hundreds of small programs and run most for a few steps, so XLA's CPU
# compiler spends longer making machine code than the code then runs. Two flags trade run time
# for compile time: without LLVM's optimisations the whole JAX suite (tox, 2 workers,
# compilation cache empty) took 473 s instead of 641 s, though compute-heavy tests lose (the
# classifier's pass over MNIST: 10 s -> 23 s); without XLA's newer fusion emitters (the older
# ones stay) each compile takes about 40% less (150 small jitted functions: 7.0 s -> 4.4 s;
# the suite 326 s -> 252 s), and no test ran more than 0.8 s slower. TensorFlow (no XLA on
# CPU) and PyTorch are unaffected. Subprocesses inherit them; no fast-math, so the same
# results. A flag the caller already set in XLA_FLAGS keeps its value. (Not through
# keras_vae.backend.xla_flags.merged_xla_flags: importing it imports Keras, which conftest
# must import after torch.)
TEST_XLA_FLAGS = {"xla_backend_optimization_level": "0", "xla_cpu_use_fusion_emitters": "false"}
for flag, value in TEST_XLA_FLAGS.items():
    if flag not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --{flag}={value}".strip()
