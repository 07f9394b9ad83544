"""The emoji dataset: npm's emoji-datasource tarballs read as they are, composited on white,
split by emoji, averaged down to smaller sizes, and trained on from the CLI."""

import io
import json
import tarfile
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from keras_vae.cli import main
from keras_vae.data.dataset import dataset_name_of, read_dataset
from keras_vae.data.emoji import CATEGORIES, emoji_rank, in_test_set, on_white

# Base emoji of the fake packages: (code points, category, skin tones).
EMOJI = [(f"1F{600 + i:03X}", CATEGORIES[i % len(CATEGORIES)], i % 3 == 0) for i in range(40)]


def rgba_image(seed, size=64):
    rng = np.random.default_rng(seed)
    image = rng.integers(0, 256, (size, size, 4), dtype=np.uint8)
    image[:8, :, 3] = 0  # transparent rows: white once composited
    image[8:16, :, 3] = 255
    return image


def write_package(directory, design, version="16.0.0"):
    """Writes an npm tarball laid out as emoji-datasource-<design> is; returns the RGBA images
    it holds by file name."""
    entries, images = [], {}
    for index, (code, category, skin_tones) in enumerate(EMOJI):
        entry = {"unified": code, "image": f"{code.lower()}.png", "category": category,
                 f"has_img_{design}": True}  # fmt: skip
        images[entry["image"]] = rgba_image(zlib.crc32(f"{design}{code}".encode()))
        if skin_tones:
            tone = {"unified": f"{code}-1F3FB", "image": f"{code.lower()}-1f3fb.png",
                    f"has_img_{design}": index != 0}  # fmt: skip
            entry["skin_variations"] = {"1F3FB": tone}
            if tone[f"has_img_{design}"]:
                images[tone["image"]] = rgba_image(zlib.crc32(f"{design}{code}-tone".encode()))
        entries.append(entry)
    with tarfile.open(directory / f"emoji-datasource-{design}-{version}.tgz", "w:gz") as archive:

        def add(name, data):
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

        for name, image in images.items():
            buffer = io.BytesIO()
            Image.fromarray(image, "RGBA").save(buffer, format="PNG")
            add(f"img/{design}/64/{name}", buffer.getvalue())
        add("emoji.json", json.dumps(entries).encode())
    return images


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    directory = tmp_path_factory.mktemp("emoji")
    return directory, {design: write_package(directory, design) for design in ("google", "twitter")}


def test_both_designs_are_read_composited_on_white_and_split_by_emoji(packages):
    directory, images = packages
    assert dataset_name_of(directory) == "emoji"
    (x_train, y_train), (x_test, y_test) = read_dataset(directory, test_split=0.25)
    # 40 emoji and 13 skin tones (one missing from each design), in two designs.
    assert len(x_train) + len(x_test) == 2 * (40 + 13) and x_train.shape[1:] == (64, 64, 3)
    held_out = [code for code, _, _ in EMOJI if in_test_set(code, 0.25, seed=0)]
    expected_test = sum(2 * (1 + (tones and code != EMOJI[0][0])) for code, _, tones in EMOJI
                        if code in held_out)  # fmt: skip
    assert len(x_test) == expected_test and 0 < len(x_test) < len(x_train)
    assert set(y_train) | set(y_test) <= set(range(len(CATEGORIES)))
    # Every test image is one of the held-out emoji's (any design or tone), composited on white.
    held_out_images = {
        on_white(image).tobytes()
        for design_images in images.values()
        for name, image in design_images.items()
        if name.removesuffix(".png").split("-")[0].upper() in held_out
    }
    as_bytes = np.rint(x_test * 255).astype(np.uint8)
    assert all(image.tobytes() in held_out_images for image in as_bytes)
    assert np.all(x_test[:, :8] == 1.0)  # transparent: white
    first = images["google"][f"{held_out[0].lower()}.png"]
    np.testing.assert_array_equal(as_bytes[0, 8:16], first[8:16, :, :3])  # opaque: as drawn


def test_training_images_come_emoji_by_emoji_so_a_validation_split_holds_whole_emoji(packages):
    directory, images = packages
    (x_train, _), _ = read_dataset(directory, test_split=0.25)
    code_of = {
        on_white(image).tobytes(): name.removesuffix(".png").split("-")[0].upper()
        for design_images in images.values()
        for name, image in design_images.items()
    }
    codes = [code_of[image.tobytes()] for image in np.rint(x_train * 255).astype(np.uint8)]
    runs = [code for i, code in enumerate(codes) if i == 0 or code != codes[i - 1]]
    # Each emoji's images (both designs, every tone) in one run, the runs in the emoji's random
    # order: not Unicode's, which would leave the last category (flags) to a validation split.
    assert len(runs) == len(set(runs)) == sum(not in_test_set(c, 0.25, 0) for c, _, _ in EMOJI)
    assert runs == sorted(runs, key=lambda code: emoji_rank(code, 0))
    assert runs != [code for code, _, _ in EMOJI if code in runs]


def test_on_white_blends_by_alpha():
    pixels = np.array([[200, 100, 0, 0], [200, 100, 0, 255], [200, 100, 0, 128]], np.uint8)
    np.testing.assert_array_equal(
        on_white(pixels), [[255, 255, 255], [200, 100, 0], [227, 177, 127]]
    )


def test_a_smaller_size_averages_each_block(packages):
    directory, _ = packages
    (full, _), _ = read_dataset(directory, test_split=0.25)
    (small, labels), _ = read_dataset(directory, test_split=0.25, image_size=(32,))
    assert small.shape[1:] == (32, 32, 3) and len(small) == len(full) == len(labels)
    blocks = (full * 255).reshape(len(full), 32, 2, 32, 2, 3).mean(axis=(2, 4))
    np.testing.assert_allclose(small * 255, np.rint(blocks), atol=1e-3)


def test_bad_sizes_and_a_missing_download_say_what_to_do(packages, tmp_path):
    directory, _ = packages
    with pytest.raises(ValueError, match="one size that divides 64"):
        read_dataset(directory, image_size=(48,))
    with pytest.raises(ValueError, match="one size that divides 64"):
        read_dataset(directory, image_size=(32, 16))
    with pytest.raises(FileNotFoundError, match="npm pack emoji-datasource-google"):
        read_dataset(tmp_path, dataset="emoji")


def test_train_on_emoji_with_an_8_bit_likelihood_from_the_cli(packages, tmp_path):
    directory, _ = packages
    out = tmp_path / "run"
    result = CliRunner().invoke(
        main,
        ["train", "--data", str(directory), "--image-size", "8", "--test-split", "0.25",
         "--architecture", "conv", "--filters", "8,8", "--latent-dim", "4",
         "--likelihood", "discretized_logistic", "--epochs", "1", "--batch-size", "16",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "test -ELBO bits/dim" in result.output
    log = (out / "log.csv").read_text().splitlines()
    header, row = log[0].split(","), log[1].split(",")
    assert 0 < float(row[header.index("val_bits_per_dim")]) < 16
