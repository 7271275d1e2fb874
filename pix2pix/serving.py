"""The app's server kept well under load (each fix found by a soak: docs/benchmarks.md): results shown from files of
their own, uploads handed over untouched, a refused input told in one line, Gradio's cache sweep safe while requests
come in, memory kept flat, and the host and port checked before any model loads."""

from __future__ import annotations

import argparse
import ctypes
import errno
import logging
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

import cv2
import gradio as gr
import numpy as np
from gradio.data_classes import ImageData
from gradio.utils import get_upload_folder
from PIL import Image

log = logging.getLogger("pix2pix.app")

SHOWN_QUALITY = 90  # the panels, slider and gallery are JPEG files of their own (`shown_as_files`): about 30x faster to
# encode than WebP and a tenth of PNG's time (bench/request_time.py); the lossless result is the PNG download
SHOWN_FILE = "pix2pix-shown-file"  # an image's viewing file, noted in its `info` (with its id), so it is written once


def _result_file(stem: str, suffix: str, write: Callable[[BinaryIO], object]) -> str:
    """A file of its own inside Gradio's cache, written by `write`, so that the app's cache sweep (and shutdown)
    deletes it like every other upload and result."""
    folder = Path(get_upload_folder()) / "pix2pix-results"
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=f"{stem}-", suffix=suffix, dir=folder)
    with os.fdopen(fd, "wb") as f:
        write(f)
    return path


DOWNLOADS = ThreadPoolExecutor(1, thread_name_prefix="png-download")  # writes the PNG downloads beside the request


def _write_png(image: Image.Image, stem: str) -> str:
    """The generated image as a PNG for the download button, lossless. OpenCV's run-length strategy: about 6 ms for
    the 600x400 coffee photo against PIL's 18 ms at its fastest level, for a file no larger (bench/request_time.py)."""
    _, data = cv2.imencode(".png", np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1]),
                           [cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE])
    return _result_file(stem, ".png", lambda f: f.write(data.tobytes()))


def download_stem(image: object, model: str) -> str:
    """The start of a download's file name: the user's own file name and the model (`rocket_photo-lab-….png`), so
    that several results saved from the app say what each is; only letters, digits, `.`, `_` and `-`."""
    upload = Path(image).stem[:60] if isinstance(image, str) else ""
    parts = (re.sub(r"[^\w.-]+", "-", part).strip("-.") for part in (upload, model))
    return "_".join(part for part in parts if part) or "result"


def save_png(image: Image.Image, stem: str) -> Future[str]:
    """The PNG download, written on another core while Gradio encodes the panels and builds the response (the
    request's 7-12 ms for it off the wait: docs/benchmarks.md); the download component waits for it
    (`written_when_shown`)."""
    return DOWNLOADS.submit(_write_png, image, stem)


def shown_after(component: gr.components.Component, transform: Callable[[Any], Any]) -> gr.components.Component:
    """`component` with each output value passed through `transform` before Gradio's own postprocessing. Patched on
    the instance, as `raw_upload` is."""
    show = component.postprocess
    component.postprocess = lambda value: show(transform(value))
    return component


def _awaited(value: Any) -> Any:
    return value.result() if isinstance(value, Future) else value


def written_when_shown(component: gr.File) -> gr.File:
    """Make `component` take a file still being written (a Future of its path, `save_png`) and wait for it when
    the response is built."""
    return shown_after(component, _awaited)


def _save_shown(image: Image.Image) -> str:
    """An output image for viewing, as a JPEG file of its own (`shown_as_files`), written once however many panels
    show it: the slider shows the grayscale and generated panels' own files, so the page fetches each image once."""
    owner, path = image.info.get(SHOWN_FILE, (None, None))
    if owner != id(image) or not os.path.exists(path):  # not this very image's (a copy carries its `info` along)
        path = _result_file("shown", ".jpg", lambda f: image.save(f, format="JPEG", quality=SHOWN_QUALITY))
        image.info[SHOWN_FILE] = (id(image), path)
    return path


def _as_files(value: Any) -> Any:
    """Every PIL image in an output value (an image, the slider's pair, the gallery's (image, caption) list) as a file."""
    if isinstance(value, Image.Image):
        return _save_shown(value)
    if isinstance(value, (tuple, list)):
        return type(value)(_as_files(v) for v in value)
    return value


def shown_as_files(component: gr.components.Component) -> gr.components.Component:
    """Make `component` show its images from files of their own. Gradio writes an image it is handed to a cache path
    named by its content, in place, so two users getting the same result (the same example through the same model)
    rewrite the file one of them is downloading, which then arrives empty (the soak: 57 of 10,081 requests); a file
    it is handed is copied into the cache under a temporary name and renamed, which is safe."""
    return shown_after(component, _as_files)


class SnapshotSet(set):
    """A set that loops over a copy of itself. Gradio's cache sweep walks its sets of cached files in a worker thread
    while requests add to them; a set that grows under the loop raises, and the sweep then stopped for good (every
    soak run: from minute 5 no file was deleted again and the sets only grew)."""

    def __iter__(self):
        return iter(set.copy(self))  # copied in one step under the GIL: no request can add halfway


def sweep_safely(demo: gr.Blocks) -> gr.Blocks:
    """Give `demo`'s cache sweep one set of cached files that it can walk while requests add to it (`SnapshotSet`),
    shared by every component and the uploads. One set, not one per component: a file that two components show (a
    panel's image in the slider) was listed in both, and the sweep, having deleted it from the first, left it in the
    second for good (a missing file is skipped, not forgotten): the sets grew by two paths per request, each walked
    at every sweep. Patched on the instances, as `raw_upload` is."""
    shared = SnapshotSet(set().union(*demo.temp_file_sets, demo.upload_file_set))
    for block in demo.blocks.values():
        if isinstance(getattr(block, "temp_files", None), set):
            block.temp_files = shared
    demo.upload_file_set = shared
    demo.temp_file_sets = [shared]
    return demo


def raw_upload(image: gr.Image) -> gr.Image:
    """Make `image` hand the handler the untouched uploaded file (its path in Gradio's upload folder).

    Gradio's own preprocessing opens the file with PIL first, so a non-image, an empty file or a
    decompression bomb would end as an anonymous server error; `load_image` explains each one instead.
    Patched on the instance: a gr.Image subclass would make Gradio write a generated `.pyi` stub beside its module.
    """
    decode = image.preprocess

    def preprocess(payload: ImageData | None) -> str | Image.Image | np.ndarray | None:
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return payload.path  # Gradio has already checked that this path is inside its upload folder
        return decode(payload)

    image.preprocess = preprocess
    return image


def refused(message: str) -> gr.Error:
    """A user's input refused: the message goes to the user, and one line (no traceback) to the server log."""
    log.info("refused: %s", message)
    return gr.Error(message, print_exception=False)


def quiet_checks(component: gr.components.Component) -> gr.components.Component:
    """Gradio's own checks of an input (a value out of a slider's range, one not among a dropdown's choices) refuse it
    as the app does: the message to the user, one line to the log; Gradio itself would print a traceback for each.
    Patched on the instance, as `raw_upload` is."""
    check = component.preprocess

    def preprocess(payload):
        try:
            return check(payload)
        except gr.Error as e:
            raise refused(str(e.message)) from None

    component.preprocess = preprocess
    return component


MMAP_THRESHOLD = 4 << 20  # bytes: blocks this large (network activations) are mapped apart and unmapped when freed
TOP_PAD = 16 << 20  # bytes each heap keeps beyond its top: a request's smaller blocks reuse pages instead of faulting


def return_freed_memory(every_s: float = 60.0) -> None:
    """Keep the server's resident size flat (the soak, docs/benchmarks.md): blocks of `MMAP_THRESHOLD` bytes or more
    get pages of their own, handed back when freed (glibc raises this threshold after each large free, so images
    then came from the heap, which held 300 MB of freed space within a minute); at most two malloc arenas; each heap
    grown and kept `TOP_PAD` beyond its top; and every `every_s` seconds the heap's free pages go back to the system
    (`malloc_trim`). 4 MiB, not 1: a photo's images and colour tensors (3 MB for 600x400) then reuse heap pages
    instead of each being a fresh mapping whose pages the kernel zeroes on first touch (the Translator in the server
    25 ms against 16; the soak's growth the same). A no-op where the C library is not glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, 2)  # M_ARENA_MAX
        libc.mallopt(-3, MMAP_THRESHOLD)  # M_MMAP_THRESHOLD: a fixed value also stops glibc from raising it
        libc.mallopt(-2, TOP_PAD)  # M_TOP_PAD
    except (OSError, AttributeError):
        return

    def loop() -> None:
        while True:
            time.sleep(every_s)
            libc.malloc_trim(0)

    threading.Thread(target=loop, name="return-freed-memory", daemon=True).start()


QUEUE_RECORDS = {"GRADIO_ANALYTICS_MAX_EVENTS": "1000", "GRADIO_ANALYTICS_CACHE_FREQUENCY": "100"}


def bound_queue_records() -> None:
    """Gradio's queue keeps a record of each request for its /monitoring page, the last 10,000, and rebuilds a pandas
    summary of all of them after every request: a store that grows for the first 10,000 requests and 1-5 ms of CPU
    each (docs/benchmarks.md, the soak). The app keeps the last 1,000 and summarises every 100th request; set either
    variable to choose otherwise. Read when the queue is made (`demo.queue`)."""
    for name, value in QUEUE_RECORDS.items():
        os.environ.setdefault(name, value)


def port_number(text: str) -> int:
    """argparse type for --port: a TCP port, refused here rather than deep in the socket layer."""
    port = int(text)
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (1-65535)")
    return port


def serve_problem(host: str, port: int) -> str | None:
    """Why `host`:`port` cannot be served, or None. Checked before the models load, so a second `python app.py`
    or a mistyped --host says so at once instead of failing in Gradio's launch with a traceback."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror as e:
        return f"host {host!r} cannot be resolved ({e.strerror}): try 127.0.0.1, or 0.0.0.0 to serve your network"
    with socket.socket(family, socket.SOCK_STREAM) as s:
        if os.name != "nt":  # as the server binds: connections of an app just stopped (TIME_WAIT) do not hold the port
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is in use (is the app already running there?): pick another with "
                    f"--port, e.g. --port {port + 1 if port < 65535 else 7861}, or set GRADIO_SERVER_PORT"
                )
            return (f"cannot serve on {host}:{port} ({e.strerror}): --host must be an address of this machine,"
                    " e.g. 127.0.0.1 or 0.0.0.0")  # fmt: skip
    return None
