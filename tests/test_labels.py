"""How a model uses labels (`model.labelling`): every question, for every regime."""

import numpy as np
import pytest

import keras_vae
from keras_vae.models.labels import (
    ClassLabels,
    NoLabels,
    labelling,
    labelling_of_run,
    labels_of_run,
)


def test_a_model_without_labels_answers_none_and_refuses_a_class():
    use = keras_vae.build_vae("dense", input_shape=(8, 8, 1), latent_dim=2).labelling
    assert isinstance(use, NoLabels) and not use.conditional and use.num_classes is None
    assert use.read([1, 2, 3], 3) is None  # labels given to it are ignored
    assert use.in_runs(4) is None and use.repeated(5, None) is None
    assert use.check_class(None) is None and use.as_class(None) == ""
    with pytest.raises(ValueError, match="not conditional; drop the labels"):
        use.in_runs(2, [0, 1])
    with pytest.raises(ValueError, match="label 3 applies to a conditional model"):
        use.check_class(3)
    assert use.required(2, None) is None and use.example_class is None
    with pytest.raises(ValueError, match="not conditional"):
        use.required(2, 1)


def test_a_conditional_model_reads_one_class_per_image():
    model = keras_vae.build_vae("dense", input_shape=(8, 8, 1), latent_dim=2, num_classes=4)
    use = model.labelling
    assert use == ClassLabels(4) == labelling(4) and use.conditional
    np.testing.assert_array_equal(use.read(np.eye(4)[[2, 0]], 2), [2, 0])  # one-hot rows too
    with pytest.raises(ValueError, match="needs a label"):
        use.read(None, 2)
    with pytest.raises(ValueError, match="Expected 3 labels"):
        use.read([0, 1], 3)
    np.testing.assert_array_equal(use.in_runs(8), [0, 0, 1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(model.sample_labels(8), use.in_runs(8))
    np.testing.assert_array_equal(use.repeated(3, 2), [2, 2, 2])
    np.testing.assert_array_equal(use.repeated(2, None), [0, 0])
    np.testing.assert_array_equal(use.repeated(2, None, default=[3, 1]), [3, 3])
    assert use.as_class(2) == " as class 2" and use.as_class(None, [3, 1]) == " as class 3"
    assert (use.samples_in_grid, keras_vae.models.labels.NoLabels.samples_in_grid) == (100, 64)
    with pytest.raises(ValueError, match="label 4 is not a class of this model: it has 4"):
        use.check_class(4)
    np.testing.assert_array_equal(use.required(2, 1), [1, 1])
    with pytest.raises(ValueError, match="needs a label in 0..3"):
        use.required(2, None)  # a class the user picks: no default
    assert use.example_class == 0


def test_a_run_reads_labels_only_when_conditional():
    y_train, y_test = np.array([0, 2, 1]), np.array([1])
    assert labels_of_run(False, y_train, y_test) == (None, None)
    assert labels_of_run(True, y_train, y_test) == (y_train, y_test)
    with pytest.raises(ValueError, match="--conditional needs a label for every image"):
        labels_of_run(True, y_train, None)
    assert isinstance(labelling_of_run(False, 3), NoLabels)
    assert labelling_of_run(True, 3) == ClassLabels(3)
    with pytest.raises(ValueError, match="needs the number of classes"):
        labelling_of_run(True, None)
