"""The app's handlers on real images, and the whole app over HTTP with gradio_client."""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from pix2pix.registry import Registry

import app


@pytest.fixture(scope="module")
def weights(app_weights: Path) -> Path:
    return app_weights


@pytest.fixture(scope="module")
def studio(weights) -> app.Studio:
    return app.Studio(Registry(weights, hub_repos=[]))


def noprogress(*args, **kwargs):
    return None


def test_registry_discovers_models_and_labels_untrained(weights):
    reg = Registry(weights, hub_repos=[])
    assert reg.artists() == ["Claude Monet"]
    assert reg.find_colorizer("Claude Monet", "lab").trained
    assert "[untrained]" in reg.find_colorizer("Claude Monet", "rgb").label
    assert reg.find_maps("BtoA") is None and reg.find_maps("AtoB") is not None


def test_colorize_returns_three_panels_at_input_size(studio, photos):
    orig, gray, gen, png, msg = studio.colorize(str(photos / "chelsea.png"), "Claude Monet", "lab", progress=noprogress)
    assert orig.size == gray.size == gen.size == (451, 300)
    g = np.asarray(gray)
    assert (g[..., 0] == g[..., 1]).all()  # the gray panel is gray
    assert Image.open(png).size == (451, 300)
    assert "Claude Monet colorization (Lab)" in msg


def test_rgb_choice_and_untrained_warning(studio, photos):
    *_, msg = studio.colorize(str(photos / "camera.png"), "Claude Monet", "rgb", progress=noprogress)
    assert "(RGB)" in msg and "UNTRAINED" in msg


def test_maps_keeps_size(studio, photos):
    orig, gen, png, msg = studio.translate_map(str(photos / "coffee.png"), "aerial photo -> map", progress=noprogress)
    assert orig.size == gen.size == (600, 400)


def test_clear_errors_for_bad_input(studio, tmp_path, photos):
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is text, not a JPEG")
    with pytest.raises(gr.Error, match="not an image file"):
        studio.colorize(str(bad), "Claude Monet", "lab", progress=noprogress)
    with pytest.raises(gr.Error, match="Unknown artist 'Vermeer'"):
        studio.colorize(str(photos / "chelsea.png"), "Vermeer", "lab", progress=noprogress)
    with pytest.raises(gr.Error, match="No model for map -> aerial photo"):
        studio.translate_map(str(photos / "coffee.png"), "map -> aerial photo", progress=noprogress)
    with pytest.raises(gr.Error, match="upload an image"):
        studio.colorize(None, "Claude Monet", "lab", progress=noprogress)


def test_app_builds_without_any_weights(tmp_path):
    reg = Registry(tmp_path, hub_repos=[])
    demo = app.build_app(reg)
    assert isinstance(demo, gr.Blocks)
    assert "No trained models found" in app.Studio(reg).about()


def test_unreachable_hub_repo_falls_back_to_local(weights, caplog):
    reg = Registry(weights, hub_repos=["nobody/not-a-real-repo"])
    assert len(reg.entries) == 3 and reg.problems == ["nobody/not-a-real-repo: not reachable"]
    assert "using local weights only" in caplog.text


def test_every_endpoint_over_http(server, photos, tmp_path):
    from gradio_client import Client, handle_file

    client = Client(server.url, verbose=False, download_files=str(tmp_path))
    orig, gray, gen, png, msg = client.predict(handle_file(str(photos / "rocket.jpg")), "Claude Monet", "lab",
                                               api_name="/colorize")
    assert Image.open(gen).size == Image.open(png).size == (640, 427)
    orig, gen, png, msg = client.predict(handle_file(str(photos / "coffee.png")), "aerial photo -> map", api_name="/translate_map")
    assert Image.open(png).size == (600, 400)
    with pytest.raises(Exception, match="Vermeer is not in the list of choices"):  # Gradio validates the dropdown
        client.predict(handle_file(str(photos / "rocket.jpg")), "Vermeer", "lab", api_name="/colorize")
    # the server still answers after an error
    assert client.predict(handle_file(str(photos / "camera.png")), "Claude Monet", "lab", api_name="/colorize")[4]
