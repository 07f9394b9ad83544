"""ImageBatches: the order of an epoch, and a last batch every replica can share."""

import numpy as np
import pytest

from keras_vae.data import ImageBatches


def batch_sizes(batches):
    return [len(batches[i][0]) for i in range(len(batches))]


def test_a_single_device_keeps_every_image():
    x = np.arange(257, dtype="float32").reshape(257, 1, 1, 1)
    batches = ImageBatches(x, 64, seed=1)
    assert batch_sizes(batches) == [64, 64, 64, 64, 1]
    seen = np.concatenate([batches[i][0] for i in range(len(batches))]).ravel()
    assert sorted(seen) == list(range(257))


@pytest.mark.parametrize(
    "images, replicas, expected",
    [
        (257, 2, [64, 64, 64, 64]),  # one image left: no replica can have half of it
        (290, 2, [64, 64, 64, 64, 34]),
        (291, 2, [64, 64, 64, 64, 34]),  # 35 cut to 34
        (291, 4, [64, 64, 64, 64, 32]),
    ],
)
def test_the_last_batch_is_cut_to_a_multiple_of_the_replicas(images, replicas, expected):
    x = np.zeros((images, 1, 1, 1), "float32")
    batches = ImageBatches(x, 64, replicas=replicas)
    assert batch_sizes(batches) == expected
    assert batches.images_per_epoch == sum(expected)


def test_processes_take_equal_non_empty_parts_of_the_cut_batch():
    x = np.arange(291, dtype="float32").reshape(291, 1, 1, 1)
    parts = [ImageBatches(x, 64, seed=3, part=(p, 2), replicas=2) for p in (0, 1)]
    assert [batch_sizes(b) for b in parts] == [[32, 32, 32, 32, 17], [32, 32, 32, 32, 17]]
    whole = ImageBatches(x, 64, seed=3, replicas=2)
    for index in range(len(whole)):
        together = np.concatenate([b[index][0] for b in parts])
        np.testing.assert_array_equal(together, whole[index][0])


def test_a_batch_that_does_not_split_between_replicas_is_refused():
    with pytest.raises(ValueError, match="split evenly between 3 replicas"):
        ImageBatches(np.zeros((10, 1, 1, 1), "float32"), 64, replicas=3)


def epoch_batches(batches, epoch):
    batches.set_epoch(epoch)
    return [batches[i][0].ravel().tolist() for i in range(len(batches))]


def test_fixed_batches_are_cut_once_and_trained_on_every_epoch():
    x = np.arange(257, dtype="float32").reshape(257, 1, 1, 1)
    reshuffled, fixed = ImageBatches(x, 64, seed=1), ImageBatches(x, 64, seed=1, reshuffle=False)
    first = epoch_batches(fixed, 0)
    assert first == epoch_batches(reshuffled, 0)  # the seed's first cut
    assert epoch_batches(fixed, 1) == first and epoch_batches(fixed, 7) == first
    assert epoch_batches(reshuffled, 1) != first
    # A semi-supervised run's batches keep their labelled images with the same others.
    labels = np.full(257, -1)
    labels[:10] = np.arange(10) % 5
    labelled = np.flatnonzero(labels >= 0)
    fixed = ImageBatches(x, 64, seed=1, labels=labels, labelled=labelled, labelled_per_batch=2,
                         reshuffle=False)  # fmt: skip
    first = epoch_batches(fixed, 0)
    assert epoch_batches(fixed, 3) == first
    assert all(len(set(batch) & set(labelled.tolist())) == 2 for batch in first[:4])
