"""The running app over HTTP, as a public demo meets it: awkward files, forged paths, secrets, temp files.

Every bad file must come back as the user-facing message, and the server must answer a good request right after.
"""

from __future__ import annotations

import json
import pickle
import urllib.request
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import encode, exif_rotated
from PIL import Image

from gradio_client import handle_file

from bench.appserver import ROOT, start_server

FAKE_TOKEN = "hf_" + "NeverLogThisTestSecret0123456789"


def transparent(cat: Image.Image) -> bytes:
    rgba = cat.convert("RGBA")
    rgba.putalpha(128)
    return encode(rgba, "PNG")


REFUSED: dict[str, tuple[Callable[[Image.Image], bytes], str]] = {
    "renamed.jpg": (lambda cat: b"%PDF-1.4 a document, not a photo", "not an image file"),
    "empty.jpg": (lambda cat: b"", "the file is empty"),
    "truncated.jpg": (lambda cat: encode(cat, "JPEG")[:3000], "corrupt or truncated"),
    "truncated.png": (lambda cat: encode(cat, "PNG")[:3000], "corrupt or truncated"),
    "one-pixel.png": (lambda cat: encode(Image.new("RGB", (1, 1)), "PNG"), "at least 8 pixels"),
    "seven-by-three.png": (lambda cat: encode(Image.new("RGB", (7, 3)), "PNG"), "at least 8 pixels"),
    "bomb-20000.png": (
        lambda cat: encode(Image.new("1", (20000, 20000)), "PNG", optimize=True),
        "too large to decode safely; the limit is 64 MP",
    ),
}
ACCEPTED: dict[str, tuple[Callable[[Image.Image], bytes], str]] = {
    "rgba.png": (transparent, ""),
    "sixteen-bit.png": (lambda cat: encode(Image.fromarray(np.asarray(cat.convert("L"), dtype=np.uint16) * 257), "PNG"), ""),
    "cmyk.jpg": (lambda cat: encode(cat.convert("CMYK"), "JPEG"), ""),
    "palette.gif": (lambda cat: encode(cat.convert("P", palette=Image.Palette.ADAPTIVE), "GIF"), ""),
    "phone.jpg": (exif_rotated, "EXIF orientation"),
    "gray.png": (lambda cat: encode(cat.convert("L"), "PNG"), ""),
}


@pytest.fixture(scope="module")
def client(server, tmp_path_factory):
    from gradio_client import Client

    return Client(server.url, verbose=False, download_files=str(tmp_path_factory.mktemp("downloads")))


@pytest.fixture(scope="module")
def cat(photos) -> Image.Image:
    return Image.open(photos / "chelsea.png").convert("RGB")


def upload(tmp_path: Path, name: str, data: bytes):
    from gradio_client import handle_file

    (tmp_path / name).write_bytes(data)
    return handle_file(str(tmp_path / name))


def colorize(client, file) -> tuple:
    return client.predict(file, "Claude Monet", "lab", api_name="/colorize")


def assert_still_answers(client, photos) -> None:
    from gradio_client import handle_file

    *_, png, msg = colorize(client, handle_file(str(photos / "chelsea.png")))
    assert Image.open(png).size == (451, 300) and msg.startswith("Claude Monet colorization")


@pytest.mark.parametrize("name", REFUSED)
def test_bad_file_gets_its_message_and_the_server_keeps_answering(client, cat, photos, tmp_path, name):
    make, message = REFUSED[name]
    with pytest.raises(Exception, match=message):
        colorize(client, upload(tmp_path, name, make(cat)))
    assert_still_answers(client, photos)


@pytest.mark.parametrize("name", ACCEPTED)
def test_unusual_but_valid_file_is_colorized_upright(client, cat, photos, tmp_path, name):
    make, note = ACCEPTED[name]
    orig, gray, gen, slider, png, msg = colorize(client, upload(tmp_path, name, make(cat)))
    assert Image.open(png).size == Image.open(gen).size == (451, 300)  # upright, at the input's size
    assert Image.open(png).mode == "RGB" and note in msg
    assert_still_answers(client, photos)


def test_maps_endpoint_refuses_a_non_image_and_keeps_answering(client, photos, tmp_path):
    from gradio_client import handle_file

    with pytest.raises(Exception, match="not an image file"):
        client.predict(upload(tmp_path, "tile.png", b"GIF89a but not really"), "aerial photo -> map", api_name="/translate_map")
    orig, gen, slider, png, msg = client.predict(
        handle_file(str(photos / "coffee.png")), "aerial photo -> map", api_name="/translate_map"
    )
    assert Image.open(png).size == (600, 400)


def call_raw(url: str, api: str, data: list) -> str:
    """POST to Gradio's REST API without a client (so nothing is uploaded) and return the event stream."""
    req = urllib.request.Request(
        f"{url}gradio_api/call/{api}", json.dumps({"data": data}).encode(), {"Content-Type": "application/json"}
    )
    event = json.load(urllib.request.urlopen(req, timeout=30))["event_id"]
    return urllib.request.urlopen(f"{url}gradio_api/call/{api}/{event}", timeout=60).read().decode()


@pytest.mark.parametrize("path", ["/etc/passwd", str(ROOT / "app.py"), "../../../../etc/hostname"])
def test_a_path_the_user_did_not_upload_never_reaches_the_filesystem(server, client, photos, path):
    stream = call_raw(server.url, "colorize", [{"path": path, "meta": {"_type": "gradio.FileData"}}, "Claude Monet", "lab"])
    assert "event: error" in stream and "complete" not in stream
    assert "root:" not in stream and "import" not in stream  # nothing of the file comes back
    assert_still_answers(client, photos)


def test_uploads_and_results_stay_in_gradio_cache_and_go_at_shutdown(app_weights, photos, tmp_path):
    """Also: a configured but unreachable Hub repo is a logged warning, and HF_TOKEN appears in no output."""
    from gradio_client import Client, handle_file

    srv = start_server(tmp_path, app_weights, HF_TOKEN=FAKE_TOKEN, PIX2PIX_HUB_MODELS="nobody/not-a-real-repo")
    try:
        client = Client(srv.url, verbose=False, download_files=str(tmp_path / "downloads"))
        colorize(client, handle_file(str(photos / "rocket.jpg")))
        client.predict(handle_file(str(photos / "coffee.png")), "aerial photo -> map", api_name="/translate_map")
        with pytest.raises(Exception, match="No model for map -> aerial photo"):
            client.predict(
                handle_file(str(photos / "coffee.png")), "map -> aerial photo", api_name="/translate_map"
            )  # no BtoA model
        written = [p for p in srv.uploads.rglob("*") if p.is_file()]
        assert any(p.name == "rocket.jpg" for p in written)  # the upload, under its own name
        assert any(p.name.startswith("rocket_") and p.suffix == ".png" for p in written)  # its download, named after it
        assert not list(srv.tmp.rglob("*"))  # nothing written outside Gradio's cache
    finally:
        srv.proc.terminate()  # SIGTERM: the app stops like Ctrl+C and Gradio empties its cache
        srv.proc.wait(timeout=30)
    examples = {p.name for p in (ROOT / "examples").iterdir()}
    left = [p.name for p in srv.uploads.rglob("*") if p.is_file() and p.name not in examples]
    assert left == [], f"user files left behind: {left}"
    log = srv.log_text()
    assert "nobody/not-a-real-repo unavailable, using local weights only" in log
    assert FAKE_TOKEN not in log


def test_failed_push_keeps_the_model_and_never_shows_the_token(ab_dataset, tmp_path, monkeypatch, capsys, caplog):
    from pix2pix.hub import PushError
    from pix2pix.training.config import TrainConfig
    from pix2pix.training.trainer import train

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # past the trainer's check; huggingface_hub read "1" at import: the push fails
    cfg = TrainConfig(task="maps", data=str(ab_dataset), out=str(tmp_path / "m"), epochs=1, epochs_decay=0, image_size=32,
                      load_size=36, ngf=4, ndf=4, depth=5, device="cpu", push_to_hub="someone/maps-test")  # fmt: skip
    with pytest.raises(
        PushError, match=f"saved in {tmp_path / 'm'}, but pushing {tmp_path / 'm'} to the Hub repo someone/maps-test failed"
    ) as e:
        train(cfg)
    assert (tmp_path / "m" / "model.safetensors").is_file()
    out = capsys.readouterr()
    assert FAKE_TOKEN not in str(e.value) + out.out + out.err + caplog.text


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_forged_checkpoint_is_refused_not_unpickled(ab_dataset, tmp_path):
    from pix2pix.training.config import TrainConfig
    from pix2pix.training.trainer import Trainer

    marker = tmp_path / "code-ran"
    run = tmp_path / "m" / "train"
    run.mkdir(parents=True)
    torch.save({"G": _Exploit(marker)}, run / "checkpoint.pt")  # pickles the exploit, as a hostile file would
    cfg = TrainConfig(task="maps", data=str(ab_dataset), out=str(tmp_path / "m"), image_size=32, load_size=36, ngf=4, ndf=4,
                      depth=5, device="cpu", resume=True)  # fmt: skip
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        Trainer(cfg)
    assert not marker.exists()
    assert pickle.loads(pickle.dumps({"G": _Exploit(marker)})) and marker.exists()  # the file really was an exploit


def test_a_refused_input_logs_one_line_and_no_traceback(server, client, photos, tmp_path):
    before = server.log_text()
    with pytest.raises(Exception, match="Please upload an image first"):
        client.predict(None, "Claude Monet", "lab", 1.0, api_name="/colorize")
    with pytest.raises(Exception, match="not an image file"):
        client.predict(upload(tmp_path, "renamed.jpg", b"%PDF-1.4 a document"), "Claude Monet", "lab", 1.0, api_name="/colorize")
    with pytest.raises(Exception, match="greater than maximum value 1.5"):  # Gradio's own checks refuse alike
        client.predict(handle_file(str(photos / "coffee.png")), "Claude Monet", "lab", 3.0, api_name="/colorize")
    with pytest.raises(Exception, match="Vermeer is not in the list of choices"):
        client.predict(handle_file(str(photos / "coffee.png")), "Vermeer", "lab", 1.0, api_name="/colorize")
    with pytest.raises(Exception, match="'north' .* is not in the list of choices"):
        client.predict(handle_file(str(photos / "coffee.png")), "north", True, api_name="/translate_map")
    new = server.log_text()[len(before):]
    assert "refused: Please upload an image first." in new and "not an image file" in new
    assert "refused: Value 3.0 is greater than maximum value 1.5." in new and "refused: Value: Vermeer" in new
    assert "Traceback" not in new
