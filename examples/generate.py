"""Write a grid of samples from a trained VAE, as the original project's generate.py did.

    python examples/generate.py runs/mnist --out grid.png [-n 64] [--seed 0]

The same code as `keras-vae generate`; see `--help` for every option.
"""

from keras_vae.cli import generate

if __name__ == "__main__":
    generate(prog_name="generate.py")
