"""What a new run starts from: its data, its compiled model, and the decoder's output bias
set to the data's mean."""

from __future__ import annotations

import dataclasses

import keras
import numpy as np

from keras_vae.losses import Likelihood
from keras_vae.models.build import build_vae
from keras_vae.models.labels import labelling_of_run
from keras_vae.models.vae import VAE
from keras_vae.optimizers import UncorrectedAdam
from keras_vae.training.components import build_component, component_settings, run_components
from keras_vae.training.config import TrainingConfig


def load_data(config: TrainingConfig) -> tuple[tuple, tuple]:
    """Returns (x_train, y_train), (x_test, y_test) as `config` selects them, the validation
    split not yet held out (`TrainingConfig.data_source` gives the whole run's data)."""
    data = dataclasses.replace(config.data_source(), validation_split=None).load()
    return data.train, data.test


def build_model(
    config: TrainingConfig,
    input_shape: tuple[int, ...],
    train_images: int | None = None,
    num_classes: int | None = None,
) -> VAE:
    """Returns the compiled VAE that `config` describes, for images of `input_shape`.

    Args:
        train_images: the size of the training set (beta_tc's minibatch-weighted sampling
            reads it).
        num_classes: the labels' classes, for a conditional model (`config.conditional`).
    """
    labels = labelling_of_run(config.conditional or config.labelled is not None, num_classes)
    components = run_components(config)
    settings = component_settings(config)
    likelihood = components["likelihood"][1]
    if not (isinstance(likelihood, type) and issubclass(likelihood, Likelihood)):
        raise ValueError(
            f"{config.likelihood!r} is a loss term but not a reconstruction likelihood."
        )
    # The likelihood, the KL term, then any term --objective adds, in the order of `components`.
    losses = [
        build_component(config, role, components, settings, dataset_size=train_images)
        for role in components
        if role not in ("architecture", "prior", "objective")
    ]
    model = build_vae(
        config.architecture,
        input_shape=input_shape,
        latent_dim=config.latent_dim,
        losses=losses,
        seed=config.seed,
        dynamic_binarization=config.binarize == "dynamic",
        prior=build_component(config, "prior", components, settings, seed=config.seed),
        objective=build_component(config, "objective", components, settings),
        num_classes=labels.num_classes,
        **(
            {
                "semi_supervised": True,
                "classification_weight": config.classification_weight,
                "class_noise": config.class_noise,
            }
            if config.labelled is not None
            else {}
        ),
        **{**config.architecture_kwargs(train_images), **settings.get("architecture", {})},
    )
    adam = UncorrectedAdam if config.uncorrected_adam else keras.optimizers.Adam
    model.compile(optimizer=adam(config.learning_rate, global_clipnorm=config.clip_norm))
    return model


def initialize_output_bias(model: VAE, x: np.ndarray) -> None:
    """Sets the decoder's last bias to the likelihood's parameter for the mean training image.

    The untrained model then predicts the average image instead of uniform grey, and early
    training spends no steps learning it (as in Burda et al.'s IWAE code). The likelihood says
    which parameters have that mean (`Likelihood.params_for_mean`: the logit for the
    sigmoid-mean likelihoods, an inverted mean for the continuous Bernoulli, the mean and a wide
    scale for the discretised ones); one that cannot say is left as built. A bias of one value
    per pixel takes the mean image; one per channel takes the channel means.

    Args:
        model: a VAE whose decoder ends in a layer with a bias (Dense or Conv2D), maybe followed
            by bias-free reshaping or cropping layers.
        x: (N, H, W, C) training images in [0, 1].
    """
    with_bias = [
        layer for layer in model.decoder.layers if getattr(layer, "bias", None) is not None
    ]
    if not with_bias:
        return
    layer = with_bias[-1]
    mean = x.mean(axis=0, dtype="float64")
    bias_size = int(np.prod(layer.bias.shape))
    params = model.likelihood.params_for_mean(mean)
    if params is not None and np.size(params) != bias_size:
        # One bias per output channel: the channel means' parameters.
        params = model.likelihood.params_for_mean(mean.reshape(-1, mean.shape[-1]).mean(axis=0))
        if params is not None and np.size(params) != bias_size:
            return  # an architecture whose output layer we cannot read; leave it as built
    if params is not None:
        layer.bias.assign(np.asarray(params, "float32").reshape(layer.bias.shape))
