"""Folders of image files as datasets: layouts, labels, pixels, sizes, the held-out split, and
training and evaluating on one from the command line."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

import keras_vae
from keras_vae.cli import main
from keras_vae.data import DataSource, load_images
from keras_vae.data.image_folder import ImageFolder
from keras_vae.training.config import read_config


def grey_image(seed, size=(8, 6)):
    """A random uint8 (H, W) image."""
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8)


def write_images(folder, count, suffix=".png", mode="L", start=0, size=(8, 6)):
    """Writes `count` random images named 000.png ... into `folder`; returns their pixels."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number in range(start, start + count):
        pixels = grey_image(number, size)
        if mode == "RGB":
            pixels = np.stack([pixels, 255 - pixels, pixels // 2], axis=-1)
        Image.fromarray(pixels, mode).save(folder / f"{number:03d}{suffix}")
        written.append(pixels)
    return written


def test_class_folders_are_labels_and_png_pixels_are_exact(tmp_path):
    cats = write_images(tmp_path / "pets" / "cat", 6)
    dogs = write_images(tmp_path / "pets" / "dog" / "nested" / "deeper", 4, start=6)
    (tmp_path / "pets" / "dog" / "notes.txt").write_text("not an image")
    (tmp_path / "pets" / ".hidden").mkdir()
    write_images(tmp_path / "pets" / ".hidden", 3, start=20)  # e.g. .ipynb_checkpoints
    (x_train, y_train), (x_test, y_test) = load_images(tmp_path / "pets", test_split=3)
    assert x_train.shape == (7, 8, 6, 1) and x_test.shape == (3, 8, 6, 1)
    assert x_train.dtype == np.float32
    # Every image comes back once, with its class folder's label (cat 0, dog 1).
    expected = {pixels.tobytes(): 0 for pixels in cats} | {p.tobytes(): 1 for p in dogs}
    got = {}
    for x, y in ((x_train, y_train), (x_test, y_test)):
        for image, label in zip(np.rint(x[..., 0] * 255).astype(np.uint8), y, strict=True):
            got[image.tobytes()] = int(label)
    assert got == expected


def test_train_and_test_folders_are_the_split_and_share_class_numbers(tmp_path):
    write_images(tmp_path / "train" / "a", 3)
    write_images(tmp_path / "train" / "b", 3, start=3)
    write_images(tmp_path / "test" / "b", 2, start=6)  # no "a" in the test set
    (x_train, y_train), (x_test, y_test) = load_images(tmp_path)
    assert len(x_train) == 6 and y_train.tolist() == [0, 0, 0, 1, 1, 1]
    assert len(x_test) == 2 and y_test.tolist() == [1, 1]
    with pytest.raises(ValueError, match="has train/ and test/ sub-folders"):
        load_images(tmp_path, test_split=0.2)


def test_the_held_out_split_is_seeded_and_stable_as_images_are_added(tmp_path):
    write_images(tmp_path, 40)

    def test_names(**kwargs):
        train, test, _, _ = ImageFolder(tmp_path, **kwargs).split_files()
        assert not {f.name for f in train} & {f.name for f in test}
        return {f.name for f in test}

    default = test_names()
    assert len(default) == 4  # 10% by default
    assert test_names() == default and test_names(split_seed=1) != default
    assert len(test_names(test_split=0.25)) == 10 and len(test_names(test_split=7)) == 7
    write_images(tmp_path, 40, start=40)
    # Twice the images: most of the old test images stay in the test set.
    assert len(test_names() & default) >= 3
    with pytest.raises(ValueError, match="--test-split 80 holds out 80 of 80 images"):
        test_names(test_split=80)


def test_colour_grey_alpha_and_palette_images(tmp_path):
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 3] = 200, 100, 128  # half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    Image.fromarray(np.full((4, 4), 90, np.uint8), "L").save(tmp_path / "grey.png")
    palette = Image.fromarray(np.full((4, 4), 60, np.uint8), "L").convert("P")
    palette.save(tmp_path / "palette.png")
    (x_train, _), (x_test, _) = load_images(tmp_path, test_split=1, split_seed=3)
    images = {round(float(x[0, 0, 1]) * 255): x for x in np.concatenate([x_train, x_test])}
    # RGBA is composited on black; grey images repeat in the three channels of a colour set.
    assert images[50][0, 0].tolist() == pytest.approx([100 / 255, 50 / 255, 0.0], abs=1e-6)
    assert images[90][0, 0].tolist() == pytest.approx([90 / 255] * 3)
    assert images[60][0, 0].tolist() == pytest.approx([60 / 255] * 3)
    # Without a colour image the set is grey: one channel, the grey palette included.
    (tmp_path / "rgba.png").unlink()
    (x_train, _), (x_test, _) = load_images(tmp_path, test_split=1)
    assert x_train.shape[-1] == x_test.shape[-1] == 1


def test_jpeg_and_sizes_resized_and_centre_cropped(tmp_path):
    write_images(tmp_path, 3, suffix=".jpg", mode="RGB", size=(8, 8))
    wide = np.zeros((8, 16, 3), np.uint8)
    wide[:, 2:14] = 255  # a white centre between black sides
    Image.fromarray(wide).save(tmp_path / "wide.png")
    with pytest.raises(ValueError, match=r"2 sizes, e\.g\. 8x8 .*8x16 .*pass --image-size"):
        load_images(tmp_path)
    (x_train, _), (x_test, _) = load_images(tmp_path, image_size=(4,), test_split=1)
    x = np.concatenate([x_train, x_test])
    assert x.shape == (4, 4, 4, 3)
    # The wide image is scaled to 4x8 and its centre 4x4 kept: the white band (squashed to
    # 4x4, its black sides would remain).
    assert sum(np.allclose(image, 1.0, atol=0.02) for image in x) == 1
    (x_train, _), _ = load_images(tmp_path, image_size=(6, 2), test_split=1)
    assert x_train.shape[1:] == (6, 2, 3)


def truncate(file):
    """Cuts `file` to half its bytes, as an interrupted download or copy leaves it."""
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])


def test_unreadable_files_are_named_or_skipped_and_counted(tmp_path):
    write_images(tmp_path / "a", 6, size=(16, 16))
    write_images(tmp_path / "b", 4, suffix=".jpg", mode="RGB", start=6, size=(16, 16))
    truncate(tmp_path / "a" / "000.png")
    truncate(tmp_path / "b" / "006.jpg")
    (tmp_path / "b" / "notes.png").write_text("a text file with an image's name")
    (tmp_path / "b" / "empty.webp").touch()
    with pytest.raises(ValueError, match="4 of the 12 image files") as raised:
        load_images(tmp_path, test_split=2)
    message = str(raised.value)
    assert "000.png is not a readable image (image file is truncated)" in message
    assert "Truncated File Read" in message and "--skip-bad-images" in message
    with pytest.warns(UserWarning, match=r"Skipping 4 of the 12 .*--skip-bad-images"):
        (x_train, y_train), (x_test, y_test) = load_images(
            tmp_path, test_split=2, skip_bad_images=True
        )
    assert len(x_train) + len(x_test) == 8 and x_train.shape[1:] == (16, 16, 3)
    # The split is drawn before bad files are left out, so fixing one moves no other image.
    train, test, _, _ = ImageFolder(tmp_path, test_split=2).split_files()
    assert len(x_test) == len(
        [f for f in test if f.name not in ("000.png", "006.jpg", "notes.png", "empty.webp")]
    )
    # Labels follow the images that were kept: 5 in a/, 3 in b/.
    assert np.bincount(np.concatenate([y_train, y_test])).tolist() == [5, 3]
    # A split left without a readable image is an error, not an empty set.
    write_images(tmp_path / "split" / "train", 3)
    write_images(tmp_path / "split" / "test", 1, start=3)
    truncate(tmp_path / "split" / "test" / "003.png")
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="None of the test images"):
        load_images(tmp_path / "split", skip_bad_images=True)


def test_sixteen_bit_and_transparent_palette_pngs(tmp_path):
    Image.fromarray(np.full((4, 4), 0x1234, np.uint16)).save(tmp_path / "deep.png")
    assert Image.open(tmp_path / "deep.png").mode == "I;16"
    palette = Image.fromarray(np.array([[0, 1], [2, 1]], np.uint8), "P")
    palette.putpalette([200, 100, 50, 10, 20, 30, 255, 255, 255])
    palette.save(tmp_path / "palette.png", transparency=1)  # colour 1 is transparent
    (x_train, _), (x_test, _) = load_images(tmp_path, image_size=(2,), test_split=1)
    images = {round(float(x[0, 0, 0]) * 255): x for x in np.concatenate([x_train, x_test])}
    # 16-bit: the top 8 bits (0x12), repeated in three channels beside a colour image.
    assert np.rint(images[0x12] * 255).astype(int).tolist() == [[[0x12] * 3] * 2] * 2
    # The palette's transparent colour becomes black; the others keep their colours.
    assert np.rint(images[200] * 255).astype(int).tolist() == [
        [[200, 100, 50], [0, 0, 0]],
        [[255, 255, 255], [0, 0, 0]],
    ]


def test_options_for_folders_are_refused_for_other_data(tmp_path):
    np.savez(tmp_path / "d.npz", x_train=np.zeros((4, 3, 3)), x_test=np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="--image-size applies to .*a folder of image files"):
        load_images(tmp_path / "d.npz", image_size=(2,))
    with pytest.raises(ValueError, match="--skip-bad-images applies to a folder of image"):
        load_images(tmp_path / "d.npz", skip_bad_images=True)
    with pytest.raises(ValueError, match="MNIST does not take it"):
        DataSource(test_split=0.2).load()
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("no images here")
    with pytest.raises(ValueError, match=r"holds no image files \(1 other files, e.g. readme"):
        load_images(tmp_path / "empty")


def test_train_and_evaluate_on_a_folder_from_the_command_line(tmp_path):
    for label, name in enumerate(("circle", "square")):
        write_images(tmp_path / "shapes" / name, 24, start=24 * label, size=(10, 12))
    (tmp_path / "shapes" / "circle" / "broken.png").write_bytes(b"\x89PNG")  # 25 circles
    out = tmp_path / "run"
    with pytest.warns(UserWarning, match=r"Skipping 1 of the 49 image files.*broken\.png"):
        result = CliRunner().invoke(
            main,
            ["train", "--data", str(tmp_path / "shapes"), "--image-size", "8", "--test-split",
             "0.25", "--split-seed", "5", "--skip-bad-images", "--hidden-units", "8",
             "--latent-dim", "2", "--epochs", "1", "--batch-size", "12", "--out", str(out)],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert config["image_size"] == [8] and config["test_split"] == 0.25
    assert config["split_seed"] == 5 and config["skip_bad_images"] is True
    assert keras_vae.load_vae(out).image_shape == (8, 8, 1)
    # The run's config names its split of the folder and its skipping, which evaluate reads.
    with pytest.warns(UserWarning, match="broken.png"):
        x_test = read_config(out / "config.json").data_source().load().test[0]
    with pytest.warns(UserWarning, match="broken.png"):
        _, (expected, _) = ImageFolder(tmp_path / "shapes", (8,), 0.25, 5, True).read()
        _, (other_seed, _) = ImageFolder(tmp_path / "shapes", (8,), 0.25, 0, True).read()
    np.testing.assert_array_equal(x_test, expected)
    assert not np.array_equal(x_test, other_seed)
    with pytest.warns(UserWarning, match="broken.png"):
        result = CliRunner().invoke(
            main, ["evaluate", str(out), "--k", "2", "--json", str(tmp_path / "e.json")]
        )
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "e.json").read_text())["test_images"] == len(expected)
