"""Fit a painter colorizer's colour transfer (`pix2pix.transfer`) and choose its strength on the tune paintings.

    python -m pix2pix.training.fit_transfer weights/claude-monet-lab --data ../shared/data/paintings [--write]

The map is fitted from the a*b* the model paints on the painter's training paintings (those a `--tune-percent`
run trained on) to their real a*b*; each strength in STRENGTHS is then scored on the tune paintings through
`Translator`, by the rule used between candidates (the most colour targets met, then the closer palette). Strength 0,
no transfer, competes too: a model the map does not help keeps none. With --write the winner is stored in the model's
config.json (and its card).
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..card import PHOTO_ARTIST
from ..color import cv_rgb_to_lab
from ..errors import reports_user_errors
from ..hub import ModelError, Pix2PixGenerator, load_generator, read_config
from ..infer import Translator, to_tensor
from ..options import COUNT, PERCENT
from ..transfer import ColourTransfer
from .data import painting_files, spread
from .evaluate import coloured_images, store_config, tune_judge

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
PIXELS = 3000  # a*b* sampled per painting: each painting weighs about the same, as in the palette distance


def sampled_ab(lab: torch.Tensor, rng: np.random.Generator) -> np.ndarray:
    """`PIXELS` random pixels' a*b* (N, 2) of a (1, 3, H, W) Lab image."""
    flat = lab[0, 1:].reshape(2, -1).T.numpy()
    return flat[rng.choice(len(flat), min(PIXELS, len(flat)), replace=False)]


def fit(G: Pix2PixGenerator, paintings: list[np.ndarray], seed: int = 0) -> ColourTransfer:
    """The transfer from what `G` (without a transfer) paints on `paintings` to their real colours."""
    plain = copy.deepcopy(G)
    plain.set_colour_transfer(None)
    translator, rng = Translator(plain, fast=True), np.random.default_rng(seed)
    painted, real = [], []
    for rgb in tqdm(paintings, desc="the model's colours and the paintings'", leave=False):
        painted.append(sampled_ab(translator(rgb).lab, rng))
        real.append(sampled_ab(cv_rgb_to_lab(to_tensor(rgb)), rng))
    return ColourTransfer.fit(np.concatenate(painted), np.concatenate(real))


def choose(G: Pix2PixGenerator, transfer: ColourTransfer, data: Path, tune_percent: int) -> tuple[float, dict]:
    """The strength that scores best on the tune paintings, and every strength's scores there."""
    judge = tune_judge(data, [G.artist], tune_percent)
    scores, best = {}, None
    for strength in STRENGTHS:
        G.set_colour_transfer(transfer.with_strength(strength).to_config() if strength else None)
        key, scores[f"{strength:g}"] = judge(G)
        best = min(best or (key, strength), (key, strength))
    return best[1], scores


def table(scores: dict) -> str:
    keys = ("targets_met", "psnr_db", "ciede2000", "colourfulness_ratio", "palette_distance")
    lines = ["| strength | targets met | PSNR dB | CIEDE2000 | colourfulness ratio | palette distance |",
             "|---:|---:|---:|---:|---:|---:|"]
    return "\n".join(lines + [f"| {k} | " + " | ".join(str(s[key]) for key in keys) + " |" for k, s in scores.items()])


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.training.fit_transfer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("model", type=Path, help="a painter's Lab colorizer folder")
    p.add_argument("--data", type=Path, default=Path("data/best-artworks"), help="the paintings folder")
    p.add_argument("--tune-percent", type=PERCENT, default=10, metavar="P",
                   help="the share of training paintings kept out to choose the strength (as the model was trained)")
    p.add_argument("--paintings", type=COUNT, default=300, help="training paintings the map is fitted on (spread)")
    p.add_argument("--write", action="store_true", help="store the chosen transfer in the model's config.json and card")
    args = p.parse_args(argv)
    G = load_generator(args.model)
    if G.task != "colorize" or G.space != "lab" or G.artist in (None, PHOTO_ARTIST):
        raise ModelError(f"{args.model} is not a painter's Lab colorizer: a colour transfer maps onto a painter's palette")
    train = painting_files(args.data, [G.artist], "train", tune_percent=args.tune_percent)[1]
    paintings = coloured_images(spread(train, args.paintings))[0]
    transfer = fit(G, paintings)
    strength, scores = choose(G, transfer, args.data, args.tune_percent)
    print(f"{G.artist}: fitted on {len(paintings)} training paintings; on the tune paintings:\n")
    print(table(scores) + f"\n\nchosen: strength {strength:g}" + ("" if strength else " (no transfer)"))
    if args.write:
        config = read_config(args.model)
        config["colour_transfer"] = transfer.with_strength(strength).to_config() if strength else None
        config["train_info"] = (config.get("train_info") or {}) | {"colour_transfer": {
            "fitted_on": f"{len(paintings)} training paintings of {G.artist}, {PIXELS} pixels each",
            "strength": strength, "strength_chosen_on": f"the tune paintings (--tune-percent {args.tune_percent})",
            "tune_scores_by_strength": scores}}
        store_config(args.model, config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
