"""Where a user's wait for /colorize goes: the photo through the running app end to end, against the Translator call
inside it, and the handler's steps measured in this process.

    python -m bench.request_time [--runs 10] [--photo tests/data/coffee.png] [--artist photos]

The app is started on a free loopback port with the shipped weights and warmed up; then --runs requests go through
it one at a time by two clients: over plain HTTP as the page makes them (the upload, the call and its event stream,
the images shown fetched in parallel) and through `gradio_client` as a script does; and where chromium is installed,
in the page itself, with and without a hint stroke (the default model, natural colours). The same photo then goes through each
step in this process: decoding, the Translator, the handler (`Studio.colorize`: decoding, the Translator, the PNG
download), and encoding its outputs for viewing as the components do. Medians, in ms; the target is end to end over
HTTP at most 3x the Translator's time. The last rows time a Gradio endpoint that does nothing with an image upload
and one output, by each client: the part of the wait that is Gradio's and the client's whatever the app does
(`gradio_client` polls for each message every 50 ms).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

from bench.appserver import ROOT, start_server
from bench.timing import median_ms


def in_process(photo: str, artist: str, runs: int) -> dict[str, float]:
    """The handler's steps, timed here: what the server spends on one /colorize."""
    import gradio as gr

    import app
    from pix2pix import serving
    from pix2pix.images import decode_image
    from pix2pix.registry import Registry

    studio = app.Studio(Registry(ROOT / "weights", hub_repos=[]))
    entry = studio.registry.find_colorizer(artist, "lab")
    translator = studio.registry.translator(entry)
    out = studio.colorize(photo, artist, "lab", progress=lambda *a, **k: None)
    shown = serving.shown_as_files(gr.Image(type="pil"))
    slider = serving.shown_as_files(gr.ImageSlider(type="pil"))
    def encode() -> None:  # each image afresh: a request's images are new ones
        for image in (*out[:3], *out[3]):
            image.info.pop(serving.SHOWN_FILE, None)
        [shown.postprocess(im) for im in out[:3]], slider.postprocess(out[3])

    return {
        "decode the upload": median_ms(lambda: decode_image(photo), runs),
        "Translator (the network and its colour conversions)": median_ms(lambda: translator(photo), runs),
        "handler (decode + Translator + PNG download, written beside the response, awaited)": median_ms(
            lambda: studio.colorize(photo, artist, "lab", progress=lambda *a, **k: None)[4].result(), runs),
        "encode the outputs for viewing (3 panels + slider, 3 files)": median_ms(encode, runs),
    }


def output_urls(value: object) -> list[str]:
    """The file URLs in an event's output data (nested lists and dicts)."""
    if isinstance(value, dict):
        return [value["url"]] if value.get("url") else [u for v in value.values() for u in output_urls(v)]
    return [u for v in value for u in output_urls(v)] if isinstance(value, list) else []


class HttpUser:
    """A page's requests as a browser makes them: the upload, then the call and its event stream in one session,
    then the output files fetched in parallel (six connections, as browsers open per host)."""

    def __init__(self, url: str) -> None:
        self.api = url.rstrip("/") + "/gradio_api"
        self.http = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=6))  # shared by the fetching threads
        self.pool = ThreadPoolExecutor(6)

    def __enter__(self) -> HttpUser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.pool.shutdown()
        self.http.close()

    def call(self, endpoint: str, data: list, files: dict[int, Path] | None = None, shown: int | None = None) -> list:
        """`endpoint` with `data`, where `files` maps input positions to local files to upload first; the files of the
        first `shown` outputs (all by default) are fetched as a page shows them: each URL once, not the download
        buttons' files, which a browser fetches only when clicked. Returns the output data."""
        data = list(data)
        for i, path in (files or {}).items():
            [uploaded] = self.http.post(f"{self.api}/upload", files=[("files", (path.name, path.read_bytes()))]).json()
            data[i] = {"path": uploaded, "meta": {"_type": "gradio.FileData"}}
        event = self.http.post(f"{self.api}/call/{endpoint}", json={"data": data, "session_hash": "bench"}).json()
        stream = self.http.get(f"{self.api}/call/{endpoint}/{event['event_id']}").text
        if "event: complete" not in stream:
            raise RuntimeError(f"/{endpoint} failed: {stream[-500:]}")
        out = json.loads(stream.split("event: complete\ndata: ", 1)[1].splitlines()[0])
        urls = dict.fromkeys(output_urls(out[:shown]))  # each once, in order
        list(self.pool.map(lambda url: self.http.get(url).raise_for_status(), urls))
        return out


def end_to_end(photo: str, artist: str, runs: int) -> dict[str, float]:
    """The request through the running app: by `gradio_client` as a script calls it, over HTTP as the page does, and
    in the page itself where chromium is installed."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = start_server(Path(tmp), ROOT / "weights")
        try:
            client = Client(srv.url, verbose=False, download_files=str(Path(tmp) / "downloads"))
            with HttpUser(srv.url) as user:
                times = {
                    "gradio_client": median_ms(lambda: client.predict(handle_file(photo), artist, "lab", 1.0,
                                                                      api_name="/colorize"), runs),
                    "http": median_ms(lambda: user.call("colorize", [None, artist, "lab", 1.0, None, None],
                                                        {0: Path(photo)}, shown=4), runs),  # the panels and slider
                }
            return {**times, **(in_browser(srv.url, photo, runs) if artist == "photos" else {})}
        finally:
            srv.proc.terminate()
            srv.proc.wait(timeout=60)


SHOWN = """before => {  // the generated panel holds a new image, and it and the slider's two are decoded and shown
  const shown = img => img && img.complete && img.naturalWidth > 0;
  const generated = document.querySelector('#colorize-generated img');
  const slider = [...document.querySelectorAll('#colorize-slider img')];
  return generated && generated.src !== before && shown(generated) && slider.length == 2 && slider.every(shown);
}"""


def in_browser(url: str, photo: str, runs: int) -> dict[str, float]:
    """A user's wait in chromium (headless, as the browser test drives it): from clicking Colorize, the photo already
    uploaded, until the results are shown; then again after painting one hint stroke. Empty without chromium."""
    chromium = shutil.which("chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {}
    if chromium is None:
        return {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url, wait_until="networkidle", timeout=60_000)
        page.locator("#colorize-input input[type=file]").set_input_files(photo)
        page.locator("#colorize-hints canvas").wait_for(timeout=30_000)

        def colorize() -> None:
            before = page.locator("#colorize-generated img").get_attribute("src") if page.locator(
                "#colorize-generated img").count() else ""
            page.locator("#colorize-button").click()
            page.wait_for_function(SHOWN, arg=before, timeout=60_000, polling=5)

        times = {"browser": median_ms(colorize, runs)}
        box = page.locator("#colorize-hints canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2, steps=20)
        page.mouse.up()
        times["browser, one stroke"] = median_ms(colorize, runs)
        browser.close()
    return times


def floor(photo: str, runs: int) -> dict[str, float]:
    """An endpoint that takes the photo and returns a word, served by Gradio on loopback: the part of the wait that is
    Gradio's and the client's whatever the handler does, by each client."""
    import gradio as gr

    from bench.appserver import free_port

    with gr.Blocks() as demo:
        image, word = gr.Image(type="filepath"), gr.Textbox()
        gr.Button().click(lambda path: "ok", image, word, api_name="nothing")
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        with HttpUser(f"http://127.0.0.1:{port}/") as user:
            return {"gradio_client": median_ms(lambda: client.predict(handle_file(photo), api_name="/nothing"), runs),
                    "http": median_ms(lambda: user.call("nothing", [None], {0: Path(photo)}), runs)}
    finally:
        demo.close()


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.request_time", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--photo", default=str(ROOT / "tests" / "data" / "coffee.png"))
    p.add_argument("--artist", default="photos", help="the colorizer, as the API names it")
    args = p.parse_args()
    total = end_to_end(args.photo, args.artist, args.runs)
    steps = in_process(args.photo, args.artist, args.runs)
    nothing = floor(args.photo, args.runs)
    net = steps["Translator (the network and its colour conversions)"]
    print(f"/colorize of {Path(args.photo).name} ({args.artist}), median of {args.runs}\n")
    print("| step | ms | x the Translator |")
    print("|---|---:|---:|")
    rows = [*steps.items(),
            ("end to end over HTTP as the page makes it (upload, call and event stream, outputs fetched in parallel)",
             total["http"]),
            ("end to end through gradio_client (upload, queue, outputs, downloads)", total["gradio_client"]),
            *((f"in chromium{how}: Colorize clicked, the photo uploaded before, until the results are shown",
               total[f"browser{how}"]) for how in ("", ", one stroke") if f"browser{how}" in total),
            ("a Gradio endpoint doing nothing with the same upload, over HTTP as the page", nothing["http"]),
            ("the same through gradio_client (it polls for each message every 50 ms)", nothing["gradio_client"])]
    for name, ms in rows:
        print(f"| {name} | {ms:.0f} | {ms / net:.1f}x |")
    verdict = "met" if total["http"] <= 3 * net else "missed"
    print(f"\ntarget, end to end over HTTP at most 3x the Translator ({3 * net:.0f} ms): {verdict}")


if __name__ == "__main__":
    main()
