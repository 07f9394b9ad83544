"""The semi-supervised VAE, M2 of Kingma et al. (2014, "Semi-supervised learning with deep
generative models"): p(x | y, z) p(y) p(z), with q(z | x, y) and a classifier q(y | x).

A labelled image (class y) contributes the negative ELBO of (x, y), -log p(x | y, z) + KL(q(z |
x, y) || p(z)) - log p(y), and `classification_weight` (the paper's alpha) times the
cross-entropy -log q(y | x); an unlabelled one (label -1) the negative ELBO of x, in which y is
summed out over every class: sum_y q(y | x) [negative ELBO of (x, y)] - H(q(y | x)). The sum is
an enumeration: every image is encoded and decoded once per class, in one batch of K times its
size, so the maths is the same `keras.ops` code on every backend. By default an image's classes
share one noise draw (its ELBOs then differ by the class alone); `class_noise="per_class"` draws
each class its own, as Kingma et al.'s code does.

The cross-entropy enters as alpha times its mean over the batch's labelled images, beside the
per-image mean of the rest. The paper's objective sums its terms over the data set with alpha =
0.1 N on the cross-entropy's expectation (its code: beta = alpha N / N_labelled on each
labelled image's log q(y | x), dpkingma/nips14-ssl); divided by N, on batches that mix
labelled and unlabelled images in the data set's proportion, that is this objective with
alpha = 0.1, the default.
"""

from __future__ import annotations

import math
from typing import Any

import keras
from keras import ops

from keras_vae.latent import decode_draws
from keras_vae.losses import VAEOutputs
from keras_vae.models.base import BITS_PER_DIM, REGULARIZATION
from keras_vae.models.conditioning import condition_codes
from keras_vae.models.labels import UNLABELLED, PartialLabels
from keras_vae.models.vae import VAE

# The metrics M2 reports beside the ELBO's terms: the label's nats (-log p(y), less q(y | x)'s
# entropy where y is unknown), the labelled images' cross-entropy, and their classification
# error.
LABEL, CLASSIFICATION, ERROR = "label", "classification", "error"
# How an image's classes draw their reparameterisation noise (`SemiSupervisedVAE`).
CLASS_NOISE = ("shared", "per_class")


@keras.saving.register_keras_serializable(package="keras_vae")
class SemiSupervisedVAE(VAE):
    """M2: a conditional VAE whose labels may be missing (-1), with a classifier q(y | x).

    `fit(x, y)` takes -1 for the images without a class. Each epoch reports `loss` (per image:
    the negative ELBO of (x, y) where y is known, of x where it is not), the loss terms,
    `label`, `classification` (the cross-entropy of the labelled images) and `error` (their
    classification error), and `objective` (loss + alpha x classification). Methods given no
    label, or -1, use the classifier's most probable class.

    Args:
        encoder, decoder: a conditional VAE's networks (`conditioning.conditional_networks`).
        classifier: maps images (batch, H, W, C) to (batch, num_classes) logits
            (`conditioning.classifier_network`).
        num_classes: the classes.
        classification_weight: alpha, the weight of the labelled images' mean cross-entropy.
        class_noise: "shared": one reparameterisation draw per image, the same for every class
            it is enumerated as; "per_class": one per image and class.
        **kwargs: the rest of `VAE`'s (losses, prior, seed, ...).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        classifier: keras.Model,
        num_classes: int,
        classification_weight: float = 0.1,
        class_noise: str = "shared",
        **kwargs: Any,
    ) -> None:
        if num_classes is None or int(num_classes) < 2:
            raise ValueError(f"A semi-supervised VAE needs 2 or more classes, got {num_classes}.")
        if not classification_weight >= 0:
            raise ValueError(f"classification_weight must be >= 0, got {classification_weight}.")
        if class_noise not in CLASS_NOISE:
            raise ValueError(f"class_noise must be one of {CLASS_NOISE}, got {class_noise!r}.")
        super().__init__(encoder, decoder, num_classes=num_classes, **kwargs)
        self._check_plain_elbo()
        outputs = classifier.outputs[0].shape[-1]
        if outputs != self.num_classes:
            raise ValueError(
                f"The classifier gives {outputs} logits for {self.num_classes} classes."
            )
        self.classifier = classifier
        self.classification_weight = float(classification_weight)
        self.class_noise = class_noise

    def _check_plain_elbo(self) -> None:
        """Raises a ValueError for what M2's sum over classes cannot weight image by image: an
        objective other than the ELBO, or a loss term that reshapes it (a beta, a warm-up,
        free bits) or reports more than its nats."""
        if self.objective.name is not None or self.objective.draws != 1:
            raise ValueError(
                "A semi-supervised VAE trains on the ELBO; drop the objective "
                f"{type(self.objective).__name__}."
            )
        for term in self.loss_terms:
            if term.changes_objective or term.reported or not term.in_elbo:
                raise ValueError(
                    f"A semi-supervised VAE takes the plain ELBO; the {term.name} term "
                    f"({type(term).__name__}) reshapes or adds to it: drop its beta, "
                    "warm-up, free bits or weight."
                )

    @property
    def labelling(self) -> PartialLabels:
        """Labels for some images, -1 for the rest."""
        return PartialLabels(self.num_classes)

    def _metric_names(self, *networks: keras.Model) -> list[str]:
        names = [n for n in super()._metric_names(*networks) if n != "objective"]
        return [*names, LABEL, CLASSIFICATION, ERROR, "objective"]

    def class_logits(self, x: Any, training: bool = False) -> Any:
        """Returns q(y | x)'s logits (batch, num_classes) for images `x`."""
        x = ops.convert_to_tensor(x, dtype="float32")
        return ops.cast(self.classifier(x, training=training), "float32")

    def classify(self, x: Any) -> Any:
        """Returns q(y | x), the class probabilities (batch, num_classes) of images `x`."""
        return ops.softmax(self.class_logits(x), axis=-1)

    def compute_loss_terms(
        self, x: Any, training: bool = False, epsilon: Any = None, labels: Any = None
    ) -> dict:
        """Runs M2 on a batch and returns its terms as batch means (see the class docstring).

        Args:
            x: (batch, H, W, C) images in [0, 1].
            training: whether this is a training pass.
            epsilon: standard-normal noise: (batch, latent_dim), the same for every class,
                or (num_classes, batch, latent_dim), each class its own; drawn when None, as
                `class_noise` says.
            labels: (batch,) classes, -1 where unknown; None: none known.
        """
        x = ops.convert_to_tensor(x, dtype="float32")
        if training and self.dynamic_binarization:
            x = ops.cast(self._noise(keras.random.uniform, ops.shape(x)) < x, "float32")
        batch, classes = ops.shape(x)[0], self.num_classes
        log_q = ops.log_softmax(self.class_logits(x, training), axis=-1)
        q = ops.exp(log_q)
        if labels is None:
            known = ops.zeros((batch, classes), "float32")
        else:
            known = self.labelling.one_hot(labels)
        labelled = ops.sum(known, axis=-1)  # 1 where the class is known, else 0

        every, x_every = self._every_class(x)
        z_mean, z_log_var = self._posterior(x_every, every, training)
        if epsilon is None and self.class_noise == "per_class":
            noise = self._draw_noise(None, z_mean)
        elif epsilon is not None and len(epsilon.shape) == 3:  # class-major, as `_every_class`
            noise = ops.reshape(ops.convert_to_tensor(epsilon, "float32"), (-1, self.noise_dim))
        else:
            noise = ops.tile(self._draw_noise(epsilon, z_mean[:batch]), (classes, 1))
        z = self.reparameterize(z_mean, z_log_var, noise)
        params = decode_draws(self.decoder, condition_codes(z, every), training)
        outputs = VAEOutputs(
            x=x_every,
            z_mean=z_mean,
            z_log_var=z_log_var,
            z=z,
            params=params,
            prior=self.prior,
            seed_generator=self.seed_generator,
        )
        # Each image's classes weighted: the known one, else q(y | x).
        weights = known + (1.0 - labelled)[:, None] * q

        def per_image(nats: Any) -> Any:
            return ops.sum(ops.transpose(ops.reshape(nats, (classes, batch))) * weights, axis=-1)

        terms = {}
        negative_elbo = 0.0
        for term in self.loss_terms:
            nats = per_image(term.nats(outputs))
            terms[term.name] = ops.mean(nats)
            negative_elbo = negative_elbo + nats
        # -log p(y) for the uniform p(y); for an unknown y, less the entropy of q(y | x).
        label_nats = math.log(classes) + (1.0 - labelled) * ops.sum(q * log_q, axis=-1)
        terms[LABEL] = ops.mean(label_nats)
        negative_elbo = ops.mean(negative_elbo + label_nats)

        count = ops.maximum(ops.sum(labelled), 1.0)  # a batch may hold no labelled image
        terms[CLASSIFICATION] = -ops.sum(known * log_q) / count
        wrong = 1.0 - ops.sum(known * _argmax_one_hot(log_q, classes), axis=-1)
        terms[ERROR] = ops.sum(labelled * wrong) / count
        objective = negative_elbo + self.classification_weight * terms[CLASSIFICATION]
        if self.likelihood.discrete:
            terms[BITS_PER_DIM] = negative_elbo / (math.prod(self.image_shape) * math.log(2.0))
        layer_losses = self.losses
        if layer_losses:
            terms[REGULARIZATION] = ops.sum([ops.cast(loss, "float32") for loss in layer_losses])
            objective = objective + terms[REGULARIZATION]
        return {"loss": negative_elbo, **terms, "objective": objective}

    @property
    def decodes_per_draw(self) -> int:
        # Scoring decodes each draw once per class, y summed out (`log_importance_weights`).
        return self.num_classes

    def log_importance_weights(self, x: Any, epsilon: Any, labels: Any = None) -> Any:
        """Returns (classes x draws, batch) log weights whose log-mean-exp is the IWAE bound
        on log p(x), y summed out: for each class y and draw z_i of q(z | x, y) (from
        `epsilon`, (draws, batch, latent_dim)), log p(x | y, z_i) + log p(z_i) - log q(z_i |
        x, y). With p(y) uniform, log p(x) >= log (1/K) sum_y (1/k) sum_i p(x, z_i | y) /
        q(z_i | x, y), the log-mean-exp over all K k of them. `labels` are not read."""
        x = ops.convert_to_tensor(x, dtype="float32")
        batch, classes = ops.shape(x)[0], self.num_classes
        every, x_every = self._every_class(x)
        z_mean, z_log_var = self._posterior(x_every, every)
        epsilon = ops.tile(ops.convert_to_tensor(epsilon, dtype="float32"), (1, classes, 1))
        z = self.reparameterize(z_mean, z_log_var, epsilon)
        params = decode_draws(self.decoder, condition_codes(z, every), False)
        log_weights = self._log_weights(x_every, z_mean, z_log_var, z, params)
        # (draws, classes x batch), class-major, to (draws x classes, batch).
        return ops.reshape(log_weights, (ops.shape(log_weights)[0] * classes, batch))

    def _every_class(self, x: Any) -> tuple[Any, Any]:
        """Returns one-hot classes and images for every image once per class, class-major
        (row k * batch + i is image i as class k): (K batch, K) and (K batch, H, W, C)."""
        batch, classes = ops.shape(x)[0], self.num_classes
        every = ops.repeat(ops.eye(classes, dtype="float32"), batch, axis=0)
        return every, ops.tile(x, (classes, *([1] * (len(x.shape) - 1))))

    def predicted_labels(self, x: Any, labels: Any = None) -> Any:
        """Returns `labels` (batch,) with the classifier's most probable class where a label
        is -1, or for every image where `labels` is None."""
        predicted = ops.argmax(self.class_logits(x), axis=-1)
        if labels is None:
            return predicted
        labels = ops.convert_to_tensor(labels)
        if len(labels.shape) == 2:
            return ops.argmax(labels, axis=-1)
        return ops.where(
            ops.equal(labels, UNLABELLED), predicted, ops.cast(labels, predicted.dtype)
        )

    def call(self, x: Any, training: bool = False, labels: Any = None) -> Any:
        """Returns the mean reconstructions of `x` from its posterior means, as the images'
        labels (the classifier's class where none is given)."""
        x, labels = self.labelling.inputs_and_labels(x, labels)
        x = ops.convert_to_tensor(x, dtype="float32")
        one_hot = self._one_hot(self.predicted_labels(x, labels))
        z_mean, _ = self._posterior(x, one_hot, training)
        return self._decode_images(z_mean, one_hot)

    def encode(self, x: Any, labels: Any = None) -> tuple[Any, Any]:
        """Returns `(z_mean, z_log_var)` of q(z | x, y), y the label or else the classifier's
        class."""
        x = ops.convert_to_tensor(x, dtype="float32")
        return self._posterior(x, self._one_hot(self.predicted_labels(x, labels)))

    def reconstruct(
        self, x: Any, sampler: str = "mode", labels: Any = None, seed: Any = None
    ) -> Any:
        """`VAE.reconstruct`, as the images' labels or else the classifier's classes."""
        x = ops.convert_to_tensor(x, dtype="float32")
        return super().reconstruct(x, sampler, self.predicted_labels(x, labels), seed)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "classifier": keras.saving.serialize_keras_object(self.classifier),
            "classification_weight": self.classification_weight,
            "class_noise": self.class_noise,
        }

    @classmethod
    def from_config(cls, config: dict) -> SemiSupervisedVAE:
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(config["classifier"])
        return super().from_config(config)


def _argmax_one_hot(log_q: Any, classes: int) -> Any:
    """Returns one-hot rows of the most probable class."""
    return ops.one_hot(ops.argmax(log_q, axis=-1), classes, dtype="float32")
