"""The VAE model: encode, decode, sample, and `compute_loss_terms`, where all its maths lives.

Its keras.Model side (metrics, input checks, saving) is `models.base.VAEBase`; what its parts
must satisfy, `models.checks`; its label plumbing, `models.labels`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from keras_vae.latent import LOG_VAR_RANGE, decode_draws, gaussian_posterior, log_normal
from keras_vae.losses import Likelihood, LossTerm, VAEOutputs
from keras_vae.models.base import BITS_PER_DIM, REGULARIZATION, VAEBase
from keras_vae.models.checks import (
    check_combination,
    check_encoder_decoder,
    resolve_loss_terms,
)
from keras_vae.models.labels import ClassLabels, NoLabels, labelling
from keras_vae.models.random_state import replica_noise
from keras_vae.objectives import Objective, resolve_objective
from keras_vae.priors import Prior, resolve_prior
from keras_vae.priors.base import seed_generator

__all__ = ["DEFAULT_LOSSES", "LOG_VAR_RANGE", "VAE", "resolve_loss_terms"]

DEFAULT_LOSSES = ("bernoulli", "kl")


@keras.saving.register_keras_serializable(package="keras_vae")
class VAE(VAEBase):
    """A variational autoencoder trained with `fit()` by maximising the ELBO or another bound.

    Each epoch reports `loss` (negative ELBO, nats per image) and one metric per loss term
    (`reconstruction`, `kl`, ...); the objective's own bound (`iwae`) where it is not the
    ELBO; `objective` too when a term reshapes what is optimised. Calling the model returns the
    reconstruction means from the posterior means.

    Args:
        encoder: maps images (batch, H, W, C) to `[z_mean, z_log_var]`, each (batch, latent_dim).
        decoder: maps z (batch, latent_dim) to the likelihood's parameters, (batch, H, W, C).
        losses: loss terms, as registered names or `LossTerm` instances; exactly one likelihood.
        seed: seed of the sampling noise (an int for reproducible runs).
        dynamic_binarization: in training, replace each image by a fresh Bernoulli draw with its
            pixel values as probabilities (the literature's protocol for binarised MNIST).
        prior: p(z), a registered name (`standard_normal`, `mixture_of_gaussians`, `vamp`) or a
            `keras_vae.priors.Prior`; its weights train with the model's.
        objective: what training maximises: None or `"elbo"` (the one-sample ELBO) or an
            `Objective` such as `keras_vae.objectives.IWAE(k=5)`.
        num_classes: make the VAE conditional on labels 0 .. num_classes - 1: the encoder
            takes images with the one-hot label as extra channels, the decoder z with it
            appended (`keras_vae.models.conditioning`); `fit(x, y)`, and `labels=` to the methods.
        label_scale: what a conditional encoder's label channels hold in place of 1 (`build_vae`
            gives an encoder that flattens its images 1 / (H W): `conditioning.label_scale`).

    Example:
        >>> vae = keras_vae.build_vae("dense", latent_dim=16)
        >>> vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> vae.fit(x_train, epochs=10, batch_size=128, validation_data=(x_test,))
    """

    #: Whether the model has latent layers below the one its prior is over.
    hierarchical = False

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        losses: Sequence[str | LossTerm] = DEFAULT_LOSSES,
        seed: int | None = None,
        dynamic_binarization: bool = False,
        prior: str | Prior | dict = "standard_normal",
        objective: str | Objective | dict | None = None,
        num_classes: int | None = None,
        label_scale: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = None if num_classes is None else int(num_classes)
        if self.num_classes is not None and self.num_classes < 1:
            raise ValueError(f"num_classes must be >= 1, got {num_classes}.")
        if not label_scale > 0:
            raise ValueError(f"label_scale must be > 0, got {label_scale}.")
        self.label_scale = float(label_scale)
        self.loss_terms = resolve_loss_terms(losses)
        self.likelihood = next(t for t in self.loss_terms if isinstance(t, Likelihood))
        self._check_networks(encoder, decoder)
        self.encoder = encoder
        self.decoder = decoder
        self.prior = resolve_prior(prior)
        self.objective = resolve_objective(objective)
        check_combination(self.loss_terms, self.prior, self.objective, self.hierarchical)
        if self.num_classes is not None and (self.prior.reads_encoder or self.hierarchical):
            raise ValueError(
                f"A conditional VAE cannot have the {type(self.prior).__name__} prior"
                + (" or a hierarchy" if self.hierarchical else "")
                + ": its networks need a label beside every input. Use the standard_normal or "
                "mixture_of_gaussians prior and a one-layer architecture."
            )
        self.prior.connect(encoder)
        self.likelihood.connect(self.image_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.dynamic_binarization = bool(dynamic_binarization)
        self._track_metrics(encoder, decoder)
        self.built = True

    def _check_networks(self, encoder: keras.Model, decoder: keras.Model) -> None:
        """Raises a ValueError unless encoder and decoder fit together as this VAE's."""
        check_encoder_decoder(encoder, decoder, self.num_classes or 0, self.likelihood)

    @property
    def conditional(self) -> bool:
        """Whether the model is conditioned on labels (`num_classes`)."""
        return self.num_classes is not None

    @property
    def labelling(self) -> NoLabels | ClassLabels:
        """How the model uses labels: what its callers ask instead of `conditional`."""
        return labelling(self.num_classes)

    @property
    def per_draw_networks(self) -> list[keras.Model]:
        """The networks run once per posterior draw of an image (the decoder here), whose
        activations size a scoring pass."""
        return [self.decoder]

    @property
    def decodes_per_draw(self) -> int:
        """How many times scoring one posterior draw of an image runs `per_draw_networks` and
        the likelihood: once here."""
        return 1

    @property
    def image_shape(self) -> tuple[int, ...]:
        """(H, W, C) of the images this model takes (without a conditional model's label
        channels)."""
        *spatial, channels = self.encoder.input_shape[1:]
        return (*spatial, channels - (self.num_classes or 0))

    @property
    def latent_dim(self) -> int:
        """Size of z, the latent the prior is over (a hierarchy's top layer)."""
        return int(self.encoder.outputs[0].shape[-1])

    def compute_loss_terms(
        self, x: Any, training: bool = False, epsilon: Any = None, labels: Any = None
    ) -> dict:
        """Runs the model on a batch and returns every loss term as a batch mean.

        Args:
            x: (batch, H, W, C) images in [0, 1].
            training: whether this is a training pass (dynamic binarisation applies).
            epsilon: standard-normal noise for the reparameterisation, (batch, noise_dim), or
                (draws, batch, noise_dim) for an objective of several draws; drawn from the
                model's seed generator when None.
            labels: (batch,) class numbers or (batch, num_classes) one-hot rows, for a
                conditional model; ignored otherwise.

        Returns:
            A dict with `loss` (negative ELBO in nats per image, from the first draw), one
            entry per loss term's name and reported metric, the objective's bound where it has
            one (`iwae`), `bits_per_dim` (the negative ELBO in bits per pixel channel) for a
            likelihood over 8-bit values, `regularization` (the sum of the networks' weight
            and activity regularisers, `self.losses`, where they have any), and `objective`
            (what the optimiser minimises: the shaped terms or the bound, plus the
            regularisers).
        """
        x = ops.convert_to_tensor(x, dtype="float32")
        if training and self.dynamic_binarization:
            x = ops.cast(self._noise(keras.random.uniform, ops.shape(x)) < x, "float32")
        one_hot = self._one_hot(labels)
        z_mean, z_log_var = self._posterior(x, one_hot, training)
        noise = self._draw_noise(epsilon, z_mean)
        z, params, lower_kl = self._posterior_draws(x, z_mean, z_log_var, noise, training, one_hot)
        several = len(z.shape) == 3  # the loss terms read the first of several draws
        outputs = VAEOutputs(
            x=x,
            z_mean=z_mean,
            z_log_var=z_log_var,
            z=_first_draw(z, several),
            params=_first_draw(params, several),
            prior=self.prior,
            seed_generator=self.seed_generator,
            lower_kl=_first_draw(lower_kl, several),
        )

        # Evaluation scores the objective as after warm-up: a step read there would be frozen
        # into JAX's compiled test step.
        step = self.optimizer.iterations if training and self.optimizer is not None else None
        terms = {}
        negative_elbo = objective = 0.0
        for term in self.loss_terms:
            value = ops.mean(term.nats(outputs))
            terms[term.name] = value
            terms.update(term.report(outputs))
            if term.in_elbo:
                negative_elbo = negative_elbo + value
            objective = objective + (
                term.objective(outputs, step) if term.changes_objective else value
            )
        if self.objective.name is not None:
            log_weights = self._log_weights(x, z_mean, z_log_var, z, params, lower_kl)
            terms[self.objective.name] = objective = ops.mean(self.objective.nats(log_weights))
        # As Keras's compute_loss does: whatever the layers added (kernel, bias and activity
        # regularisers, add_loss) is minimised with the objective; it is no part of the ELBO.
        if self.likelihood.discrete:
            terms[BITS_PER_DIM] = negative_elbo / (math.prod(self.image_shape) * math.log(2.0))
        layer_losses = self.losses  # walks every layer: read once
        if layer_losses:
            terms[REGULARIZATION] = ops.sum([ops.cast(loss, "float32") for loss in layer_losses])
            objective = objective + terms[REGULARIZATION]
        return {"loss": negative_elbo, **terms, "objective": objective}

    @property
    def noise_dim(self) -> int:
        """Size of the standard-normal noise behind one posterior draw: `latent_dim`, or the
        sum over a hierarchy's layers."""
        return self.latent_dim

    def log_importance_weights(self, x: Any, epsilon: Any, labels: Any = None) -> Any:
        """Returns (draws, batch) log p(x, z_i) - log q(z_i | x) for the posterior draws that
        `epsilon` (draws, batch, noise_dim) of standard-normal noise makes; their log-mean-exp
        is the IWAE bound on log p(x) (on log p(x | y) for a conditional model, given
        `labels`)."""
        x = ops.convert_to_tensor(x, dtype="float32")
        one_hot = self._one_hot(labels)
        z_mean, z_log_var = self._posterior(x, one_hot)
        epsilon = ops.convert_to_tensor(epsilon, dtype="float32")
        z, params, lower_kl = self._posterior_draws(x, z_mean, z_log_var, epsilon, False, one_hot)
        return self._log_weights(x, z_mean, z_log_var, z, params, lower_kl)

    def _posterior_draws(
        self, x, z_mean, z_log_var, noise, training, one_hot=None
    ) -> tuple[Any, Any, Any]:
        """Draws z from q(z | x) with `noise` and decodes it (with the one-hot labels of a
        conditional model).

        Returns:
            z (the draws of the latent the prior is over), the decoder's float32 parameters
            with z's leading axes, and the Monte-Carlo KL of the layers below z, or None
            where z is the only layer (a hierarchy overrides this).
        """
        z = self.reparameterize(z_mean, z_log_var, noise)
        decoder_input = self.labelling.decoder_input(z, one_hot)
        return z, decode_draws(self.decoder, decoder_input, training), None

    def _one_hot(self, labels: Any) -> Any:
        """Returns the one-hot labels a conditional model's networks take (None for an
        unconditional model, which ignores labels)."""
        return self.labelling.one_hot(labels)

    def _posterior(self, x: Any, one_hot: Any, training: bool = False) -> tuple[Any, Any]:
        """Returns `(z_mean, z_log_var)` of q(z | x) (of q(z | x, y) given one-hot labels)."""
        encoder_input = self.labelling.encoder_input(x, one_hot, self.label_scale)
        return gaussian_posterior(self.encoder(encoder_input, training=training))

    def _log_weights(self, x, z_mean, z_log_var, z, params, lower_kl=None) -> Any:
        """Returns (draws, batch) log p(x | z) + log p(z) - log q(z | x) of draws `z`, less
        the log q / p ratio `lower_kl` of the layers below z."""
        log_p_x = self.likelihood.log_prob(x, params)  # x broadcasts over the draws
        log_p_x = ops.sum(log_p_x, axis=tuple(range(len(z.shape) - 1, len(log_p_x.shape))))
        log_weights = log_p_x + self.prior.log_prob(z) - log_normal(z, z_mean, z_log_var)
        if lower_kl is not None:
            log_weights = log_weights - lower_kl
        return log_weights if len(z.shape) == 3 else log_weights[None]

    def _draw_noise(self, epsilon: Any, z_mean: Any) -> Any:
        """Returns the reparameterisation noise: `epsilon` as given, else fresh draws,
        (batch, noise_dim) for a one-draw objective and (draws, batch, noise_dim) otherwise."""
        if epsilon is not None:
            return ops.convert_to_tensor(epsilon, dtype="float32")
        draws = self.objective.draws
        shape = (ops.shape(z_mean)[0], self.noise_dim)
        return self._noise(keras.random.normal, shape if draws == 1 else (draws, *shape))

    def reparameterize(self, z_mean: Any, z_log_var: Any, epsilon: Any = None) -> Any:
        """Returns z = z_mean + exp(z_log_var / 2) * epsilon, a differentiable draw from q(z|x).

        Args:
            epsilon: standard-normal noise shaped like `z_mean`, or with leading draw axes;
                drawn from the model's seed generator when None.
        """
        if epsilon is None:
            epsilon = self._noise(keras.random.normal, ops.shape(z_mean))
        else:
            epsilon = ops.convert_to_tensor(epsilon, dtype="float32")
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def _noise(self, draw, shape) -> Any:
        """Returns `draw(shape)` from the model's seed generator (apart on each replica)."""
        return replica_noise(draw, shape, self.seed_generator)

    def call(self, x: Any, training: bool = False, labels: Any = None) -> Any:
        """Returns the mean reconstructions of `x` from its posterior means.

        A conditional model takes its labels as `labels=`, or with the images as Keras's two
        inputs, `[images, labels]`, which is how `predict` passes them:
        `vae.predict([x, y])`.
        """
        x, labels = self.labelling.inputs_and_labels(x, labels)
        one_hot = self._one_hot(labels)
        z_mean, _ = self._posterior(x, one_hot, training)
        return self._decode_images(z_mean, one_hot)

    def encode(self, x: Any, labels: Any = None) -> tuple[Any, Any]:
        """Returns `(z_mean, z_log_var)` of q(z | x), each (batch, latent_dim); of q(z | x, y)
        for a conditional model, given `labels`."""
        x = ops.convert_to_tensor(x, dtype="float32")
        return self._posterior(x, self._one_hot(labels))

    def decode(self, z: Any, labels: Any = None, seed: Any = None) -> Any:
        """Returns the mean images (batch, H, W, C) in [0, 1] of p(x | z) (of p(x | z, y) for
        a conditional model, given `labels`); for an autoregressive likelihood, whose mean has
        no closed form, images drawn pixel by pixel (`Likelihood.image`).

        Args:
            seed: the draw's seed, an int or a `keras.random.SeedGenerator` (None: the model's
                seed generator); only an autoregressive likelihood draws.
        """
        z = ops.convert_to_tensor(z, dtype="float32")
        return self._decode_images(z, self._one_hot(labels), seed)

    def _decode_images(self, z: Any, one_hot: Any, seed: Any = None) -> Any:
        params = self.decoder(self.labelling.decoder_input(z, one_hot))
        return self.likelihood.image(params, self.seed_generator if seed is None else seed)

    def reconstruct(
        self, x: Any, sampler: str = "mode", labels: Any = None, seed: Any = None
    ) -> Any:
        """Returns the mean images decoded from q(z | x) (drawn, for an autoregressive
        likelihood: see `decode`).

        Args:
            x: (batch, H, W, C) images in [0, 1].
            sampler: "mode" decodes the posterior mean (deterministic); "sample" a draw of z.
            labels: the images' labels, for a conditional model.
            seed: the seed of an autoregressive likelihood's draw (see `decode`).
        """
        z_mean, z_log_var = self.encode(x, labels)
        if sampler == "mode":
            return self.decode(z_mean, labels, seed)
        if sampler == "sample":
            return self.decode(self.reparameterize(z_mean, z_log_var), labels, seed)
        raise ValueError(f"sampler must be 'mode' or 'sample', got {sampler!r}.")

    def sample(
        self, n: int, seed: int | None = None, temperature: float = 1.0, labels: Any = None
    ) -> Any:
        """Returns `n` images (n, H, W, C) decoded from draws of the model's prior: the mean
        of p(x | z), or a draw of it for an autoregressive likelihood (see `decode`).

        Args:
            n: how many images.
            seed: an int for a reproducible draw; None advances the model's seed generator.
            temperature: scale of the prior's standard deviation (of each component's, for a
                mixture).
            labels: for a conditional model, the class of each image, (n,) (e.g. [7, 7, 3]);
                by default every class in equal runs, in order (0, 0, ..., 1, 1, ...).
        """
        # One generator for the codes and the pixels: an int seed would give both the same key.
        seed = self.seed_generator if seed is None else seed_generator(seed)
        z = self.prior.sample(n, seed=seed, temperature=temperature)
        return self.decode(z, self.sample_labels(n, labels), seed)

    def sample_labels(self, n: int, labels: Any = None) -> Any:
        """Returns the labels of `n` samples: `labels` checked, or every class in equal runs,
        in order (None for an unconditional model)."""
        return self.labelling.in_runs(n, labels)

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "losses": [keras.saving.serialize_keras_object(t) for t in self.loss_terms],
            "seed": self.seed,
            "dynamic_binarization": self.dynamic_binarization,
            "prior": keras.saving.serialize_keras_object(self.prior),
            "objective": keras.saving.serialize_keras_object(self.objective),
            "num_classes": self.num_classes,
            "label_scale": self.label_scale,
        }

    @classmethod
    def from_config(cls, config: dict) -> VAE:
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


def _first_draw(t: Any, several: bool) -> Any:
    """Returns the first draw of `t` (draws, batch, ...) where there are `several`, else `t`."""
    return t[0] if several and t is not None else t
