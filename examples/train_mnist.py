"""Train a VAE on MNIST: `KERAS_BACKEND=jax python examples/train_mnist.py [--help]`.

The same code as `keras-vae train`; every hyperparameter is a flag.
"""

from keras_vae.cli import train

if __name__ == "__main__":
    train(prog_name="train_mnist.py")
