"""`python -m keras_vae`: the same as the `keras-vae` command."""

from keras_vae.cli import main

main()
