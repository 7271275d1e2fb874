"""pix2pix studio: the Gradio demo. `python app.py` serves it on http://127.0.0.1:7860.

Models come from `weights/<name>/` (config.json + model.safetensors; override the folder with
PIX2PIX_WEIGHTS) and from Hub repos listed in PIX2PIX_HUB_MODELS (comma-separated repo ids).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import tempfile
from pathlib import Path

import gradio as gr
import numpy as np
import torch
from gradio.data_classes import ImageData
from gradio.utils import get_upload_folder
from PIL import Image

from pix2pix.hub import ModelError
from pix2pix.images import MAX_PIXELS, MAX_SIDE, ImageError
from pix2pix.registry import HUB_ENV, WEIGHTS_ENV, ModelEntry, Registry

EXAMPLES = Path(__file__).with_name("examples")
DIRECTIONS = {"aerial photo -> map": "AtoB", "map -> aerial photo": "BtoA"}
SPACES = {"Lab (predicts a*b*, keeps your lightness)": "lab", "RGB (predicts all three channels)": "rgb"}
NO_MODELS = f"""**No trained models found** in `{{weights}}`.
Train one (`python -m train.colorize --artist "Claude Monet"`, `python -m train.maps --download`)
or set `{HUB_ENV}` to Hub repo ids to download them."""


MAX_UPLOAD = os.environ.get("PIX2PIX_MAX_UPLOAD", "50mb")
CACHE_SWEEP_S, CACHE_MAX_AGE_S = 300, 900  # every 5 min, delete uploads and results older than 15 min


def _save_png(image: Image.Image, stem: str) -> str:
    """The generated image as a PNG for the download button, written inside Gradio's cache so the app's
    cache sweep (and shutdown) deletes it like every other upload and result."""
    folder = Path(get_upload_folder()) / "pix2pix-results"
    folder.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=f"{stem}-", suffix=".png", dir=folder)
    with os.fdopen(fd, "wb") as f:
        image.save(f, format="PNG")
    return path


def raw_upload(image: gr.Image) -> gr.Image:
    """Make `image` hand the handler the untouched uploaded file (its path in Gradio's upload folder).

    Gradio's own preprocessing opens the file with PIL first, so a non-image, an empty file or a
    decompression bomb would end as an anonymous server error; `load_image` explains each one instead.
    Patched on the instance: a gr.Image subclass would make Gradio write a generated `app.pyi` beside this file.
    """
    decode = image.preprocess

    def preprocess(payload: ImageData | None) -> str | Image.Image | np.ndarray | None:
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return payload.path  # Gradio has already checked that this path is inside its upload folder
        return decode(payload)

    image.preprocess = preprocess
    return image


class Studio:
    """The app's handlers, independent of the UI so they can be tested directly."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def _run(self, entry: ModelEntry | None, image: str | Image.Image | None, what: str, progress: gr.Progress):
        if image is None:
            raise gr.Error("Please upload an image first.")
        if entry is None:
            raise gr.Error(f"No model for {what} is installed. See the About tab for how to train or download one.")
        try:
            progress(0.1, desc=f"loading {entry.label}")
            translator = self.registry.translator(entry)
            progress(0.4, desc="generating")
            result = translator(image)
        except (ImageError, ModelError) as e:
            raise gr.Error(str(e)) from None
        notes = list(result.notes)
        if not entry.trained:
            notes.append("this model is UNTRAINED: its output is noise, not a result")
        message = f"{entry.label}: {result.generated.width}x{result.generated.height}" + "".join(f"\n- {n}" for n in notes)
        return result, message

    def colorize(self, image, artist: str, space: str, progress: gr.Progress = gr.Progress()):
        """Colorize `image` in the style of `artist`: returns original, grayscale, generated, PNG file, message."""
        space_key = SPACES.get(space, space)
        if space_key not in SPACES.values():
            raise gr.Error(f"Unknown model type {space!r}: use 'lab' or 'rgb'")
        if artist not in self.registry.artists():
            raise gr.Error(f"Unknown artist {artist!r}. Available: {', '.join(self.registry.artists()) or 'none'}")
        entry = self.registry.find_colorizer(artist, space_key)
        if entry is None:
            other = "rgb" if space_key == "lab" else "lab"
            entry = self.registry.find_colorizer(artist, other)
        result, message = self._run(entry, image, f"{artist} colorization", progress)
        return result.original, result.gray, result.generated, _save_png(result.generated, "colorized"), message

    def translate_map(self, image, direction: str, progress: gr.Progress = gr.Progress()):
        """Aerial photo -> map or map -> aerial photo at the image's own size: original, generated, PNG, message."""
        if direction not in DIRECTIONS and direction not in DIRECTIONS.values():
            raise gr.Error(f"Unknown direction {direction!r}. Use one of: {', '.join(DIRECTIONS)}")
        entry = self.registry.find_maps(DIRECTIONS.get(direction, direction))
        result, message = self._run(entry, image, direction, progress)
        return result.original, result.generated, _save_png(result.generated, "map"), message

    def about(self) -> str:
        lines = ["## Models", ""]
        for e in self.registry.entries.values():
            info = e.config.get("train_info") or {}
            val = info.get("val") or {}
            facts = (
                f"{info.get('train_images')} images, {info.get('epochs')} epochs, batch {info.get('batch_size')}, "
                f"{info.get('device')}; held-out L1 {val.get('l1_rgb')}, PSNR {val.get('psnr_db')} dB"
                if info else "**untrained**: no training facts recorded"
            )
            lines.append(f"- **{e.label}** (`{e.name}`): {facts}")
        if not self.registry.entries:
            lines.append(NO_MODELS.format(weights=self.registry.weights_dir))
        lines += [
            "",
            "## How they are made",
            "pix2pix (Isola et al., 2017): a U-Net generator and a 70x70 PatchGAN discriminator trained with "
            "GAN + 100 x L1 loss. Colorization in Lab predicts only a*b* from L, so the model has two channels to get "
            "right instead of three, and the result keeps the input's own lightness at full resolution.",
            "",
            "Train: `python -m train.maps --download` and `python -m train.colorize --artist \"Claude Monet\" --space lab`.",
            f"Inputs larger than {MAX_SIDE} px per side are downscaled; images over {MAX_PIXELS // 1_000_000} MP are refused.",
        ]
        return "\n".join(lines)


def build_app(registry: Registry) -> gr.Blocks:
    studio = Studio(registry)
    artists = registry.artists()
    with gr.Blocks(title="pix2pix studio", delete_cache=(CACHE_SWEEP_S, CACHE_MAX_AGE_S)) as demo:
        gr.Markdown("# pix2pix studio\nImage-to-image translation: aerial photos to maps and back, and colorization in the palette of a painter.")
        if not registry.entries:
            gr.Markdown(NO_MODELS.format(weights=registry.weights_dir))
        with gr.Tabs():
            with gr.Tab("Colorize"):
                with gr.Row():
                    c_in = raw_upload(gr.Image(type="filepath", image_mode=None, label="Photo or painting (colour or grayscale)", sources=["upload", "clipboard"], elem_id="colorize-input"))
                    with gr.Column():
                        c_artist = gr.Dropdown(artists, value=artists[0] if artists else None, label="Artist", allow_custom_value=False, elem_id="colorize-artist")
                        c_space = gr.Radio([(label, key) for label, key in SPACES.items()], value="lab", label="Model")
                        c_btn = gr.Button("Colorize", variant="primary", elem_id="colorize-button")
                        c_msg = gr.Markdown()
                with gr.Row():
                    c_orig = gr.Image(type="pil", label="original", interactive=False)
                    c_gray = gr.Image(type="pil", label="grayscale (model input)", interactive=False)
                    c_gen = gr.Image(type="pil", label="generated", interactive=False, buttons=["download", "fullscreen"], elem_id="colorize-generated")
                c_file = gr.File(label="Download generated PNG")
                gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.jpg"))], inputs=[c_in])
                c_btn.click(studio.colorize, [c_in, c_artist, c_space], [c_orig, c_gray, c_gen, c_file, c_msg], api_name="colorize")
            with gr.Tab("Maps"):
                with gr.Row():
                    m_in = raw_upload(gr.Image(type="filepath", image_mode=None, label="Aerial photo or map", sources=["upload", "clipboard"]))
                    with gr.Column():
                        m_dir = gr.Radio(list(DIRECTIONS), value=next(iter(DIRECTIONS)), label="Direction")
                        m_btn = gr.Button("Translate", variant="primary")
                        gr.Markdown("Trained on 600x600 Google Maps tiles of New York resized to 256 px; larger images are translated tile by tile at their own size.")
                        m_msg = gr.Markdown()
                with gr.Row():
                    m_orig = gr.Image(type="pil", label="original", interactive=False)
                    m_gen = gr.Image(type="pil", label="generated", interactive=False, buttons=["download", "fullscreen"])
                m_file = gr.File(label="Download generated PNG")
                m_btn.click(studio.translate_map, [m_in, m_dir], [m_orig, m_gen, m_file, m_msg], api_name="translate_map")
            with gr.Tab("About"):
                gr.Markdown(studio.about())
    return demo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Run the pix2pix studio web app.")
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="0.0.0.0 to serve your network")
    p.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)))
    p.add_argument("--share", action="store_true", help="also open a temporary public *.gradio.live link")
    p.add_argument("--weights", default=os.environ.get(WEIGHTS_ENV, "weights"), help=f"model folder (env {WEIGHTS_ENV})")
    p.add_argument("--concurrency", type=int, default=int(os.environ.get("PIX2PIX_CONCURRENCY", 1)),
                   help="requests computed at once, sharing the CPU threads (1 measured best on 2 vCPUs: README)")
    p.add_argument("--queue-size", type=int, default=int(os.environ.get("PIX2PIX_QUEUE_SIZE", 64)),
                   help="requests waiting beyond that are refused with 'queue full' (bounds memory and waiting time)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // max(1, args.concurrency)))
    demo = build_app(Registry(args.weights))
    demo.queue(max_size=args.queue_size, default_concurrency_limit=args.concurrency)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl+C: Gradio then empties its cache
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, footer_links=["api"], max_file_size=MAX_UPLOAD)


if __name__ == "__main__":
    main()
