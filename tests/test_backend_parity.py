"""Models saved under one backend load under this one and compute the same loss terms."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_vae import VAE
from tests.helpers import comparable_reconstruction, to_numpy

FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "parity_expected.json").read_text())


@pytest.fixture(scope="module")
def arrays():
    with np.load(FIXTURES / "parity.npz") as data:
        return dict(data)


@pytest.mark.parametrize("case", sorted(EXPECTED["cases"]))
def test_committed_model_gives_the_committed_loss_terms(case, arrays):
    vae = keras.models.load_model(FIXTURES / f"parity_{case}.keras")
    assert isinstance(vae, VAE)
    x, epsilon = arrays[f"{case}_x"], arrays[f"{case}_epsilon"]
    labels = arrays.get(f"{case}_labels")  # a conditional model's
    terms = vae.compute_loss_terms(x, epsilon=epsilon, labels=labels)
    expected = EXPECTED["cases"][case]
    assert set(terms) == set(expected)
    for name, value in expected.items():
        assert float(to_numpy(terms[name])) == pytest.approx(value, rel=1e-4), name
    np.testing.assert_allclose(
        comparable_reconstruction(vae, x, labels),
        arrays[f"{case}_reconstruction"],
        rtol=1e-4,
        atol=1e-5,
    )
    if f"{case}_z" in arrays:  # a learned prior: its weights and density came along
        np.testing.assert_allclose(
            to_numpy(vae.prior.log_prob(arrays[f"{case}_z"])),
            arrays[f"{case}_priorlogprob"],
            rtol=1e-4,
        )


def test_the_learned_prior_objective_hierarchies_and_conditional_cases_are_there():
    assert {"vamp", "iwae", "hvae", "conv_hvae", "conditional"} <= set(EXPECTED["cases"])
    assert "iwae" in EXPECTED["cases"]["iwae"]  # the objective's bound is among the terms


def test_the_semi_supervised_case_is_there_with_unknown_labels(arrays):
    assert "semi_supervised" in EXPECTED["cases"]
    assert {"classification", "error", "label"} <= set(EXPECTED["cases"]["semi_supervised"])
    assert -1 in arrays["semi_supervised_labels"] and arrays["semi_supervised_labels"].max() >= 0


def test_the_likelihoods_over_8_bit_values_are_there():
    cases = {"conv_mixture", "resnet_logistic", "dense_discretized_gaussian", "conv_pixelcnn"}
    assert cases <= set(EXPECTED["cases"])
