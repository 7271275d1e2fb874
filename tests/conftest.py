"""Small real-image fixtures built from the photos in tests/data (public domain, see CREDITS.md there) in temp dirs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before huggingface_hub is imported: it reads this once

from helpers import make_weights

from bench.appserver import ROOT, start_server

PHOTOS = ROOT / "tests" / "data"
PHOTO_NAMES = ["astronaut.jpg", "chelsea.png", "coffee.png", "motorcycle_left.jpg", "rocket.jpg", "camera.png"]


@pytest.fixture(scope="session", autouse=True)
def gradio_temp_dir(tmp_path_factory: pytest.TempPathFactory):
    """Handlers called in-process write results to Gradio's upload folder: keep it inside pytest's temp area."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(tmp_path_factory.mktemp("gradio")))
        yield


@pytest.fixture(scope="session")
def photos() -> Path:
    return PHOTOS


def _rgb(path: Path, size: tuple[int, int]) -> Image.Image:
    return Image.open(path).convert("RGB").resize(size, Image.Resampling.BICUBIC)


@pytest.fixture(scope="session")
def ab_dataset(photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pix2pix AB layout: A = photo, B = a posterised 'map-like' version of it, side by side."""
    root = tmp_path_factory.mktemp("ab")
    for split, names in (("train", PHOTO_NAMES[:4]), ("val", PHOTO_NAMES[4:])):
        (root / split).mkdir()
        for i, name in enumerate(names):
            a = _rgb(photos / name, (72, 72))
            b = Image.fromarray((np.asarray(a) // 64 * 64).astype(np.uint8))
            ab = Image.new("RGB", (144, 72))
            ab.paste(a, (0, 0))
            ab.paste(b, (72, 0))
            ab.save(root / split / f"{i}.jpg", quality=95)
    return root


@pytest.fixture(scope="session")
def paintings(photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """'Best Artworks' layout with two artists, each given real photos as 'paintings'."""
    root = tmp_path_factory.mktemp("art")
    (root / "images").mkdir()
    for i, name in enumerate(PHOTO_NAMES[:5]):
        _rgb(photos / name, (80, 60)).save(root / "images" / f"Claude_Monet_{i + 1}.jpg")
    for i, name in enumerate(PHOTO_NAMES[2:5]):
        _rgb(photos / name, (60, 80)).save(root / "images" / f"Gustav_Klimt_{i + 1}.jpg")
    (root / "artists.csv").write_text("id,name,paintings\n0,Claude Monet,5\n1,Gustav Klimt,3\n")
    return root


@pytest.fixture(scope="session")
def app_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_weights(tmp_path_factory.mktemp("app_weights"))


@pytest.fixture(scope="session")
def server(app_weights: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real app in a subprocess on a free loopback port, shared by the tests that talk to it."""
    srv = start_server(tmp_path_factory.mktemp("server"), app_weights)
    yield srv
    srv.proc.terminate()
    srv.proc.wait(timeout=30)


SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def maps_val() -> Path:
    """The real maps val pairs: Google imagery, which the project may not ship, so only beside the workspace."""
    folder = SHARED / "maps" / "val"
    if not folder.is_dir():
        pytest.skip(f"training data: the maps val pairs are not at {folder} (they cannot be shipped with the project)")
    return folder


@pytest.fixture(scope="session")
def shipped_server(tmp_path_factory: pytest.TempPathFactory):
    """The real app serving the shipped weights/ folder."""
    srv = start_server(tmp_path_factory.mktemp("shipped"), ROOT / "weights")
    yield srv
    srv.proc.terminate()
    srv.proc.wait(timeout=30)
