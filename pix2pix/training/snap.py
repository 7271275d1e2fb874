"""How an aerial -> map model snaps its output to the flat colours maps are drawn in: the palette learnt from the
training maps, and the bias per colour and majority window fitted on training pairs run through the `Translator`,
as users' photos are. Every aerial -> map training run ends with this; `recalibrate` redoes it for a saved model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import torch
from tqdm import tqdm

from ..card import describe
from .data import PairedImages, list_images, read_pair, source_width
from ..hub import ModelError, Pix2PixGenerator, load_generator
from ..infer import Translator, to_tensor
from ..palette import fit_snap, learn_palette

CALIBRATION_TILES = 48  # training pairs the palette snap is fitted on (about 1 GB of distances at 600 px)


def map_palette(maps: torch.Tensor, colours: int, seed: int = 0, sample: int = 2_000_000) -> list[list[int]]:
    """The `colours` RGB colours maps are drawn with (`palette.learn_palette`), most common first, from a random
    sample of the training maps' pixels ((N, 3, H, W) uint8)."""
    pixels = maps.permute(0, 2, 3, 1).reshape(-1, 3)
    pick = torch.randint(0, len(pixels), (min(sample, len(pixels)),), generator=torch.Generator().manual_seed(seed))
    return learn_palette(pixels[pick].numpy(), colours)


def calibrate_snap(G: Pix2PixGenerator, files: list[Path], tiles: int = CALIBRATION_TILES,
                   device: str | torch.device = "cpu") -> dict:
    """Fit how an aerial -> map model snaps to its palette (`palette.fit_snap`) on full-size training pairs
    run through the Translator, as users' photos are, and record it in G. Returns the facts for train_info."""
    translator = Translator(G, device=device)
    picked = files[:: max(1, len(files) // tiles)][:tiles]  # spread over the sorted set
    outputs, reals = [], []
    for path in tqdm(picked, desc="fitting the palette snap", unit="tile", leave=False):
        aerial, map_ = read_pair(path)
        outputs.append(translator.translate_map(to_tensor(aerial)))
        reals.append(map_)
    bias, window, share = fit_snap(outputs, reals, G.palette)
    G.set_snap(G.palette, bias, window)
    return {"tiles": len(picked), "window": window, "pixels_matched": round(share, 4)}


def recalibrate(model: str | Path, data: str | Path, colours: int, tiles: int = CALIBRATION_TILES) -> Pix2PixGenerator:
    """Re-learn a trained aerial -> map model's palette from the training maps at its ground scale and refit its
    snap, then save it in place: the weights are unchanged, and so are its raw (unsnapped) outputs."""
    G = load_generator(model)
    if G.task != "maps" or G.direction != "AtoB":
        raise ModelError(f"{model} is a {describe(G.config)} model: only aerial -> map models snap to a palette")
    if colours < 1:
        raise ValueError(f"a palette needs at least one colour, got {colours}")
    train_set = PairedImages(data, "train", size=round(G.scale * source_width(list_images(Path(data) / "train")[0])))
    palette = map_palette(train_set.images[:, 3:], colours)
    G.set_snap(palette, None, 1)
    facts = calibrate_snap(G, train_set.files, tiles)
    info = dict(G.train_info)
    heldout = {k: v for k, v in info.get("heldout", {}).items() if k != "with_palette"}  # snapped scores are stale now
    info.update(heldout=heldout, snap_calibration={**facts, "palette": f"re-learnt from {len(train_set)} training maps",
                                                   "date": dt.date.today().isoformat()})
    G.save(model, train_info=info if heldout else {k: v for k, v in info.items() if k != "heldout"})
    return G
