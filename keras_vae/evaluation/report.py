"""The evaluation report of a trained VAE: every likelihood and sample-quality figure on a
test set, as a table or JSON."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keras_vae.data.fashion_mnist import is_fashion_mnist_test_set
from keras_vae.data.mnist import is_mnist_test_set
from keras_vae.evaluation import likelihood, reconstruction, sample_quality
from keras_vae.evaluation.bits_per_dim import bits_per_dim, png_bits_per_dim
from keras_vae.evaluation.classification import classification_error
from keras_vae.evaluation.classifier import IMAGE_SHAPE, MNISTClassifier
from keras_vae.gmm_sampler import ClassConditionalSampler, GaussianMixtureSampler
from keras_vae.inference import sample_images
from keras_vae.models.vae import VAE


@dataclass(frozen=True)
class Evaluation:
    """A model's figures on a test set (likelihoods in nats per image)."""

    test_images: int
    negative_elbo: float
    terms: dict[str, float]
    iwae_nll: float
    iwae_k: int
    iwae_images: int
    iwae_images_negative_elbo: float  # -ELBO of the images the IWAE bound scored, to compare
    active_units: int
    latent_dim: int
    kl_per_dimension: tuple[float, ...] | None  # None where the prior is not factorised
    classifier_fid: float | None  # None where the test images are not MNIST's
    inception_score: float | None
    inception_score_std: float | None
    generated_images: int
    sample_quality_note: str | None = None  # why classifier FID / IS were not computed
    latent_sampler: str = "prior"  # what the scored samples were decoded from ("prior", "gmm")
    conditional: bool = False  # the likelihoods are of x given its label, log p(x | y)
    # a conditional model's samples: per class, the share the classifier labels as that class
    class_accuracy: tuple[float, ...] | None = None
    # For a likelihood over 8-bit values: the IWAE bound and the -ELBO in bits per dimension
    bits_per_dim: float | None = None
    negative_elbo_bits_per_dim: float | None = None
    png_bits_per_dim: float | None = None  # PNG files of the images the IWAE bound scored
    psnr: float | None = None  # dB, of the reconstructions at the posterior mean
    classifier: str | None = None  # whose shipped classifier scored FID / IS: "mnist", ...
    # A semi-supervised model's: the share of labelled test images its q(y | x) gets wrong
    classification_error: float | None = None

    def to_json(self, path: Path) -> None:
        """Writes the report as JSON."""
        Path(path).write_text(json.dumps(dataclasses.asdict(self), indent=2) + "\n")

    def table(self) -> str:
        """Returns the report as an aligned two-column text table."""
        given = " (of x given y)" if self.conditional else ""
        rows = [
            ("test images", f"{self.test_images}"),
            (f"-ELBO{given}", f"{self.negative_elbo:.2f} nats"),
        ]
        rows += [(f"  {name}", f"{value:.2f} nats") for name, value in self.terms.items()]
        if self.iwae_images == self.test_images:
            rows.append((f"IWAE NLL (k={self.iwae_k}){given}", f"{self.iwae_nll:.2f} nats"))
        else:
            subset = f"first {self.iwae_images} images"
            rows.append((f"IWAE NLL (k={self.iwae_k}, {subset})", f"{self.iwae_nll:.2f} nats"))
            rows.append((f"-ELBO ({subset})", f"{self.iwae_images_negative_elbo:.2f} nats"))
        if self.bits_per_dim is not None:
            subset = "" if self.iwae_images == self.test_images else f", first {self.iwae_images}"
            rows.append((f"bits/dim (IWAE k={self.iwae_k}{subset})", f"{self.bits_per_dim:.3f}"))
            rows.append(("bits/dim (-ELBO)", f"{self.negative_elbo_bits_per_dim:.3f}"))
            rows.append((f"bits/dim of PNG files{subset}", f"{self.png_bits_per_dim:.3f}"))
            saved = 1 - self.bits_per_dim / self.png_bits_per_dim
            than_png = f"{abs(saved):.1%} {'fewer' if saved >= 0 else 'more'} than PNG"
            rows.append(("  the model (IWAE)", than_png))
        if self.psnr is not None:
            rows.append(("reconstruction PSNR", f"{self.psnr:.2f} dB"))
        if self.classification_error is not None:
            rows.append(("classification error", f"{self.classification_error:.2%}"))
        rows.append(("active units (>0.01)", f"{self.active_units} of {self.latent_dim}"))
        if self.kl_per_dimension is None:
            rows.append(("KL per dimension", "n/a (the prior is not factorised)"))
        else:
            kl = ", ".join(f"{v:.2f}" for v in sorted(self.kl_per_dimension, reverse=True))
            rows.append(("KL per dimension", f"{kl} (nats, sorted)"))
        if self.classifier_fid is None:
            rows.append(("classifier FID / IS", f"n/a ({self.sample_quality_note})"))
        else:
            samples = f"{self.generated_images} samples, {self.latent_sampler}"
            if self.classifier not in (None, "mnist"):
                samples += f"; {self.classifier} classifier"
            rows.append((f"classifier FID ({samples})", f"{self.classifier_fid:.2f}"))
            rows.append(
                ("classifier IS", f"{self.inception_score:.2f} ± {self.inception_score_std:.2f}")
            )
        if self.class_accuracy is not None:
            mean = np.nanmean(self.class_accuracy)
            per_class = ", ".join(
                f"{digit}: {share:.1%}" for digit, share in enumerate(self.class_accuracy)
            )
            rows.append(("samples classified as asked", f"{mean:.1%} ({per_class})"))
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def evaluate(
    model: VAE,
    x_test: np.ndarray,
    k: int = 5000,
    iwae_images: int | None = None,
    generated_images: int = 10_000,
    fid_reference: np.ndarray | None = None,
    seed: int = 0,
    classifier: MNISTClassifier | None = None,
    mnist: bool | None = None,
    latent_sampler: GaussianMixtureSampler | ClassConditionalSampler | None = None,
    labels: np.ndarray | None = None,
    classifier_dataset: str | None = None,
) -> Evaluation:
    """Returns every metric of `model` on `x_test`.

    Args:
        model: a trained VAE.
        x_test: (N, H, W, C) test images in [0, 1], binarised as in training.
        k: importance samples per image for the IWAE bound.
        iwae_images: score the IWAE bound on the first this many images (all by default); it
            costs k decoder passes per image.
        generated_images: prior samples scored by classifier FID and IS.
        fid_reference: the real images FID compares samples with (default `x_test`); pass the
            grey-level test images for a model trained on binarised ones, since samples are
            decoder means.
        seed: seed of every random draw.
        classifier: the FID/IS network; the shipped MNIST classifier by default.
        mnist: whether the test images are MNIST digits, which the shipped MNIST classifier's
            features describe. None: MNIST's exact test set (checked by its SHA-256) or not.
        latent_sampler: decode the scored samples from this mixture fitted to training codes
            (or one per class, for a conditional model) instead of the prior.
        labels: the test images' labels, for a conditional model: its likelihoods are then of
            x given y, and its samples take the classes in turn. A semi-supervised model's
            likelihoods are of x, y summed out; its classifier's error is measured on them.
        classifier_dataset: which shipped classifier describes the test images, "mnist" or
            "fashion_mnist" (each classifier's features describe only its own dataset's
            images); None: as `mnist` says, else Fashion-MNIST's exact test set or not.
            Without one, classifier FID and IS are skipped with a note.
    """
    labels = model.labelling.read(labels, len(x_test))  # None where the model reads none
    error = None
    if model.labelling.classifies:  # M2: scored on x alone, its classifier on the labels
        if np.any(labels >= 0):
            error = classification_error(model, x_test, labels)
        labels = None
    iwae_x = x_test if iwae_images is None else x_test[:iwae_images]
    iwae_labels = None if labels is None else labels[: len(iwae_x)]
    elbo = likelihood.negative_elbo(model, x_test, seed=seed, labels=labels)
    negative_elbo = elbo.pop("loss")
    iwae_elbo = (
        negative_elbo
        if iwae_x is x_test
        else likelihood.negative_elbo(model, iwae_x, seed=seed, labels=iwae_labels)["loss"]
    )
    units, _ = likelihood.active_units(model, x_test, labels=labels)
    reference = x_test if fid_reference is None else fid_reference
    note = None
    if classifier_dataset is None:
        if is_mnist_test_set(reference) if mnist is None else mnist:
            classifier_dataset = "mnist"
        elif is_fashion_mnist_test_set(reference):
            classifier_dataset = "fashion_mnist"
    if model.likelihood.autoregressive:
        note = (
            "skipped for an autoregressive likelihood: each image it draws takes a pass of its "
            "network per pixel"
        )
    elif tuple(x_test.shape[1:]) != IMAGE_SHAPE:
        note = "defined for 28x28x1 MNIST and Fashion-MNIST images only"
    elif classifier_dataset is None:
        note = (
            "MNIST and Fashion-MNIST only: the shipped classifiers' features say nothing "
            "about other images"
        )
    fid = score = score_std = accuracy = None
    if note is None:
        classifier = classifier or MNISTClassifier(dataset=classifier_dataset)
        # A conditional model draws every class in equal runs (1,000 each of 10,000 samples).
        sample_labels = model.sample_labels(generated_images)
        samples = sample_images(
            model, generated_images, seed=seed, latent_sampler=latent_sampler, labels=sample_labels
        )
        fid = sample_quality.fid(samples, reference, classifier)
        # A conditional model's samples come in runs of one class: shuffled before IS splits them.
        shuffle = seed if sample_labels is not None else None
        score, score_std = sample_quality.inception_score(samples, classifier, shuffle_seed=shuffle)
        if sample_labels is not None:
            accuracy = tuple(
                float(v) for v in sample_quality.class_accuracy(samples, sample_labels, classifier)
            )
    iwae_nll = likelihood.iwae_nll(model, iwae_x, k=k, seed=seed, labels=iwae_labels)
    bits = None
    if model.likelihood.discrete:
        bits = {
            "bits_per_dim": bits_per_dim(iwae_nll, model.image_shape),
            "negative_elbo_bits_per_dim": bits_per_dim(negative_elbo, model.image_shape),
            "png_bits_per_dim": png_bits_per_dim(iwae_x),
        }
    return Evaluation(
        test_images=len(x_test),
        negative_elbo=negative_elbo,
        terms=elbo,
        iwae_nll=iwae_nll,
        iwae_k=k,
        iwae_images=len(iwae_x),
        iwae_images_negative_elbo=iwae_elbo,
        active_units=units,
        latent_dim=model.latent_dim,
        kl_per_dimension=(
            tuple(float(v) for v in likelihood.kl_per_dimension(model, x_test, labels=labels))
            if model.prior.factorised
            else None
        ),
        classifier_fid=fid,
        inception_score=score,
        inception_score_std=score_std,
        generated_images=generated_images if fid is not None else 0,
        sample_quality_note=note,
        latent_sampler="prior" if latent_sampler is None else "gmm",
        conditional=model.conditional and not model.labelling.classifies,
        class_accuracy=accuracy,
        classification_error=error,
        psnr=reconstruction.psnr(model, x_test, labels=labels)
        if _has_psnr(model, x_test)
        else None,
        classifier=classifier_dataset if fid is not None else None,
        **(bits or {}),
    )


def _has_psnr(model: VAE, x) -> bool:
    """Returns whether the report gives a PSNR: for images of pixels, from a model whose
    reconstructions are not filled pixel by pixel (those take minutes an image)."""
    return _are_pixels(x) and not model.likelihood.autoregressive


def _are_pixels(x) -> bool:
    """Returns whether images `x` hold pixels in [0, 1], where a PSNR means something; the
    codes of an M1 run (`m1_codes`) are real values of any range. Images read from files are."""
    if not isinstance(x, np.ndarray):
        return True
    return bool(x.min() >= 0.0 and x.max() <= 1.0)
