"""The VAE model: encode, decode, sample, and `compute_loss_terms`, where all its maths lives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_vae.backend import VAETrainer, replica_context
from keras_vae.images import check_images
from keras_vae.losses import Likelihood, LossTerm, VAEOutputs, get_loss

DEFAULT_LOSSES = ("bernoulli", "kl")
# Bounds of the encoder's log-variance. Outside them exp() of it under- or overflows in the KL
# and the reparameterisation (float32, and sooner in bfloat16); no useful posterior is there.
LOG_VAR_RANGE = (-20.0, 20.0)
_SEED_STATE = "seed_generator_state"  # its key among the model's saved variables
REGULARIZATION = "regularization"  # the metric of the layers' own losses (self.losses)


def resolve_loss_terms(losses: Sequence[str | LossTerm | dict]) -> list[LossTerm]:
    """Returns `losses` as LossTerm instances: names via the registry, configs via Keras."""
    terms = []
    for loss in losses:
        if isinstance(loss, str):
            loss = get_loss(loss)()
        elif isinstance(loss, dict):
            loss = keras.saving.deserialize_keras_object(loss)
        if not isinstance(loss, LossTerm):
            raise TypeError(
                f"Each loss must be a registered name or a keras_vae.losses.LossTerm, "
                f"got {loss!r} ({type(loss).__name__})."
            )
        terms.append(loss)
    names = [term.name for term in terms]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"Two loss terms report the same metric {duplicated}; give each its own.")
    likelihoods = [term for term in terms if isinstance(term, Likelihood)]
    if len(likelihoods) != 1:
        raise ValueError(
            f"A VAE needs exactly one reconstruction likelihood among its losses, got "
            f"{len(likelihoods)} in {terms}. Add one of bernoulli, gaussian, laplace, "
            "continuous_bernoulli."
        )
    return terms


@keras.saving.register_keras_serializable(package="keras_vae")
class VAE(VAETrainer, keras.Model):
    """A variational autoencoder trained by maximising the ELBO with `fit()`.

    Each epoch reports `loss` (negative ELBO, nats per image) and one metric per loss term
    (`reconstruction`, `kl`, ...); `objective` too when a term reshapes what is optimised.
    Calling the model returns the reconstruction means from the posterior means.

    Args:
        encoder: maps images (batch, H, W, C) to `[z_mean, z_log_var]`, each (batch, latent_dim).
        decoder: maps z (batch, latent_dim) to the likelihood's parameters, (batch, H, W, C).
        losses: loss terms, as registered names or `LossTerm` instances; exactly one likelihood.
        seed: seed of the sampling noise (an int for reproducible runs).
        dynamic_binarization: in training, replace each image by a fresh Bernoulli draw with its
            pixel values as probabilities (the literature's protocol for binarised MNIST).

    Example:
        >>> vae = keras_vae.build_vae("dense", latent_dim=16)
        >>> vae.compile(optimizer=keras.optimizers.Adam(1e-3))
        >>> vae.fit(x_train, epochs=10, batch_size=128, validation_data=(x_test,))
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        losses: Sequence[str | LossTerm] = DEFAULT_LOSSES,
        seed: int | None = None,
        dynamic_binarization: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        _check_encoder_decoder(encoder, decoder)
        self.encoder = encoder
        self.decoder = decoder
        self.loss_terms = resolve_loss_terms(losses)
        self.likelihood = next(t for t in self.loss_terms if isinstance(t, Likelihood))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.dynamic_binarization = bool(dynamic_binarization)
        names = ["loss"] + [term.name for term in self.loss_terms]
        if _has_regularizers(encoder) or _has_regularizers(decoder):
            names.append(REGULARIZATION)
        if REGULARIZATION in names or any(term.changes_objective for term in self.loss_terms):
            names.append("objective")
        self._trackers = [keras.metrics.Mean(name=name) for name in names]
        self.built = True

    @property
    def image_shape(self) -> tuple[int, ...]:
        """(H, W, C) of the images this model takes."""
        return tuple(self.encoder.input_shape[1:])

    @property
    def latent_dim(self) -> int:
        return int(self.decoder.input_shape[-1])

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self._trackers)

    def compute_loss_terms(self, x: Any, training: bool = False, epsilon: Any = None) -> dict:
        """Runs the model on a batch and returns every loss term as a batch mean.

        Args:
            x: (batch, H, W, C) images in [0, 1].
            training: whether this is a training pass (dynamic binarisation applies).
            epsilon: (batch, latent_dim) standard-normal noise for the reparameterisation;
                drawn from the model's seed generator when None.

        Returns:
            A dict with `loss` (negative ELBO in nats per image), one entry per loss term's
            name, `regularization` (the sum of the networks' weight and activity regularisers,
            `self.losses`, where they have any), and `objective` (what the optimiser minimises:
            the shaped terms plus the regularisers).
        """
        x = ops.convert_to_tensor(x, dtype="float32")
        if training and self.dynamic_binarization:
            x = ops.cast(self._noise(keras.random.uniform, ops.shape(x)) < x, "float32")
        # Under a mixed-precision policy the networks compute in bfloat16/float16; the loss
        # terms always take float32, where their sums over pixels keep their precision.
        z_mean, z_log_var = self._posterior(self.encoder(x, training=training))
        z = self.reparameterize(z_mean, z_log_var, epsilon)
        params = ops.cast(self.decoder(z, training=training), "float32")
        outputs = VAEOutputs(x=x, z_mean=z_mean, z_log_var=z_log_var, z=z, params=params)

        # Evaluation scores the objective as after warm-up: a step read there would be frozen
        # into JAX's compiled test step.
        step = self.optimizer.iterations if training and self.optimizer is not None else None
        terms = {}
        negative_elbo = objective = 0.0
        for term in self.loss_terms:
            value = ops.mean(term.nats(outputs))
            terms[term.name] = value
            negative_elbo = negative_elbo + value
            objective = objective + (
                term.objective(outputs, step) if term.changes_objective else value
            )
        # As Keras's compute_loss does: whatever the layers added (kernel, bias and activity
        # regularisers, add_loss) is minimised with the objective; it is no part of the ELBO.
        layer_losses = self.losses  # walks every layer: read once
        if layer_losses:
            terms[REGULARIZATION] = ops.sum([ops.cast(loss, "float32") for loss in layer_losses])
            objective = objective + terms[REGULARIZATION]
        return {"loss": negative_elbo, **terms, "objective": objective}

    def reparameterize(self, z_mean: Any, z_log_var: Any, epsilon: Any = None) -> Any:
        """Returns z = z_mean + exp(z_log_var / 2) * epsilon, a differentiable draw from q(z|x).

        Args:
            epsilon: standard-normal noise shaped like `z_mean`; drawn from the model's seed
                generator when None.
        """
        if epsilon is None:
            epsilon = self._noise(keras.random.normal, ops.shape(z_mean))
        else:
            epsilon = ops.convert_to_tensor(epsilon, dtype="float32")
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def _noise(self, draw, shape) -> Any:
        """Returns `draw(shape)` from the model's seed generator, different on each replica of
        a data-parallel run whose replicas each see their own part of the batch."""
        index, count = replica_context()
        if isinstance(count, int) and count == 1:
            return draw(shape, seed=self.seed_generator)
        # Every replica draws the same (count, *shape) block from the shared state and keeps
        # its own row: independent noise without per-replica generator state.
        return ops.take(draw((count, *shape), seed=self.seed_generator), index, axis=0)

    def update_metrics(self, terms: dict, batch_size: Any) -> dict:
        """Adds a batch's terms to the epoch means; returns the current means as logs."""
        for tracker in self._trackers:
            # A layer that calls add_loss without a declared regulariser is still minimised,
            # though not reported on its own.
            if tracker.name in terms:
                tracker.update_state(terms[tracker.name], sample_weight=batch_size)
        return {tracker.name: tracker.result() for tracker in self._trackers}

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, after checking that `x` (and the validation images) are images
        this model can train on."""
        self._check_inputs(x, y)
        validation = kwargs.get("validation_data")
        if isinstance(validation, (tuple, list)) and validation:
            self._check_inputs(validation[0], validation[1] if len(validation) > 1 else None)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, after checking that `x` are images this model can score."""
        if not kwargs.get("_use_cached_eval_dataset"):  # fit's validation, checked by fit once
            self._check_inputs(x, y)
        return super().evaluate(x, y, *args, **kwargs)

    def _check_inputs(self, x: Any, y: Any) -> None:
        check_images(
            x,
            self.image_shape,
            self.likelihood.support,
            range_fix="for 8-bit images divide by 255, or choose the gaussian or laplace "
            "likelihood",
        )
        if y is not None and hasattr(y, "__len__") and hasattr(x, "__len__"):
            if len(y) != len(x):
                raise ValueError(
                    f"There are {len(y)} labels for {len(x)} images; they must match (a VAE "
                    "ignores labels, so you may also leave them out)."
                )

    def call(self, x: Any, training: bool = False) -> Any:
        z_mean, _ = self.encoder(x, training=training)
        return self.decode(z_mean)

    def encode(self, x: Any) -> tuple[Any, Any]:
        """Returns `(z_mean, z_log_var)` of q(z | x), each (batch, latent_dim)."""
        return self._posterior(self.encoder(ops.convert_to_tensor(x, dtype="float32")))

    def _posterior(self, encoded: Sequence[Any]) -> tuple[Any, Any]:
        """Returns the encoder's `(z_mean, z_log_var)` in float32, the log-variance clipped to
        `LOG_VAR_RANGE`."""
        z_mean, z_log_var = (ops.cast(t, "float32") for t in encoded)
        return z_mean, ops.clip(z_log_var, *LOG_VAR_RANGE)

    def decode(self, z: Any) -> Any:
        """Returns the mean images (batch, H, W, C) in [0, 1] of p(x | z)."""
        return self.likelihood.mean(self.decoder(ops.convert_to_tensor(z, dtype="float32")))

    def reconstruct(self, x: Any, sampler: str = "mode") -> Any:
        """Returns the mean images decoded from q(z | x).

        Args:
            x: (batch, H, W, C) images in [0, 1].
            sampler: "mode" decodes the posterior mean (deterministic); "sample" a draw of z.
        """
        z_mean, z_log_var = self.encode(x)
        if sampler == "mode":
            return self.decode(z_mean)
        if sampler == "sample":
            return self.decode(self.reparameterize(z_mean, z_log_var))
        raise ValueError(f"sampler must be 'mode' or 'sample', got {sampler!r}.")

    def sample(self, n: int, seed: int | None = None, temperature: float = 1.0) -> Any:
        """Returns `n` mean images (n, H, W, C) decoded from z ~ N(0, temperature^2 I).

        Args:
            n: how many images.
            seed: an int for a reproducible draw; None advances the model's seed generator.
            temperature: scale of the prior's standard deviation.
        """
        z = keras.random.normal(
            (n, self.latent_dim),
            stddev=temperature,
            seed=self.seed_generator if seed is None else seed,
        )
        return self.decode(z)

    def save_own_variables(self, store) -> None:
        """Saves the model's own state: as Keras's, plus the sampling noise's random state (a
        `SeedGenerator` is not saved by Keras), so that a resumed run draws the noise the
        uninterrupted one would have."""
        super().save_own_variables(store)
        store[_SEED_STATE] = ops.convert_to_numpy(self.seed_generator.state.value)

    def load_own_variables(self, store) -> None:
        """Loads what `save_own_variables` saved; files without the random state load too."""
        keys = list(store.keys())
        if _SEED_STATE in keys:
            state = self.seed_generator.state
            state.assign(np.asarray(store[_SEED_STATE]).astype(state.dtype))
        super().load_own_variables({key: store[key] for key in keys if key != _SEED_STATE})

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "losses": [keras.saving.serialize_keras_object(t) for t in self.loss_terms],
            "seed": self.seed,
            "dynamic_binarization": self.dynamic_binarization,
        }

    @classmethod
    def from_config(cls, config: dict) -> VAE:
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


def _has_regularizers(network: keras.Model) -> bool:
    """Whether any layer of `network` has a weight or activity regulariser."""
    return any(getattr(w, "regularizer", None) is not None for w in network.weights) or any(
        getattr(layer, "activity_regularizer", None) is not None
        for layer in network._flatten_layers(include_self=True)
    )


def _check_encoder_decoder(encoder: keras.Model, decoder: keras.Model) -> None:
    """Raises a ValueError unless encoder and decoder fit together as a VAE."""
    outputs = getattr(encoder, "outputs", None)
    if not outputs or len(outputs) != 2:
        raise ValueError(
            "The encoder must output [z_mean, z_log_var]; got "
            f"{len(outputs) if outputs else 'no known'} outputs. Build it with "
            "keras_vae.architectures.blocks.gaussian_head or a registered architecture."
        )
    latent = tuple(outputs[0].shape[1:])
    if decoder.input_shape[1:] != latent:
        raise ValueError(
            f"The decoder takes z of shape {decoder.input_shape[1:]} but the encoder gives "
            f"{latent}; build both with the same latent_dim."
        )
    if tuple(decoder.output_shape[1:]) != tuple(encoder.input_shape[1:]):
        raise ValueError(
            f"The decoder outputs {decoder.output_shape[1:]} but the encoder takes images of "
            f"{encoder.input_shape[1:]}; the decoder must give one parameter per pixel."
        )
