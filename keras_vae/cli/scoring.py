"""The commands that score a model: `evaluate` (the test set's likelihoods, FID, IS), `score`
(each image's anomaly score) and `classify` (a semi-supervised model's class probabilities)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from keras_vae.cli.backend import KerasCommand
from keras_vae.cli.errors import BadInput, user_errors
from keras_vae.cli.inputs import (
    fitted_latent_sampler,
    labels_for,
    load_held_out_images,
    load_model,
    output_file,
)
from keras_vae.cli.options import MODEL, data_options, integers, latent_sampler_options


@click.command(cls=KerasCommand)
@MODEL
@click.option(
    "--k",
    default=5000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Importance samples per image for the IWAE bound.",
)
@click.option(
    "--iwae-images",
    type=click.IntRange(min=1),
    help="Score the IWAE bound on the first N test images only [all]; it costs k decoder "
    "passes per image.",
)
@click.option(
    "--generated",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=10),
    help="Prior samples for classifier FID and IS.",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Also write JSON.")
@click.option("--seed", default=0, show_default=True, type=int)
@data_options
@latent_sampler_options
def evaluate(
    model: Path,
    k: int,
    iwae_images: int | None,
    generated: int,
    json_path: Path | None,
    seed: int,
    data: Path | None,
    binarize: str,
    latent_sampler: str,
    gmm_components: int,
) -> None:
    """Score a model on the test set: -ELBO, IWAE NLL, active units, classifier FID and IS.

    \b
    Example: keras-vae evaluate runs/conv --k 5000 --json runs/conv/eval.json
    """
    from keras_vae.evaluation import evaluate as run_evaluation

    vae = load_model(model)
    test = load_held_out_images(model, vae, data, binarize)
    sampler = fitted_latent_sampler(model, vae, latent_sampler, gmm_components)
    with user_errors():
        report = run_evaluation(
            vae,
            test.images,
            k=k,
            iwae_images=iwae_images,
            generated_images=generated,
            fid_reference=test.grey_images,
            seed=seed,
            classifier_dataset=test.classifier_dataset,
            latent_sampler=sampler,
            labels=labels_for(vae, test),
        )
    click.echo(report.table())
    if json_path is not None:
        report.to_json(output_file(json_path))
        click.echo(f"wrote {json_path}")


@click.command(cls=KerasCommand)
@MODEL
@click.option(
    "--out",
    default="scores.csv",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The CSV to write: one row per image (index, label, the score and its parts).",
)
@click.option(
    "--score",
    "score_name",
    type=click.Choice(["nll", "elbo", "complexity"]),
    default="nll",
    show_default=True,
    help="nll: the IWAE bound on -log p(x); elbo: the negative ELBO (fast, looser); "
    "complexity: the NLL less the image's PNG length (Serra et al., 2020), which undoes the "
    "likelihood's preference for simple images. Higher is more unusual.",
)
@click.option("--k", type=click.IntRange(min=1), help="Posterior draws per image [1000; elbo: 1].")
@click.option(
    "--anomalous-labels",
    callback=integers(0, "9 or 0,6"),
    metavar="LABELS",
    help="Comma-separated labels that count as anomalies (e.g. 9): print the AUROC of the "
    "score (and of the NLL beside the complexity score) against the other labels.",
)
@click.option(
    "--roc",
    type=click.Path(path_type=Path),
    help="With --anomalous-labels: also draw the ROC curves to this PNG.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@data_options
def score(
    model: Path,
    out: Path,
    score_name: str,
    k: int | None,
    anomalous_labels: tuple[int, ...] | None,
    roc: Path | None,
    seed: int,
    data: Path | None,
    binarize: str,
) -> None:
    """Score every test image for how unusual the model finds it (anomaly scores).

    \b
    Example: keras-vae score runs/no9 --anomalous-labels 9 --roc roc.png --out scores.csv
    """
    from keras_vae.evaluation.anomaly import anomaly_scores, auroc, roc_curve

    if roc is not None and anomalous_labels is None:
        raise BadInput("--roc draws the ROC of --anomalous-labels; pass them too (e.g. 9).")
    vae = load_model(model)
    test = load_held_out_images(model, vae, data, binarize)
    anomalous = None
    if anomalous_labels is not None:
        if test.labels is None:
            raise BadInput("--anomalous-labels needs the test images' labels, and the data has "
                           "none; pass --data with y_test.")  # fmt: skip
        anomalous = np.isin(np.asarray(test.labels), anomalous_labels)
        if anomalous.all() or not anomalous.any():
            raise BadInput(
                f"--anomalous-labels {','.join(map(str, anomalous_labels))} marks "
                f"{int(anomalous.sum())} of {len(anomalous)} test images; an AUROC needs "
                "anomalies and normal images both."
            )
    with user_errors():
        scores = anomaly_scores(vae, test.images, score_name, k, seed, labels_for(vae, test))
    scores.to_csv(output_file(out), test.labels)
    click.echo(
        f"scored {len(scores.values)} images by {score_name} ({scores.draws} posterior "
        f"draw{'s' if scores.draws > 1 else ''} each): mean {scores.values.mean():.2f} nats; "
        f"wrote {out}"
    )
    if anomalous is None:
        return
    ranked = [name for name in scores.columns if name != "png_nats"]
    curves = {}
    for name in ranked:
        fpr, tpr = roc_curve(scores.columns[name], anomalous)
        curves[name] = (fpr, tpr, auroc(scores.columns[name], anomalous))
    labels = ",".join(map(str, anomalous_labels))
    click.echo(
        f"AUROC of labels {labels} ({int(anomalous.sum())} images) against the rest "
        f"({int((~anomalous).sum())}): "
        + ", ".join(f"{name} {area:.4f}" for name, (_, _, area) in curves.items())
    )
    if roc is not None:
        from keras_vae.plots import plot_roc_curves

        plot_roc_curves(curves, output_file(roc), title=f"labels {labels} against the rest")
        click.echo(f"wrote {roc}")


@click.command(cls=KerasCommand)
@MODEL
@click.option(
    "--out",
    default="classes.csv",
    show_default=True,
    type=click.Path(path_type=Path),
    help="The CSV to write: one row per image (index, label, predicted class, q(y|x) of each).",
)
@data_options
def classify(model: Path, out: Path, data: Path | None, binarize: str) -> None:
    """Label every test image with a semi-supervised model's classifier q(y | x).

    \b
    Example: keras-vae classify runs/m2-mnist --out classes.csv
    """
    import csv

    from keras_vae.evaluation.classification import class_probabilities

    vae = load_model(model)
    test = load_held_out_images(model, vae, data, binarize)
    with user_errors():
        probabilities = class_probabilities(vae, test.images)
    predicted = probabilities.argmax(axis=1)
    labels = None if test.labels is None else np.asarray(test.labels).astype(int)
    with output_file(out).open("w", newline="") as file:
        writer = csv.writer(file)
        classes = [f"p_{k}" for k in range(probabilities.shape[1])]
        writer.writerow(["index", "label", "predicted", *classes])
        for index, row in enumerate(probabilities):
            label = "" if labels is None else labels[index]
            writer.writerow([index, label, predicted[index], *(f"{p:.6g}" for p in row)])
    summary = f"classified {len(predicted)} images; wrote {out}"
    if labels is not None:
        known = labels >= 0
        summary += f"; error {np.mean(predicted[known] != labels[known]):.2%} on the labelled"
    click.echo(summary)
