"""`keras-vae explore`: the latent space's API, the server, and the page in a real browser."""

import io
import os
import shutil
import socket

import numpy as np
import pytest
from click.testing import CliRunner

import keras_vae
from keras_vae.cli import main
from tests.helpers import labelled_bars, write_labelled_npz

pytest.importorskip("starlette", reason="the explore extra is not installed")
from starlette.testclient import TestClient  # noqa: E402

from keras_vae.explorer.app import create_app  # noqa: E402
from keras_vae.explorer.latent_space import LatentSpace  # noqa: E402
from keras_vae.explorer.server import ExplorerServer, reserve_port  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _space(num_classes=None, latent_dim=3, n=60):
    x, y = labelled_bars(n, classes=4)
    vae = keras_vae.build_vae(
        "dense", (28, 28, 1), latent_dim, hidden_units=(16,), seed=0, num_classes=num_classes
    )
    return LatentSpace(vae, x, y)


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)))


def test_the_api_describes_the_plane_and_decodes_codes():
    space = _space()
    client = TestClient(create_app(space))
    info = client.get("/api/info").json()
    assert info["latent_dim"] == 3 and info["num_classes"] is None and info["points"] == 60
    axes = np.array(info["axes"])
    np.testing.assert_allclose(axes @ axes.T, np.eye(2), atol=1e-6)  # orthonormal directions
    scatter = client.get("/api/scatter").json()
    xy = np.array(scatter["xy"])
    # The two directions of largest spread: their variances are the covariance's top two
    # eigenvalues.
    top_two = np.linalg.eigvalsh(np.cov(space.codes.T, bias=True))[::-1][:2]
    assert xy.shape == (60, 2)
    np.testing.assert_allclose(xy.var(axis=0), top_two, rtol=1e-3)
    np.testing.assert_allclose(xy, (space.codes - space.center) @ axes.T, atol=1e-3)

    here = client.get("/api/decode", params={"z": "0,0,0"})
    there = client.get("/api/decode", params={"z": "3,-3,2"})
    assert here.status_code == 200 and here.headers["content-type"] == "image/png"
    assert "model;dur=" in here.headers["server-timing"]
    assert _pixels(here.content).shape == (28, 28)
    assert np.abs(_pixels(here.content).astype(int) - _pixels(there.content)).max() > 0

    picked = client.get("/api/images/5").json()
    np.testing.assert_allclose(picked["code"], space.codes[5], atol=1e-4)
    assert picked["label"] == int(space.labels[5])
    pngs = ["/api/images/5/image", "/api/images/5/reconstruction",
            "/api/interpolation?from=1&to=2&steps=4", "/api/samples?n=9&seed=1"]  # fmt: skip
    for url in pngs:
        response = client.get(url)
        assert response.status_code == 200 and response.content.startswith(b"\x89PNG"), url
    # A strip of 4 images with a 1-pixel gap between; a 3 x 3 grid of samples.
    assert _pixels(client.get("/api/interpolation?from=1&to=2&steps=4").content).shape == (
        28,
        4 * 29 - 1,
    )
    assert _pixels(client.get("/api/samples?n=9").content).shape == (3 * 29 - 1, 3 * 29 - 1)
    assert client.get("/").text.startswith("<!doctype html>")


@pytest.mark.parametrize(
    "url, status, message",
    [
        ("/api/decode?z=1,2", 400, "z must be 3 finite numbers"),
        ("/api/decode?z=1,nan,2", 400, "with NaN or inf"),
        ("/api/decode?z=a,b,c", 400, "comma-separated numbers"),
        ("/api/decode", 400, "Missing query parameter 'z'"),
        ("/api/decode?z=0,0,0&label=1", 400, "not conditional"),
        ("/api/images/60", 404, "No image 60"),
        ("/api/images/x", 400, "index must be an integer"),
        ("/api/samples?temperature=-1", 400, "temperature must be in (0, 5]"),
        ("/api/samples?n=100000", 400, "n must be 1 to 400"),
        ("/api/interpolation?from=1", 400, "Missing query parameter 'to'"),
        ("/api/nothing", 404, "Not Found"),
    ],
)
def test_a_bad_request_is_a_4xx_with_a_message_not_a_traceback(url, status, message):
    client = TestClient(create_app(_space()), raise_server_exceptions=False)
    response = client.get(url)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert "Traceback" not in response.text


def test_a_conditional_model_decodes_the_digit_picked():
    client = TestClient(create_app(_space(num_classes=4)), raise_server_exceptions=False)
    assert client.get("/api/info").json()["num_classes"] == 4
    one = client.get("/api/decode?z=0,0,0&label=1")
    two = client.get("/api/decode?z=0,0,0&label=2")
    assert one.status_code == two.status_code == 200
    assert np.abs(_pixels(one.content).astype(int) - _pixels(two.content)).max() > 0
    assert (
        client.get("/api/decode?z=0,0,0")
        .json()["error"]
        .startswith("This conditional model needs a label")
    )
    assert "not a class of this model" in client.get("/api/samples?label=7").json()["error"]
    # A picked image reconstructs with its own label unless told another.
    assert client.get("/api/images/3/reconstruction").status_code == 200


def test_a_port_in_use_is_refused_in_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"port {port} on 127.0.0.1 is in use"):
            reserve_port("127.0.0.1", port)
        data = write_labelled_npz(tmp_path / "bars.npz", n_train=100, n_test=20)
        run = tmp_path / "run"
        train = ["train", "--data", str(data), "--out", str(run), "--hidden-units", "16",
                 "--latent-dim", "2", "--epochs", "1", "--batch-size", "50"]  # fmt: skip
        assert CliRunner().invoke(main, train).exit_code == 0
        result = CliRunner().invoke(main, ["explore", str(run), "--port", str(port)])
    assert (
        result.exit_code == 2
        and "is in use (Address already in use); pick another --port" in result.output
    )
    assert "Traceback" not in result.output
    assert 0 < reserve_port("127.0.0.1") < 65536  # a free one
    result = CliRunner().invoke(main, ["explore", str(tmp_path / "missing")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_without_the_web_stack_explore_says_what_to_install(monkeypatch):
    import importlib.util

    from keras_vae.explorer import check_installed

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a)
    )
    with pytest.raises(ImportError, match=r"needs uvicorn: pip install 'keras-vae\[explore\]'"):
        check_installed()
    result = CliRunner().invoke(main, ["explore", "any"])
    assert result.exit_code == 2 and "pip install 'keras-vae[explore]'" in result.output


def _chromium() -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing; .ci/run installs it (apt-get install -y chromium).")
        pytest.skip("Chromium is missing: apt-get install -y chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("Playwright is missing: pip install playwright")
    return CHROMIUM


def test_the_page_in_chromium_decodes_as_the_pad_moves():
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    server = ExplorerServer(_space(num_classes=None, latent_dim=3)).start()
    errors = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, headless=True)
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url)
            page.wait_for_function("document.getElementById('timing').textContent.includes('ms')")
            assert page.locator("#sliders input").count() == 3
            first = page.eval_on_selector("#decoded", "img => img.src")
            sliders = page.eval_on_selector_all("#sliders input", "s => s.map(i => i.value)")
            pad = page.locator("#pad").bounding_box()
            page.mouse.move(pad["x"] + 40, pad["y"] + 40)
            page.mouse.down()
            for step in range(1, 11):
                page.mouse.move(pad["x"] + 40 + 30 * step, pad["y"] + 40 + 25 * step)
            page.mouse.up()
            page.wait_for_function(f"document.getElementById('decoded').src !== {first!r}")
            page.wait_for_timeout(300)  # the last move's decode
            moved = page.eval_on_selector_all("#sliders input", "s => s.map(i => i.value)")
            assert moved != sliders  # the pad moved the code
            image = page.eval_on_selector(
                "#decoded", "img => img.complete && img.naturalWidth === 28"
            )
            assert image
            # The decoded image itself changed, pixel for pixel, not only its URL.
            after = page.locator("#decoded").screenshot()
            page.goto(server.url)
            page.wait_for_function("document.getElementById('timing').textContent.includes('ms')")
            assert page.locator("#decoded").screenshot() != after
            assert "ms in the model" in page.inner_text("#timing")
            page.click("#new-samples")
            page.wait_for_timeout(300)
            browser.close()
    finally:
        server.stop()
    assert errors == []
