"""Fit a Lab colorizer's colour transfer (`pix2pix.transfer`) and choose its strength on images it was not fitted on.

    python -m pix2pix.training.fit_transfer weights/claude-monet-lab --data ../shared/data/paintings [--write]
    python -m pix2pix.training.fit_transfer weights/photo-lab --photos ../photos [--write]
    python -m pix2pix.training.fit_transfer weights/andy-warhol-lab --data ../shared/data/paintings --photos ../photos \
        --from-photos [--write]

A painter's map is fitted from the a*b* the model paints on the painter's training paintings (those a
`--tune-percent` run trained on) to their real a*b*, and each strength in STRENGTHS is scored on the tune paintings;
with `--from-photos`, from the a*b* it paints on training photos (what users give it) to those of the painter's
training paintings instead, an unpaired match, scored on the tune paintings the same way. The natural-colour
model's is fitted on training photos and scored on other training photos (its tune split). All
through `Translator`, by the rule used between candidates (the most colour targets met, then the closer palette).
Strength 0, no transfer, competes too: a model the map does not help keeps none. With `--automatic`, the automatic
model a hint model started from is scored on the same images, and only strengths whose colours stay as good as its
(the hint targets without hints: 0.3 dB, 0.3 CIEDE2000, colourfulness within 0.05) may be chosen. With --write the
winner is stored in the model's config.json (and its card).
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..card import PHOTO_ARTIST, tune_table
from ..color import cv_rgb_to_lab
from ..errors import reports_user_errors
from ..hub import Judge, ModelError, Pix2PixGenerator, load_generator, read_config, store_config
from ..infer import Translator, to_tensor
from ..options import COUNT, PERCENT
from ..transfer import ColourTransfer
from .data import DataError, painting_files, photo_files, spread
from .scoring import coloured_images, judge_on, tune_judge
from .sweep import keeps_automatic

# Steps of 0.05: a hint model must keep within 0.05 of its automatic model's colourfulness (`--automatic`), which
# steps of 0.25 jumped over (Monet's map: 0.871 at 0.5, 0.980 at 0.75, against 0.904).
STRENGTHS = tuple(round(0.05 * k, 2) for k in range(21))
PIXELS = 3000  # a*b* sampled per image: each image weighs about the same, as in the palette distance
TUNE_PHOTOS = 300  # the natural-colour model's strength is chosen on this many tune photos


def sampled_ab(lab: torch.Tensor, rng: np.random.Generator) -> np.ndarray:
    """`PIXELS` random pixels' a*b* (N, 2) of a (1, 3, H, W) Lab image."""
    flat = lab[0, 1:].reshape(2, -1).T.numpy()
    return flat[rng.choice(len(flat), min(PIXELS, len(flat)), replace=False)]


def without_transfer(G: Pix2PixGenerator) -> Translator:
    """`G` as it paints before any transfer: what a map is fitted from."""
    plain = copy.deepcopy(G)
    plain.set_colour_transfer(None)
    return Translator(plain, fast=True)


def fit(G: Pix2PixGenerator, images: list[np.ndarray], seed: int = 0) -> ColourTransfer:
    """The transfer from what `G` (without a transfer) paints on `images` to their real colours."""
    translator, rng = without_transfer(G), np.random.default_rng(seed)
    painted, real = [], []
    for rgb in tqdm(images, desc="the model's colours and the images'", leave=False):
        painted.append(sampled_ab(translator(rgb).lab, rng))
        real.append(sampled_ab(cv_rgb_to_lab(to_tensor(rgb)), rng))
    return ColourTransfer.fit(np.concatenate(painted), np.concatenate(real))


def fit_unpaired(G: Pix2PixGenerator, photos: list[np.ndarray], paintings: list[np.ndarray], seed: int = 0) -> ColourTransfer:
    """The transfer from what `G` (without a transfer) paints on `photos` to the real colours of `paintings`: a
    painter's model sees photos in use, and paints them in other colours than the paintings it learnt from."""
    translator, rng = without_transfer(G), np.random.default_rng(seed)
    painted = [sampled_ab(translator(rgb).lab, rng) for rgb in tqdm(photos, desc="the model's colours on photos", leave=False)]
    real = [sampled_ab(cv_rgb_to_lab(to_tensor(rgb)), rng) for rgb in paintings]
    return ColourTransfer.fit(np.concatenate(painted), np.concatenate(real))


def fitted(G: Pix2PixGenerator, args: argparse.Namespace) -> tuple[ColourTransfer, Judge, str, str]:
    """The map fitted as `args` ask, the judge that chooses its strength, and what each was done on, in words."""
    if G.artist == PHOTO_ARTIST:
        if args.photos is None:
            raise DataError("the natural-colour model's transfer is fitted on photos: give --photos")
        if args.from_photos:
            raise DataError("--from-photos is for a painter's model: the natural-colour model's map is fitted on photos already")
        photos = coloured_images(spread(photo_files(args.photos, "train", tune_percent=args.tune_percent), args.images))[0]
        tune = coloured_images(spread(photo_files(args.photos, "tune", tune_percent=args.tune_percent), TUNE_PHOTOS))[0]
        return (fit(G, photos), judge_on(tune, kind="photos"), f"{len(photos)} training photos",
                f"{len(tune)} other training photos (--tune-percent {args.tune_percent}; the model trained on all of them)")
    if args.from_photos and args.photos is None:
        raise DataError("--from-photos fits the map on what the model paints on photos: give --photos")
    train = painting_files(args.data, [G.artist], "train", tune_percent=args.tune_percent)[1]
    paintings = coloured_images(spread(train, args.images))[0]
    judge = tune_judge(args.data, [G.artist], args.tune_percent)
    chosen_on = f"the tune paintings (--tune-percent {args.tune_percent})"
    if not args.from_photos:
        return fit(G, paintings), judge, f"{len(paintings)} training paintings of {G.artist}", chosen_on
    photos = coloured_images(spread(photo_files(args.photos, "train"), args.images))[0]
    return (fit_unpaired(G, photos, paintings), judge, f"its colours on {len(photos)} training photos, onto those of "
            f"{len(paintings)} training paintings of {G.artist}", chosen_on)


def choose(G: Pix2PixGenerator, transfer: ColourTransfer, judge: Judge, automatic: dict | None = None) -> tuple[float, dict]:
    """The strength that `judge` scores best, among those that keep the `automatic` model's colours where given
    (all, if none does), and every strength's scores."""
    keys, scores = {}, {}
    for strength in STRENGTHS:
        G.set_colour_transfer(transfer.with_strength(strength).to_config() if strength else None)
        key, scores[f"{strength:g}"] = judge(G)
        keys[strength] = key
    if automatic is not None:
        for s in scores.values():
            s["keeps_automatic"] = keeps_automatic(without_hints(s), without_hints(automatic))
    allowed = [k for k in STRENGTHS if scores[f"{k:g}"].get("keeps_automatic", True)] or list(STRENGTHS)
    return min(allowed, key=lambda k: (keys[k], k)), scores


def without_hints(scores: dict) -> tuple[float, float, float]:
    """A judge's scores as the hint targets without hints compare them (`sweep.keeps_automatic`)."""
    return scores["psnr_db"], scores["ciede2000"], scores["colourfulness_ratio"]


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.training.fit_transfer", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("model", type=Path, help="a Lab colorizer folder (a painter's, or the natural-colour model)")
    p.add_argument("--data", type=Path, default=Path("data/best-artworks"), help="the paintings folder (painters)")
    p.add_argument("--photos", type=Path, help="the photo tree (the natural-colour model, or a painter's with --from-photos)")
    p.add_argument("--from-photos", action="store_true", help="a painter's map fitted from what it paints on training "
                   "photos (what users give it) to its painter's training paintings, instead of on the paintings")
    p.add_argument("--tune-percent", type=PERCENT, default=10, metavar="P",
                   help="the share of training images kept out to choose the strength (a painter's: as it was trained)")
    p.add_argument("--images", type=COUNT, default=300, help="training images the map is fitted on (spread)")
    p.add_argument("--automatic", type=Path, help="the automatic model a hint model started from: only strengths as good "
                   "as it without hints may be chosen (the hint targets)")
    p.add_argument("--write", action="store_true", help="store the chosen transfer in the model's config.json and card")
    args = p.parse_args(argv)
    G = load_generator(args.model)
    if G.task != "colorize" or G.space != "lab" or G.artist is None:
        raise ModelError(f"{args.model} is not a Lab colorizer of a painter or of photos: a colour transfer maps onto "
                         "the colours of the images it learnt from")
    transfer, judge, fitted_on, chosen_on = fitted(G, args)
    automatic = judge(load_generator(args.automatic))[1] if args.automatic else None
    strength, scores = choose(G, transfer, judge, automatic)
    print(f"{G.artist}: fitted on {fitted_on}; scored on {chosen_on}:\n")
    print(tune_table("strength", list(scores.items()) + ([(f"automatic: {args.automatic}", automatic)] if automatic else [])))
    if automatic:
        kept = [k for k, s in scores.items() if s["keeps_automatic"]]
        print(f"\nas good as the automatic model without hints: {', '.join(kept) or 'none (so any may be chosen)'}")
    print(f"\nchosen: strength {strength:g}" + ("" if strength else " (no transfer)"))
    if args.write:
        facts = {"fitted_on": f"{fitted_on}, {PIXELS} pixels each", "strength": strength, "strength_chosen_on": chosen_on,
                 "tune_scores_by_strength": scores}  # fmt: skip
        if automatic:
            facts["automatic_model"] = {"model": str(args.automatic), **automatic}
        if args.from_photos:
            facts["from_photos"] = True
        config = read_config(args.model)
        config["colour_transfer"] = transfer.with_strength(strength).to_config() if strength else None
        config["train_info"] = (config.get("train_info") or {}) | {"colour_transfer": facts}
        store_config(args.model, config)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
