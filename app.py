"""pix2pix studio: the Gradio demo, serving http://127.0.0.1:7860 by default.

    python app.py                              # the shipped models in weights/
    python app.py --host 0.0.0.0 --port 8080   # reachable from your network
    PIX2PIX_HUB_MODELS=user/monet-lab python app.py

Models come from `weights/<name>/` (config.json + model.safetensors; override the folder with
PIX2PIX_WEIGHTS) and from Hub repos listed in PIX2PIX_HUB_MODELS (comma-separated repo ids).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import logging
import os
import signal
import sys
import threading
from collections import OrderedDict
from typing import Any
from pathlib import Path

try:  # Gradio int()s GRADIO_SERVER_PORT as it is imported, and a bad value stops it with a traceback: refuse it first
    int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
except ValueError:
    print(f"python app.py: error: GRADIO_SERVER_PORT={os.environ['GRADIO_SERVER_PORT']!r} is not a TCP port (1-65535)",
          file=sys.stderr)
    raise SystemExit(2) from None

import gradio as gr
import numpy as np
import torch
from PIL import Image

from pix2pix.card import PHOTO_ARTIST, artist_label, runs, short_name, transfer_from_photos
from pix2pix.errors import UserError
from pix2pix.hints import MAX_HINTS, Hints, HintError, rescaled, stroke_layer as hint_strokes
from pix2pix.hub import WEIGHTS_ENV, ModelError
from pix2pix.images import MAX_PIXELS, MAX_SIDE, ImageError, decode_image
from pix2pix.infer import STRENGTH_RANGE, UNSCALED, StrengthError, checked_strength, with_strength
from pix2pix.options import COUNT
from pix2pix.registry import HUB_ENV, ModelEntry, Registry
from pix2pix.serving import (bound_queue_records, download_stem, port_number, quiet_checks, raw_upload, refused,
                             return_freed_memory, save_png, serve_problem, shown_as_files, sweep_safely, written_when_shown)

EXAMPLES = Path(__file__).with_name("examples")
STATIC = Path(__file__).with_name("static")  # the hint brush's script and style
DIRECTIONS = {"aerial photo -> map": "AtoB", "map -> aerial photo": "BtoA"}
SPACES = {"Lab (predicts a*b*, keeps your lightness)": "lab", "RGB (predicts all three channels)": "rgb"}
NO_MODELS = f"""**No trained models found** in `{{weights}}`.
Train one (`python -m train.colorize --artist "Claude Monet"`, `python -m train.maps --download`)
or set `{HUB_ENV}` to Hub repo ids to download them."""


MAX_UPLOAD = os.environ.get("PIX2PIX_MAX_UPLOAD", "50mb")
UPLOAD_HEIGHT = 320  # px: the upload keeps its size whatever is dropped in it (a 1x1 image would shrink it to a strip)
CACHE_SWEEP_S, CACHE_MAX_AGE_S = 300, 900  # every 5 min, delete uploads and results older than 15 min
MAPS_HELP = """The maps models learnt from Google Maps tiles of New York (aerial photo left, map right, 600x600 px each,
about 1 m of ground per pixel) at the pix2pix paper's scale: every input is resized by the scale recorded with the model,
translated tile by tile and resized back, so photos work best at about the tiles' own ground resolution (roughly zoom
level 17). Public-domain aerial photos: USGS EarthExplorer (NAIP, 0.6-1 m per pixel); CC-BY ones: OpenAerialMap.
Google Maps imagery itself may not be redistributed."""


def check_strength(strength: float) -> float:
    try:
        return checked_strength(strength)
    except StrengthError as e:
        raise refused(str(e)) from None


HINT_COLOURS = ["#e02020", "#f08c00", "#f5d000", "#3cb043", "#1fa3a3", "#3b8fe0", "#1f3fbf", "#8a3fbf", "#f06aa0",
                "#8b5a2b", "#e8b890", "#ffffff"]  # fmt: skip
HINTS_HELP = (f"colour hints as JSON: a list of [x, y, \"#rrggbb\"] or [x, y, \"#rrggbb\", radius] in the image's pixels "
              f"(at most {MAX_HINTS}; default radius 1, a 3x3 px patch)")


def hint_list(text: str | None) -> list | None:
    """The API's `hints` argument: JSON text of a list of points (empty: none)."""
    if text is None or not str(text).strip():
        return None
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError) as e:
        raise refused(f"hints must be JSON, {HINTS_HELP[len('colour hints as JSON: '):]} ({e})") from None
    if not isinstance(value, list):
        raise refused(f"hints must be a JSON list, got {type(value).__name__}: {HINTS_HELP}")
    return value or None


BRUSH_SIDE = 1024  # px: the brush shows the photo at most this large; its strokes come back in the photo's own pixels


def stroke_layer(strokes: str | None, source: tuple[int, int], size: tuple[int, int]) -> np.ndarray | None:
    """The brush's strokes (its value, JSON: a list of {"c": "#rrggbb", "r": radius, "p": [[x, y], ...]} in the pixels
    of the `source` (h, w) image) drawn into one RGBA layer of `size` (h, w) (`pix2pix.hints.stroke_layer`); None
    where nothing is painted."""
    if strokes is None or not str(strokes).strip():
        return None
    try:
        layer = hint_strokes([(s["c"], s["r"], s["p"]) for s in json.loads(strokes)], source, size)
    except (TypeError, KeyError, ValueError) as e:  # json's, a bad colour's (HintError) and NumPy's errors alike
        raise refused(f"the brush's strokes could not be read ({e}): clear the hints and paint again") from None
    return layer if (layer[..., 3] > 0).any() else None


def hints_key(hints: str | None, strokes: str | None) -> str:
    """A short digest of the hints as given (the API's JSON list, the brush's strokes), so that a cached colorization
    is reused only with the same hints ("" for none)."""
    given = [str(text).strip() for text in (hints, strokes)]
    return hashlib.sha1("\n".join(given).encode()).hexdigest()[:16] if any(given) else ""


class LabCache:
    """The latest Lab colorizations by (uploaded file, model), bounded in bytes, so that a new colour strength
    re-colours without running the network. Kept in the server (not in per-session state), thread-safe."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, ...], torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: tuple[str, ...], lab: torch.Tensor) -> None:
        lab = lab.half()  # half the memory; 1/255 steps of colour survive it
        with self._lock:
            self._items.pop(key, None)
            self._items[key] = lab
            while sum(t.nbytes for t in self._items.values()) > self.max_bytes and len(self._items) > 1:
                self._items.popitem(last=False)

    def get(self, key: tuple[str, ...]) -> torch.Tensor | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key].float()
        return None


class Studio:
    """The app's handlers, independent of the UI so they can be tested directly."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.lab_cache = LabCache()

    @staticmethod
    def _decoded(image, hints: str | None = None,
                 strokes: str | None = None) -> tuple[np.ndarray, list[str], Hints, str]:  # fmt: skip
        """The upright image (decoded once, for one model or all), what changed in decoding, the user's hints (a JSON
        list or the brush's strokes, not both) in its pixels, and their `hints_key`."""
        if image is None:
            raise refused("Please upload an image first.")
        points = hint_list(hints)
        if points is not None and strokes and str(strokes).strip():
            raise refused("Give colour hints either as brush strokes or as a list, not both.")
        try:
            rgb, notes, source = decode_image(image)
            given = points if points is not None else stroke_layer(strokes, source, rgb.shape[:2])
            return rgb, notes, rescaled(given, source, rgb.shape[:2]), hints_key(hints, strokes)
        except (ImageError, HintError) as e:
            raise refused(str(e)) from None

    def _run(self, entry: ModelEntry | None, image: str | Image.Image | None, what: str, progress: gr.Progress,
             hints: str | None = None, strokes: str | None = None, **options):  # fmt: skip
        rgb, decoding, points, key = self._decoded(image, hints, strokes)
        if entry is None:
            raise refused(f"No model for {what} is installed. See the About tab for how to train or download one.")
        try:
            progress(0.1, desc=f"loading {entry.label}")
            translator = self.registry.translator(entry)
            progress(0.4, desc="generating")
            result = translator(rgb, hints=points, **options)
        except UserError as e:
            raise refused(str(e)) from None
        notes = decoding + list(result.notes)
        if not entry.trained:
            notes.append("this model is UNTRAINED: its output is noise, not a result")
        return result, notes, key

    @staticmethod
    def _message(entry: ModelEntry, image: Image.Image, notes: list[str]) -> str:
        return f"{entry.label}: {image.width}x{image.height}" + "".join(f"\n- {n}" for n in notes)

    def _colorizer(self, artist: str, space: str) -> ModelEntry | None:
        space_key = SPACES.get(space, space)
        if space_key not in SPACES.values():
            raise refused(f"Unknown model type {space!r}: use 'lab' or 'rgb'")
        if artist not in self.registry.artists():
            raise refused(f"Unknown artist {artist!r}. Available: {', '.join(self.registry.artists()) or 'none'}")
        entry = self.registry.find_colorizer(artist, space_key)
        if entry is None:
            have = " and ".join(self.spaces_of(artist)) or "no"
            raise refused(f"{artist_label(artist)} has no {space_key.upper()} model (it has {have}): choose one of those")
        return entry

    def spaces_of(self, artist: str) -> list[str]:
        """The colour spaces `artist` has a model in ("lab", "rgb"), in the menu's order."""
        return [key for key in SPACES.values() if self.registry.find_colorizer(artist, key) is not None]

    def space_choices(self, artist: str | None, space: str = "lab") -> tuple[list[tuple[str, str]], str | None]:
        """The Model menu's choices for `artist` (every space where there is no artist yet) and its value: `space` where
        the artist has it, else the first it has."""
        keys = self.spaces_of(artist) if artist else list(SPACES.values())
        return [(label, key) for label, key in SPACES.items() if key in keys], space if space in keys else next(iter(keys), None)

    def space_menu(self, artist: str, space: str) -> dict:
        """The Model menu for a newly chosen `artist`: only the spaces it has a model in, keeping the choice where it can."""
        choices, value = self.space_choices(artist, space)
        return gr.update(choices=choices, value=value)

    def colorize(self, image, artist: str, space: str, strength: float = 1.0, hints: str | None = None,
                 strokes: str | None = None, progress: gr.Progress = gr.Progress()):  # fmt: skip
        """Colorize `image` in the style of `artist`, taking the colours of `hints` (JSON list) or the brush's `strokes`
        where the model takes hints: original, grayscale, generated, (grayscale, generated) for the slider, the PNG
        download (a future: `save_png`), message. Lab predictions are kept (bounded) so a new colour strength needs no
        network run."""
        strength = check_strength(strength)
        entry = self._colorizer(artist, space)
        result, notes, key = self._run(entry, image, f"{artist_label(artist)} colorization", progress, hints, strokes,
                                       strength=strength)
        if result.lab is not None and isinstance(image, str):
            self.lab_cache.put((image, entry.name, key), result.lab)
        png = save_png(result.generated, download_stem(image, entry.name))
        return (result.original, result.gray, result.generated, (result.gray, result.generated), png,
                self._message(entry, result.generated, notes))  # fmt: skip

    def recolor(self, image, artist: str, space: str, strength: float = 1.0, hints: str | None = None,
                strokes: str | None = None, progress: gr.Progress = gr.Progress()):  # fmt: skip
        """`colorize` at another colour strength: generated, slider pair, PNG, message. When this image was just
        colorized by this Lab model with these hints only the colour conversion runs again (no network); otherwise it
        runs afresh."""
        strength = check_strength(strength)
        entry = self._colorizer(artist, space)
        key = (image, entry.name, hints_key(hints, strokes)) if isinstance(image, str) else None
        lab = self.lab_cache.get(key) if key is not None else None
        if lab is None:
            _, _, generated, slider, png, message = self.colorize(image, artist, space, strength, hints, strokes, progress)
            return generated, slider, png, message
        generated, gray = with_strength(lab, strength), with_strength(lab, 0.0)
        message = self._message(entry, generated, [f"colour strength {strength:g}: re-coloured without running the model again"])
        return generated, (gray, generated), save_png(generated, download_stem(image, entry.name)), message

    def compare(self, image, strength: float = 1.0, hints: str | None = None, strokes: str | None = None,
                progress: gr.Progress = gr.Progress()):  # fmt: skip
        """`image` through every installed colorizer (with the same hints): a gallery of (image, caption), original and
        grayscale first."""
        strength = check_strength(strength)
        rgb, notes, points, _ = self._decoded(image, hints, strokes)  # decoded once, then handed to every model
        entries = self.registry.colorizers()  # the natural-colour model first, as in the menu
        if not entries:
            raise refused("No colorization model is installed. See the About tab for how to train or download one.")
        gallery: list[tuple[Image.Image, str]] = []
        for i, entry in enumerate(entries):
            progress(i / len(entries), desc=f"{i + 1}/{len(entries)}: {entry.label}")
            try:
                translator = self.registry.translator(entry)
                result = translator(rgb, strength=strength, hints=points)
                if points is not None and not translator.follows_hints:
                    notes.append(f"{caption(entry)} takes no colour hints: coloured without them")
            except ModelError as e:
                notes.append(f"{entry.label} skipped: {e}")
                continue
            if not gallery:
                gallery = [(result.original, "original"), (result.gray, "grayscale (model input)")]
            gallery.append((result.generated, caption(entry) + ("" if result.lab is None else f", strength {strength:g}")))
        with_hints = "" if points is None else ", with your colour hints"
        message = (f"{len(gallery) - 2} models compared at colour strength {strength:g}{with_hints} (moving the strength"
                   " re-colours the single result; compare again for the gallery)")  # fmt: skip
        message += "".join(f"\n- {n}" for n in notes)
        return gallery, message

    def translate_map(self, image, direction: str, snap: bool = False, progress: gr.Progress = gr.Progress()):
        """Aerial photo -> map or map -> aerial photo at the image's own size: original, generated, the pair for the
        slider, PNG, message. `snap` draws an aerial -> map result in the model's learnt map palette."""
        if direction not in DIRECTIONS and direction not in DIRECTIONS.values():
            raise refused(f"Unknown direction {direction!r}. Use one of: {', '.join(DIRECTIONS)}")
        if not isinstance(snap, bool):
            raise refused(f"The palette option must be true or false, got {snap!r}")
        entry = self.registry.find_maps(DIRECTIONS.get(direction, direction))
        result, notes, _ = self._run(entry, image, direction, progress, snap=snap)
        png = save_png(result.generated, download_stem(image, entry.name))
        return (result.original, result.generated, (result.original, result.generated), png,
                self._message(entry, result.generated, notes))  # fmt: skip

    def about(self) -> str:
        """What a user wants to know first, in words: each model, what it does and how good it is held out; then the
        full training record of each, folded away."""
        if self.registry.entries:
            first = self.registry.colorizers() + self.registry.of_task("maps")  # as the menus list them
            records = [f"- **{e.label}** (`{e.name}`): {training_record(e)}" for e in self.registry.entries.values()]
            models = [*(f"- {summary(e)}" for e in first), "",
                      "<details><summary>How each was trained, and all its held-out scores</summary>", "", *records, "",
                      "</details>"]  # fmt: skip
        else:
            models = [NO_MODELS.format(weights=self.registry.weights_dir)]
        lines = [
            "## Models",
            "",
            *models,
            "",
            "## How they are made",
            "pix2pix (Isola et al., 2017): a U-Net generator and a 70x70 PatchGAN discriminator trained with a GAN "
            "loss and an L1 loss (weighted 100 in the paper; each model's own weights and stages: its card and "
            "`train/recipes/`). Colorization in Lab predicts only a\\*b\\* from L, so the model has two channels to get "
            "right instead of three, and the result keeps the input's own lightness at full resolution.",
            "",
            "Train: `python -m train.maps --download` and `python -m train.colorize --artist \"Claude Monet\" --space lab`. "
            "Every folder in `weights/` appears in the menus.",
            f"Inputs larger than {MAX_SIDE} px per side are downscaled; images over {MAX_PIXELS // 1_000_000} MP are refused.",
        ]
        return "\n".join(lines)


def training_record(entry: ModelEntry) -> str:
    """A model's training facts and every held-out score on one line, for the About tab's folded record."""
    info, held = entry.config.get("train_info") or {}, entry.heldout
    if not info:
        return "**untrained**: no training facts recorded"
    kept = f" (epoch {info['kept_epoch']} kept: the best on the tune paintings)" if info.get("kept_epoch") else ""
    schedule = info.get("schedule") or f"{info.get('epochs')} epochs"
    facts = (f"{info.get('train_images')} images, {schedule}{kept}, batch {info.get('batch_size')}, "
             f"{info.get('device')}, {info.get('seconds_this_session')} s")  # fmt: skip
    for start in runs(info)[1:]:  # each earlier run a fine-tuning run started from, and its data where it differs
        other = start.get("data", info.get("data")) != info.get("data")
        data = f" ({start['data']}, {start.get('train_images')} images)" if other else ""
        facts += (f", fine-tuned from a run{data} of {start.get('schedule')}, batch {start.get('batch_size')},"
                  f" on {start.get('device')}")  # fmt: skip
    if held:
        scores = ", ".join(f"{k} {v}" for k, v in held.items() if k != "split" and not isinstance(v, dict))
        facts += f"; held-out ({held.get('split')}): " + scores.replace("*", "\\*")
        if isinstance(held.get("with_palette"), dict):
            facts += "; with palette: " + ", ".join(f"{k} {v}" for k, v in held["with_palette"].items())
    if isinstance(snap := info.get("snap_calibration"), dict):
        facts += f"; palette snap fitted on {snap.get('tiles')} training pairs ({snap.get('window')} px majority vote)"
    return facts


JOBS = {"AtoB": "turns an aerial photo into a map", "BtoA": "turns a map into an aerial photo"}


def summary(entry: ModelEntry) -> str:
    """One line in words: the model, what it does, and how it did on images it never saw."""
    held, config = entry.heldout, entry.config
    if config.get("task") == "maps":
        name, job = entry.label, JOBS.get(config.get("direction") or "AtoB", "translates maps")
        shown, base = held.get("with_palette") or held, held.get("baseline") or {}
        acc = shown.get("accuracy_delta5")
        score = (f"{acc:.0%} of the pixels within 5 levels of the real ones on {held.get('split')}"
                 if isinstance(acc, (int, float)) else "not evaluated")  # fmt: skip
        if isinstance(acc, (int, float)) and isinstance(base.get("accuracy_delta5"), (int, float)):
            score += (f", SSIM {shown.get('ssim')}; painting every pixel the {base.get('method')} scores"
                      f" {base['accuracy_delta5']:.0%}, SSIM {base.get('ssim')}")  # fmt: skip
    else:
        who = "in its own natural colours" if entry.artist == PHOTO_ARTIST else f"in the palette of {entry.artist}"
        name, job = caption(entry), f"colours a photo {who}"
        ratio, met, _, missed = held.get("colourfulness_ratio"), *str(held.get("targets")).partition(" (")
        score = (f"on {held.get('split')}: {met} colour targets met{' (' + missed if missed else ''}; colour "
                 f"{ratio:.0%} as strong as the real images', palette distance {held.get('palette_distance')}"
                 if isinstance(ratio, (int, float)) else "not evaluated")  # fmt: skip
        gains = (held.get("hint_sweep") or {}).get("gain_db") or {}
        if isinstance(gains.get("10"), (int, float)):
            score += f"; takes colour hints: {gains['10']:+.1f} dB PSNR with 10 of them, {gains.get('100', 0):+.1f} dB with 100"
        if transfer := config.get("colour_transfer"):
            onto = "the colours of real photos" if entry.artist == PHOTO_ARTIST else f"{entry.artist}'s palette"
            on_photos = transfer_from_photos(config.get("train_info") or {})
            fitted = "from its colours on photos" if on_photos else "on its training images"
            score += (f"; its colours mapped onto {onto} after the network (a colour transfer fitted {fitted},"
                      f" strength {transfer['strength']:g})")
    return f"**{name}** {job}; {score}." + ("" if entry.trained else " Untrained: random weights.")


def caption(entry: ModelEntry) -> str:
    """A colorizer's name short enough for a gallery caption (`card.short_name`), and whether it is untrained."""
    return short_name(entry.config) + ("" if entry.trained else " [untrained]")


def brush_photo(image: str | None) -> tuple[str, tuple[int, int], tuple[int, int]] | None:
    """The photo in gray, as the models see it, for the brush to paint over: a JPEG data URL at most `BRUSH_SIDE` px,
    its own (h, w) and the photo's (h, w); None for no photo, or one that cannot be read (Colorize says why)."""
    try:
        decoded = decode_image(image) if image is not None else None
    except ImageError:
        return None
    if decoded is None:
        return None
    gray = Image.fromarray(decoded[0]).convert("L")
    gray.thumbnail((BRUSH_SIDE, BRUSH_SIDE))
    data = io.BytesIO()
    gray.save(data, format="JPEG", quality=85)
    return "data:image/jpeg;base64," + base64.b64encode(data.getvalue()).decode(), (gray.height, gray.width), decoded[2]


def hint_brush(image: str | None) -> tuple[dict, dict]:
    """The brush for a new photo, with no strokes, and whether it is shown: only over a photo it can paint on."""
    shown = brush_photo(image)
    url, (ch, cw), (h, w) = shown or ("", (1, 1), (1, 1))
    return gr.update(value="", photo=url, width=w, height=h, cw=cw, ch=ch), gr.update(visible=shown is not None)


def brush_component() -> gr.HTML:
    """The hint brush: colour swatches and a picker for any other colour, three sizes, undo and clear over a canvas on
    the photo in gray (static/hint_brush.js). Its value is the strokes as JSON (`stroke_layer` reads them)."""
    default = {c: " hb-default" if c == HINT_COLOURS[5] else "" for c in HINT_COLOURS}  # a clear blue
    swatches = "".join(f'<button type="button" class="hb-colour{default[c]}" data-colour="{c}" style="background:{c}" '
                       f'title="{c}" aria-label="brush colour {c}"></button>' for c in HINT_COLOURS)  # fmt: skip
    sizes = "".join(f'<button type="button" class="hb-size" data-size="{i}">{s}</button>' for i, s in enumerate("SML"))
    pick = (f'<label class="hb-any" title="any colour"><input type="color" class="hb-pick" value="{HINT_COLOURS[5]}" '
            'aria-label="Any brush colour"></label>')  # fmt: skip
    tools = (f'<span class="hb-group">{swatches}{pick}</span><span class="hb-group">{sizes}</span><span class="hb-group">'
             '<button type="button" class="hb-undo" aria-label="Undo the last stroke">Undo</button>'
             '<button type="button" class="hb-clear" id="clear-hints">Clear hints</button></span>')  # wrapped as groups
    stage = ('<div class="hb-stage" style="aspect-ratio: ${width} / ${height}">'
             '<img class="hb-photo" src="${photo}" alt="the photo in gray" draggable="false">'
             '<canvas class="hb-ink" width="${cw}" height="${ch}"></canvas></div>')  # filled from the props below
    label = '<div class="hb-label">Colour hints (optional): paint where you want a colour</div>'
    template = f'{label}<div class="hb-tools">{tools}</div>{stage}'
    return gr.HTML("", html_template=template, css_template=(STATIC / "hint_brush.css").read_text(),
                   js_on_load=(STATIC / "hint_brush.js").read_text(), elem_id="colorize-hints", label="strokes",
                   photo="", width=1, height=1, cw=1, ch=1)  # fmt: skip


def snap_option(direction: str) -> dict:
    """The palette option applies to aerial -> map alone: shown there, hidden for map -> aerial."""
    return gr.update(visible=DIRECTIONS.get(direction, direction) == "AtoB")


def snap_info(registry: Registry) -> str:
    """The palette option's help, counted from the installed aerial -> map model's own palette."""
    entry = registry.find_maps("AtoB")
    palette = (entry.config.get("palette") if entry else None) or []
    if not palette:
        return "Draws every pixel in the flat colours an aerial -> map model learnt from its training maps, where it has them."
    return (f"Draws every pixel in one of the {len(palette)} flat colours learnt from the training maps (close calls settled as"
            " fitted on training maps): map-like colours.")


def upload_panel(label: str, elem_id: str) -> gr.Image:
    """An upload of any image (or a pasted one), handed to the handler as the untouched file (`raw_upload`)."""
    return raw_upload(gr.Image(type="filepath", image_mode=None, sources=["upload", "clipboard"], label=label,
                               elem_id=elem_id, height=UPLOAD_HEIGHT))


def result_panel(label: str, **kwargs: Any) -> gr.Image:
    """A result image shown from a file written once (`shown_as_files`), not editable."""
    return shown_as_files(gr.Image(type="pil", label=label, interactive=False, **kwargs))


def slider_and_download(before: str, elem_id: str) -> tuple[gr.ImageSlider, gr.File]:
    """Below the panels: `before` | generated on a slider, and the generated PNG to download."""
    slider = shown_as_files(gr.ImageSlider(type="pil", label=f"{before} | generated (drag to compare)",
                                           interactive=False, elem_id=elem_id))
    return slider, written_when_shown(gr.File(label="Download generated PNG"))


def colorize_tab(studio: Studio, registry: Registry) -> None:
    """The Colorize tab: the upload and its hint brush, the model menus and strength, the results, and their events."""
    best = registry.best_artist()
    with gr.Row():
        with gr.Column():  # the examples beside the upload, where a newcomer looks first
            c_in = upload_panel("Photo or painting (colour or grayscale)", "colorize-input")
            gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.jpg"))], inputs=[c_in])
            with gr.Column(visible=False) as c_hint_box:  # shown with a photo: an empty canvas puzzles
                c_strokes = brush_component()
                gr.Markdown("A few strokes are enough: the colorizer spreads each colour over the object under "
                            "it and keeps your photo's lightness. Colorize and Compare all models use them.")
            c_hints = gr.Textbox(visible=False, label="hints", info=HINTS_HELP)  # for the API: the same as JSON
        with gr.Column():
            c_artist = quiet_checks(gr.Dropdown([(artist_label(a), a) for a in registry.artists()], value=best,
                                   label="Artist", allow_custom_value=False, elem_id="colorize-artist"))
            choices, value = studio.space_choices(best)
            c_space = quiet_checks(gr.Radio(choices, value=value, label="Model", elem_id="colorize-space"))
            c_strength = quiet_checks(gr.Slider(*STRENGTH_RANGE, value=1.0, step=0.05, label="Colour strength",
                                   info="0 = gray, 1 = the model's colour, above 1 = more saturated. It re-colours "
                                   f"the single result (Compare all models uses it as it runs); {UNSCALED}",
                                   elem_id="colorize-strength"))  # fmt: skip
            with gr.Row():
                c_btn = gr.Button("Colorize", variant="primary", elem_id="colorize-button")
                c_all = gr.Button("Compare all models", elem_id="compare-button")
            c_msg = gr.Markdown(label="message")
    with gr.Row():
        c_orig, c_gray = result_panel("original"), result_panel("grayscale (model input)")
        c_gen = result_panel("generated", buttons=["download", "fullscreen"], elem_id="colorize-generated")
    c_slider, c_file = slider_and_download("grayscale", "colorize-slider")
    c_gallery = shown_as_files(gr.Gallery(label="every model on this image", columns=4, elem_id="compare-gallery",
                                          height="fit-content"))  # it grows with its rows: no scrolling inside
    c_args = [c_in, c_artist, c_space, c_strength, c_hints, c_strokes]
    # progress, and a refusal's badge, on the one panel that waits for the result, not on every output
    c_btn.click(studio.colorize, c_args, [c_orig, c_gray, c_gen, c_slider, c_file, c_msg], api_name="colorize",
                show_progress_on=c_gen)
    c_strength.release(studio.recolor, c_args, [c_gen, c_slider, c_file, c_msg], api_name="recolor",
                       show_progress_on=c_gen)
    c_strength.input(studio.recolor, c_args, [c_gen, c_slider, c_file, c_msg], api_visibility="private",
                     trigger_mode="always_last", show_progress_on=c_gen)  # a typed value (and Enter) too
    c_all.click(studio.compare, [c_in, c_strength, c_hints, c_strokes], [c_gallery, c_msg], api_name="compare_all",
                show_progress_on=c_gallery)
    # a new photo shows the brush on it (no photo: no brush)
    c_in.change(hint_brush, c_in, [c_strokes, c_hint_box], api_visibility="private")
    c_artist.change(studio.space_menu, [c_artist, c_space], c_space, api_visibility="private")


def maps_tab(studio: Studio, registry: Registry) -> None:
    """The Maps tab: the upload, the direction and palette snap, the results, and their events."""
    with gr.Row():
        m_in = upload_panel("Aerial photo or map", "maps-input")
        with gr.Column():
            m_dir = quiet_checks(gr.Radio(list(DIRECTIONS), value=next(iter(DIRECTIONS)), label="Direction"))
            m_snap = gr.Checkbox(value=True, label="Draw in the map palette (aerial photo -> map)",
                                 info=snap_info(registry))
            m_btn = gr.Button("Translate", variant="primary", elem_id="maps-button")
            gr.Markdown(MAPS_HELP)
            m_msg = gr.Markdown(label="message")
    with gr.Row():
        m_orig = result_panel("original")
        m_gen = result_panel("generated", buttons=["download", "fullscreen"], elem_id="maps-generated")
    m_slider, m_file = slider_and_download("input", "maps-slider")
    m_btn.click(studio.translate_map, [m_in, m_dir, m_snap], [m_orig, m_gen, m_slider, m_file, m_msg],
                api_name="translate_map", show_progress_on=m_gen)
    m_dir.change(snap_option, m_dir, m_snap, api_visibility="private")


def build_app(registry: Registry) -> gr.Blocks:
    studio = Studio(registry)
    with gr.Blocks(title="pix2pix studio", delete_cache=(CACHE_SWEEP_S, CACHE_MAX_AGE_S)) as demo:
        gr.Markdown("# pix2pix studio\nImage-to-image translation: aerial photos to maps and back, "
                    "and colorization in natural colours or in the palette of a painter.")  # fmt: skip
        if not registry.entries:
            gr.Markdown(NO_MODELS.format(weights=registry.weights_dir))
        with gr.Tabs():
            with gr.Tab("Colorize"):
                colorize_tab(studio, registry)
            with gr.Tab("Maps"):
                maps_tab(studio, registry)
            with gr.Tab("About"):
                gr.Markdown(studio.about())
    return demo


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python app.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="0.0.0.0 to serve your network")
    p.add_argument("--port", type=port_number, default=os.environ.get("GRADIO_SERVER_PORT", "7860"))
    p.add_argument("--share", action="store_true", help="also open a temporary public *.gradio.live link")
    p.add_argument("--weights", type=Path, help=f"the folder of model folders, or one model's folder (env {WEIGHTS_ENV}; "
                   "default: the shipped weights/)")
    p.add_argument("--concurrency", type=COUNT, default=os.environ.get("PIX2PIX_CONCURRENCY", "1"),
                   help="requests computed at once, sharing the CPU threads (1 measured best on 2 vCPUs: README)")
    p.add_argument("--queue-size", type=COUNT, default=os.environ.get("PIX2PIX_QUEUE_SIZE", "64"),
                   help="requests waiting beyond that are refused with 'queue full' (bounds memory and waiting time)")
    args = p.parse_args(argv)
    problem = serve_problem(args.host, args.port)
    if problem:
        p.error(problem)
    if args.weights is not None and not args.weights.is_dir():
        p.error(f"--weights {args.weights}: no such folder")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line for each of Gradio's own start-up requests
    torch.set_num_threads(max(1, (os.cpu_count() or 2) // max(1, args.concurrency)))
    return_freed_memory()
    bound_queue_records()
    demo = sweep_safely(build_app(Registry(args.weights)))
    demo.queue(max_size=args.queue_size, default_concurrency_limit=args.concurrency)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl+C: Gradio then empties its cache
    demo.launch(server_name=args.host, server_port=args.port, share=args.share, footer_links=["api"], max_file_size=MAX_UPLOAD,
                quiet=True, prevent_thread_lock=True)  # Gradio's own advice ("set share=True in launch()") is not ours
    print(f"* Running on local URL:  {demo.local_url}" + ("" if args.share else "  (--share adds a temporary public link)"))
    demo.block_thread()


if __name__ == "__main__":
    main()
