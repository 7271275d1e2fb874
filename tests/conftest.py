"""Small real-image fixtures built from ../shared/data/photos in temp dirs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before huggingface_hub is imported: it reads this once

from helpers import free_port, make_weights  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "data" / "photos"
PHOTO_NAMES = ["astronaut.png", "chelsea.png", "coffee.png", "motorcycle_left.png", "rocket.jpg", "camera.png"]


@pytest.fixture(scope="session")
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"real test photos not found at {PHOTOS}")
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


@dataclass
class Server:
    """A running app: its URL, its log, and the two temp areas it may write to."""

    url: str
    proc: subprocess.Popen
    log: Path
    uploads: Path  # GRADIO_TEMP_DIR: uploads and outputs
    tmp: Path  # the process's TMPDIR: must stay empty

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(root: Path, weights: Path, **env: str) -> Server:
    """Start app.py on a free loopback port with its own temp folders and wait until it accepts connections."""
    port = free_port()
    uploads, tmp = root / "gradio", root / "tmp"
    uploads.mkdir()
    tmp.mkdir()
    env = {**os.environ, "PIX2PIX_WEIGHTS": str(weights), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           "GRADIO_TEMP_DIR": str(uploads), "TMPDIR": str(tmp), **env}  # fmt: skip
    log = root / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", proc, log, uploads, tmp)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"app exited: {server.log_text()}")
            time.sleep(0.5)
    proc.kill()
    pytest.fail(f"app did not start in 120 s: {server.log_text()}")


@pytest.fixture(scope="session")
def server(app_weights: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real app in a subprocess on a free loopback port, shared by the tests that talk to it."""
    srv = start_server(tmp_path_factory.mktemp("server"), app_weights)
    yield srv
    srv.proc.terminate()
    srv.proc.wait(timeout=30)


