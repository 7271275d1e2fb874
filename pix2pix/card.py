"""What a model is, in words: its one-line name and its model card, both read from its config alone.

The card states plainly how the weights were trained and what they score on held-out data; the long records a run
keeps (the runs it was fine-tuned from, each epoch's tune scores) are laid
out as lists and tables rather than as one line of JSON.
"""

from __future__ import annotations

import json
from typing import Any

# The Hub's metadata, laid out as huggingface_hub's ModelCard writes it: a card saved with the weights and one re-written
# later (pix2pix.training.evaluate --write) are then the same file.
FRONT_MATTER = """---
library_name: pix2pix-studio
license: mit
pipeline_tag: image-to-image
tags:
- pix2pix
- image-to-image
- gan
---"""
SECTIONS = ("fine_tuned_from", "judged")  # train_info records with a section of their own


PHOTO_ARTIST = "photos"  # the artist a natural-colour colorizer names: it learnt from photographs, not a painter


def artist_of(config: dict[str, Any]) -> str:
    """The artist a colorizer was trained on; one trained without an artist name serves as the "generic" one."""
    return config.get("artist") or "generic"


def artist_label(artist: str) -> str:
    """How the menus name an artist: the photo-trained model as what it gives, natural colours."""
    return "Natural colours (photo)" if artist == PHOTO_ARTIST else artist


def short_name(config: dict[str, Any]) -> str:
    """A colorizer's name short enough for a caption or a figure's row: "Titian (RGB)", "Natural colours (Lab)"."""
    name = "Natural colours" if artist_of(config) == PHOTO_ARTIST else artist_of(config)
    return f"{name} ({'Lab' if config.get('space') == 'lab' else 'RGB'})"


def describe(config: dict[str, Any]) -> str:
    """One line naming what a model does, e.g. "Claude Monet colorization (Lab)"."""
    if config.get("task") == "maps":
        return "aerial photo -> map" if config.get("direction", "AtoB") == "AtoB" else "map -> aerial photo"
    space = "Lab" if config.get("space") == "lab" else "RGB"
    if artist_of(config) == PHOTO_ARTIST:
        return f"natural-colour colorization from photos ({space})"
    return f"{artist_of(config)} colorization ({space})"


def inline(value: Any) -> str:
    """A recorded value on one line: a dict as `key value` pairs by name (as config.json stores them), a list as JSON,
    anything else as it is."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {inline(v)}" for k, v in sorted(value.items()))
    return json.dumps(value) if isinstance(value, list) else str(value)


def bullets(facts: dict[str, Any], first: str = "split") -> str:
    """One line per fact, `first` first and the rest by name, so a card depends on its config's content, not its order."""
    return "\n".join(f"- **{k}**: {inline(facts[k])}" for k in sorted(facts, key=lambda k: (k != first, k)))


def tune_table(first: str, rows: list[tuple[Any, dict]]) -> str:
    """Scores on the tune paintings (each epoch's) as a Markdown table."""
    keys = ("psnr_db", "ciede2000", "colourfulness_ratio", "palette_distance", "targets_met")
    lines = [f"| {first} | PSNR dB | CIEDE2000 | colourfulness ratio | palette distance | targets met |",
             "|---|---:|---:|---:|---:|---:|"]
    lines += ["| " + " | ".join(str(v) for v in (name, *(s.get(k, "") for k in keys))) + " |" for name, s in rows]
    return "\n".join(lines)


def runs(info: dict[str, Any]) -> list[dict]:
    """A model's training run and the runs it was fine-tuned from, the latest first."""
    chain = []
    while isinstance(info, dict):
        chain.append(info)
        info = info.get("fine_tuned_from")
    return chain


def lineage(start: dict) -> str:
    """The runs a model was fine-tuned from, the latest first, each with its data, schedule and recipe."""
    items = []
    for i, run in enumerate(runs(start), 1):
        parts = [f"{run.get('date')}, {run.get('device')}", f"{run.get('data')} ({run.get('train_images')} images)",
                 f"{run.get('schedule')}, {run.get('steps')} steps of {run.get('batch_size')}"]
        if run.get("kept_epoch"):
            parts.append(f"epoch {run['kept_epoch']} kept (the best on the tune paintings)")
        item = f"{i}. **{run.get('model') or 'a training run'}**: {'; '.join(parts)}."
        if run.get("recipe"):
            item += f"\n   Recipe: {run['recipe']}"
        items.append(item)
    return "\n".join(items)


def records(info: dict[str, Any]) -> str:
    """The sections for the long records in `info`, in a fixed order."""
    out = []
    if isinstance(judged := info.get("judged"), list):
        out.append("### Each epoch on the tune paintings\n\n" + tune_table("epoch", [(j.get("epoch"), j) for j in judged]))
    if isinstance(start := info.get("fine_tuned_from"), dict):
        out.append("### Fine-tuned from\n\n" + lineage(start))
    return "\n\n".join(out)


def _is_lab(config: dict[str, Any]) -> bool:
    """A Lab colorizer: it takes hints (in its network or spread after it), and its card shows how to give them."""
    return config.get("task") == "colorize" and config.get("space") == "lab"


def _maps_notes(config: dict[str, Any]) -> str:
    """What a maps model's user needs: the ground scale it translates at, and its palette snap."""
    notes = ""
    if config.get("task") == "maps":
        notes = f" Maps are translated at {config.get('scale'):.4g} model pixels per input pixel (the ground scale it learnt)."
    if config.get("palette"):
        notes += f" It stores the {len(config['palette'])}-colour palette of the training maps, for optional snapping."
    if config.get("palette_bias"):
        window = config.get("snap_window", 1)
        notes += f" Snapping uses a per-colour bias and a {window} px majority vote, both fitted on training maps."
    return notes


def transfer_from_photos(info: dict[str, Any]) -> bool:
    """Whether a painter's colour transfer was fitted on what it paints on photos (`fit_transfer --from-photos`)
    rather than on its training paintings."""
    return bool((info.get("colour_transfer") or {}).get("from_photos"))


def _colour_notes(config: dict[str, Any], info: dict[str, Any]) -> str:
    """What a colorizer's user needs: where its photos came from, how it reads hints, its colour transfer, its zoom."""
    notes = ""
    if config.get("artist") == PHOTO_ARTIST or any(str(run.get("data", "")).startswith("photos") for run in runs(info)):
        notes += (" Its photos (or those of the runs it started from) come from four public GitHub repositories, the terms of"
                  " their images mostly not stated: the project's README credits each.")
    lab = _is_lab(config)
    if lab and config.get("hint_adapter"):
        notes += (" Given colour hints, a hint adapter stored with it (a small U-Net started from a hint model and trained"
                  " as `hint_adapter` below says) repaints its colours with them, and their colours are then spread over"
                  " the result along the photo's structure; without hints the adapter is not run, so the model colours"
                  " exactly as its network does.")
    elif lab and config.get("in_channels") == 4:
        notes += (" It takes colour hints: beside L, the a\\*b\\* of a few points and their mask (user-guided colorization,"
                  " Zhang et al. 2017), simulated while it trained as they did (a geometric number of hints per image, 1 to"
                  " 9 px squares of the real mean a\\*b\\*, placed around the centre); with no hints it is an automatic"
                  " colorizer. Its network is asked to move only part of the way towards a hint far from its own colours;"
                  " the rest of the way, the hints' colours are spread over its output along the photo's structure.")
    elif lab:
        notes += (" Its network takes no colour hints; given some, their colours are spread over its output along the"
                  " photo's structure.")
    if transfer := config.get("colour_transfer"):
        onto = "real photos' colours" if config.get("artist") == PHOTO_ARTIST else "the painter's palette"
        source = ("training photos (what users give it) to the colours of its painter's training paintings"
                  if transfer_from_photos(info) else "training images to their real colours")
        notes += (f" Its a\\*b\\* go through a colour transfer onto {onto} at strength {transfer['strength']:g}"
                  f" (iterative distribution transfer, Pitie et al. 2005), fitted from what it paints on {source}"
                  + ("." if config.get("hint_adapter") else "; hint colours go through the transfer's inverse first."))
    if info.get("min_scale"):
        notes += f" Its training windows were zoomed: each a random {info['min_scale']:.0%} to 100% of the painting's side."
    return notes


def _tuning(info: dict[str, Any]) -> str:
    """How a fine-tuned model was fine-tuned, and which epoch's weights were kept."""
    tuned = ""
    if "fine_tuned_from" in info:
        terms = {"L1": info.get("lambda_l1", 1), "GAN": info.get("lambda_gan", 1),
                 "palette cross-entropy": info.get("lambda_palette"), "a*b* smoothness": info.get("lambda_smooth")}
        losses = " + ".join(name for name, weight in terms.items() if weight)
        tuned = f"\nIt was then fine-tuned with {losses} loss (training facts below, then the runs it started from)."
        if info.get("hint_inputs_only"):
            tuned = tuned[:-1] + (": only its first convolution's weights for the hint channels, the rest frozen, so"
                                  " that without hints it colours exactly as the model it started from.")
    if info.get("kept_epoch"):
        tuned += (f"\nIts weights are those of epoch {info['kept_epoch']} of {info.get('epochs')}, the one that scored best on"
                  " the tune paintings (most colour targets met, then the closest palette; each epoch's scores below).")
    return tuned


def model_card(config: dict[str, Any]) -> str:
    """A model card that states plainly how the weights were trained and what they score on held-out data."""
    info = dict(config.get("train_info") or {})
    heldout = info.pop("heldout", None)
    facts = bullets({k: v for k, v in info.items() if k not in SECTIONS})
    if more := records(info):
        facts += "\n\n" + more
    scores = bullets(heldout or {})
    notes, tuned = _maps_notes(config) + _colour_notes(config, info), _tuning(info)
    decoder = ", decoder upsampling by nearest x2 resizes and 3x3 convolutions" if config.get("upsample") == "resize" else ""
    hinted = ""
    if _is_lab(config):
        hinted = '\nresult = Translator.load("<this folder or repo id>")(image, hints=[(120, 80, "#3b8fe0")])  # x, y, colour'
    return f"""{FRONT_MATTER}

# pix2pix studio: {describe(config)}

A pix2pix U-Net generator (ngf={config.get('ngf')}, depth={config.get('depth')}, norm={config.get('norm')}{decoder}),
trained with a conditional PatchGAN discriminator and GAN + L1 loss. Input: {config.get('in_channels')} channel(s),
output: {config.get('out_channels')} channel(s), trained at {config.get('image_size')} px.{notes}{tuned}
Parameters are stored as fp16 and loaded back as fp32.

## How it was trained
{facts or '- no training facts recorded: **these weights are untrained**'}

## Held-out scores
{scores or "- not evaluated yet (`python -m pix2pix.training.evaluate ... --write`)"}

## Use
```python
from pix2pix.infer import Translator
result = Translator.load("<this folder or repo id>")(image)   # result.generated is a PIL image{hinted}
```
"""
