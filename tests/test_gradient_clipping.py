"""--clip-norm: the optimizer clips each step's gradients, in new and resumed runs."""

import numpy as np
import pytest

from keras_vae import load_vae
from keras_vae.training import TrainingConfig, train
from keras_vae.training.start import build_model, initialize_output_bias, load_data
from tests.helpers import four_step_run, write_strokes_npz


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return write_strokes_npz(tmp_path_factory.mktemp("data") / "strokes.npz", 256, 64)


def weights(path):
    return load_vae(path).get_weights()


def biases(model):
    return [v.numpy() for v in model.weights if v.path.endswith("bias")]


def largest_change(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b, strict=True))


def test_clipping_bounds_the_steps_and_a_loose_bound_changes_nothing(dataset, tmp_path):
    runs = {name: tmp_path / name for name in ("free", "loose", "tight", "start")}
    for name, clip in (("free", None), ("loose", 1e9), ("tight", 1e-9)):
        train(TrainingConfig(out=runs[name], epochs=1, clip_norm=clip, **four_step_run(dataset)))
    free, loose, tight = (weights(runs[n] / "model.keras") for n in ("free", "loose", "tight"))
    # A bound no gradient reaches trains as no bound (to float32 rounding: the gradients are
    # scaled by clip / max(norm, clip), one up to rounding).
    assert largest_change(loose, free) < 1e-5
    # Gradients of norm 1e-9 are a hundredth of Adam's epsilon (1e-7): each step moves a weight
    # by about a hundredth of the learning rate, where an unclipped step moves it by about the
    # rate. The biases start the same in every run (zero, the decoder's output bias set to the
    # data's mean), so how far they went measures the steps.
    config = TrainingConfig(out=runs["start"], **four_step_run(dataset))
    (x_train, _), _ = load_data(config)
    model = build_model(config, x_train.shape[1:], train_images=len(x_train))
    initialize_output_bias(model, x_train)
    start = biases(model)
    trained_free = largest_change(biases(load_vae(runs["free"] / "model.keras")), start)
    trained_tight = largest_change(biases(load_vae(runs["tight"] / "model.keras")), start)
    assert trained_free > 0.02  # four steps at rate 0.01
    assert trained_tight < trained_free / 20
    assert load_vae(runs["tight"] / "model.keras").optimizer.global_clipnorm == 1e-9


def test_a_resumed_run_takes_the_clip_norm_it_is_given(dataset, tmp_path):
    run = tmp_path / "run"
    train(TrainingConfig(out=run, epochs=1, **four_step_run(dataset)))
    assert load_vae(run / "model.keras").optimizer.global_clipnorm is None
    train(TrainingConfig(out=run, epochs=2, clip_norm=5.0, **four_step_run(dataset)), resume=True)
    assert load_vae(run / "checkpoints" / "epoch_002.keras").optimizer.global_clipnorm == 5.0
