"""Held-out scores of trained models next to baselines that need no model, as Markdown tables.

    python -m pix2pix.training.evaluate --data ../shared/data/paintings --artist Titian --model weights/titian-lab
    python -m pix2pix.training.evaluate --task maps --data ../shared/data/maps --model weights/maps-aerial2map
    python -m pix2pix.training.evaluate --data ../shared/data/paintings --artist Monet --model weights/claude-monet-lab \\
        --photos ../photos
    python -m pix2pix.training.evaluate --artist photos --photos ../photos --model weights/photo-lab
    python -m pix2pix.training.evaluate --artist Monet --images outside/monet --model weights/claude-monet-lab --hints 0,10,100
    python -m pix2pix.training.evaluate --all --paintings ../shared/data/paintings --photos ../photos \\
        --maps ../shared/data/maps --write

Every image goes through the app's own `Translator` (bf16 where the CPU runs it natively), so the numbers
are what users get. Colorization: the artist's held-out paintings (the 10% the trainer never saw, colourless
ones left out), at most 512 px per side, or, for the natural-colour model, held-out photos (`--photos`). Colour
is judged as the colorization literature judges it: the colourfulness (Hasler and Suesstrunk 2003) of the
generated images over that of the real ones, and the palette distance (Jensen-Shannon divergence, in bits, of
the pooled a*b* histograms: `hues`); PSNR, SSIM and the mean CIEDE2000 colour error stay as guards, since
per-pixel error rewards grey. With `--photos`, each painter's model also colours held-out photos and a palette
classifier trained on every painter's training paintings says how many come out in that painter's palette.
Maps: the val pairs, translated at their own 600 px and scored at 256x256 like the GcGAN / DistanceGAN papers:
RMSE and PSNR on 0..255 RGB, SSIM, and the share of pixels within delta = 5 on every channel.
`--images DIR` scores the given colorizers on every colour image below DIR instead (an outside set, none of whose
images the models trained on: scored whole, not split), as paintings of `--artist`, or as photos with `--artist photos`.
`--figure` writes a few held-out images as input | grayscale | each model | real; `--write` stores the
scores in each model's config.json and model card (the app's About tab shows them).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image

from ..card import PHOTO_ARTIST
from ..errors import reports_user_errors
from ..hints import MAX_HINTS
from ..hub import ModelError, file_in_the_way, model_names, read_config, resolve, store_config, weights_dir
from ..images import side_by_side
from ..infer import Translator
from ..options import COUNT, PERCENT
from .data import MIN_CHROMA, DataError, list_images, painting_files, photo_files, spread
from .maps_scoring import MAPS_SIDE, maps_rows, maps_scores, maps_table
from .palette_check import PaletteCheck, PhotoShares, palette_classifier
from .scoring import (Method, Row, coloured_images, colorize_scores, colorize_table, colourfulness_ratio, gray_baseline,
                      lab_baseline, load_models, mean_ab, model_methods, model_row, score, targets_cell)
from .sweep import COUNTS, Sweep, sweep, sweep_scores, sweep_table

PHOTO_SAMPLE = 500  # held-out (and training) photos scored by default, spread over every source


# --- colorization --------------------------------------------------------------------------------------

def paintings_and_baselines(data: Path, artists: list[str], tune_percent: int = 0) -> tuple[list[str], list[np.ndarray],
                                                                                            int, dict[str, Method]]:
    """The artists' names, their held-out paintings in colour (or with `tune_percent`, the tune paintings), how many
    colourless ones were left out, and the two baselines (gray; the mean a*b* of their training paintings)."""
    names, train_files = painting_files(data, artists, "train", tune_percent=tune_percent)
    _, val_files = painting_files(data, artists, "tune" if tune_percent else "val", tune_percent=tune_percent)
    coloured, colourless = coloured_images(val_files)
    return names, coloured, colourless, gray_baseline() | artist_mean(train_files)


def artist_mean(train_files: list[Path]) -> dict[str, Method]:
    """The baseline that paints every pixel in the mean a*b* of the artist's training paintings, by its label."""
    return {"baseline: the artist's mean a*b*": lab_baseline(mean_ab(train_files))}


def photos_mean(photos: Path, limit: int | None = None) -> dict[str, Method]:
    """The baseline that paints every pixel in the mean a*b* of the training photos (at most `limit`, spread over the
    sources), by its label."""
    return {"baseline: the photos' mean a*b*": lab_baseline(mean_ab(spread(photo_files(photos, "train"),
                                                                         limit or PHOTO_SAMPLE)))}  # fmt: skip


def colorize_rows(
    data: Path, artist: str, models: dict[str, Method], limit: int | None = None, tune_percent: int = 0
) -> tuple[list[Row], list[np.ndarray], dict]:
    """Score the baselines and `models` (from `model_methods`) on `artist`'s held-out paintings (or, with
    `tune_percent`, on the training paintings a `--tune-percent` run kept out); also returns those images."""
    names, coloured, colourless, baselines = paintings_and_baselines(data, [artist], tune_percent)
    paintings = coloured[:limit]
    rows = [score(name, method, paintings) for name, method in (baselines | models).items()]
    facts = {"artist": names[0], "paintings": len(paintings), "colourless_left_out": colourless, "baselines": len(baselines)}
    return rows, paintings, facts


def outside_rows(folder: Path, artist: str, models: dict[str, Method], limit: int | None, data: Path | None,
                 photos: Path | None) -> tuple[list[Row], list[np.ndarray], dict]:  # fmt: skip
    """Score gray and `models` on every colour image below `folder`, as paintings of `artist` or as photos: an outside
    set is scored whole, since none of it was trained on. The mean a*b* baseline is added where the images it is the
    mean of are given (the artist's training paintings in `data`, the training photos in `photos`)."""
    kind = "photos" if artist == PHOTO_ARTIST else "paintings"
    coloured, colourless = coloured_images(spread(list_images(folder), limit))
    if not coloured:
        raise DataError(f"--images {folder}: every image below it is colourless (mean chroma under {MIN_CHROMA})")
    baselines, name = gray_baseline(), artist
    if kind == "paintings" and data is not None:
        (name,), train = painting_files(data, [artist], "train")
        baselines |= artist_mean(train)
    elif kind == "photos" and photos is not None:
        baselines |= photos_mean(photos)
    rows = [score(label, method, coloured, kind=kind) for label, method in (baselines | models).items()]
    return rows, coloured, {"artist": name, "paintings": len(coloured), "colourless_left_out": colourless,
                            "baselines": len(baselines)}  # fmt: skip


def photo_rows(photos: Path, models: dict[str, Method], limit: int | None = PHOTO_SAMPLE) -> tuple[list[Row],
                                                                                                   list[np.ndarray], dict]:
    """Score the baselines (gray; the mean a*b* of the training photos) and `models` on the held-out photos."""
    coloured, colourless = coloured_images(spread(photo_files(photos, "val"), limit))
    baselines = gray_baseline() | photos_mean(photos, limit)
    rows = [score(name, method, coloured, kind="photos") for name, method in (baselines | models).items()]
    return rows, coloured, {"artist": PHOTO_ARTIST, "paintings": len(coloured), "colourless_left_out": colourless,
                            "baselines": len(baselines)}  # fmt: skip


# --- figures and writing back ----------------------------------------------------------------------------

def figure(inputs: list[np.ndarray], methods: dict[str, Method], reals: list[np.ndarray] | None, gray: bool, path: Path) -> Path:
    """One row per input: input | (grayscale) | each method | (real), stacked into one PNG."""
    rows = []
    for i, x in enumerate(inputs):
        panels = [("input", Image.fromarray(x))]
        if gray:
            panels.append(("grayscale", Image.fromarray(cv2.cvtColor(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB))))
        panels += [(name.split(":")[0] + (" + palette" if name.endswith(" + palette") else ""),
                    Image.fromarray(m(x))) for name, m in methods.items()]
        if reals is not None:
            panels.append(("real", Image.fromarray(reals[i])))
        rows.append(side_by_side(panels, height=256))
    fig = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for r in rows:
        fig.paste(r, (0, y))
        y += r.height
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.save(path)
    return path


def write_scores(model: str | Path, scores: dict) -> None:
    """Store held-out scores in the model's config.json (train_info.heldout) and refresh its model card."""
    folder = Path(model)
    config = read_config(folder)
    config.setdefault("train_info", {})["heldout"] = scores
    store_config(folder, config)


# --- the command -----------------------------------------------------------------------------------------

def evaluate_colorize(
    data: Path | None, artist: str, models: list[str], limit: int | None, fig: Path | None, write: bool, tune_percent: int = 0,
    photos: Path | None = None, classifier: PaletteCheck | None = None, hints: list[int] | None = None,
    outside: Path | None = None,
) -> str:
    """The table (and figure) on the held-out paintings (with `tune_percent`, on the tune split instead), or on the
    held-out photos for the natural-colour model (`artist` PHOTO_ARTIST, from `photos`), or on every image below
    `outside`; with `classifier`, also the share of its held-out photos each painter's model paints in its painter's
    palette."""
    loaded = load_models(models)  # once, for the table, the figure and the hint sweep
    methods = model_methods(models, loaded=loaded)
    rows, images, facts = scored_rows(data, artist, methods, limit, tune_percent, photos, outside)
    baselines = facts["baselines"]  # the rows put the baselines first
    kind = "photos" if artist == PHOTO_ARTIST else "paintings"
    what = f"held-out {kind}"
    if tune_percent:
        what = f"tune paintings ({tune_percent}% of the training split)"
    if outside is not None:
        what = f"{kind} below {outside}"
    text = (f"### {facts['artist']}: {facts['paintings']} {what}"
            f" ({facts['colourless_left_out']} colourless left out)\n\n"
            f"{colorize_table(rows[:baselines], rows[baselines:])}")  # fmt: skip
    shares = None
    if classifier is not None and artist != PHOTO_ARTIST:
        shares = PhotoShares.measure(classifier, facts["artist"], methods)
        text += f"\n\n{shares.line()}"
    if fig:
        figure(images[:4], methods, images[:4], gray=True, path=fig)
    sweeps = hint_sweeps(loaded, rows, images, hints) if hints else {}
    if sweeps:
        text += f"\n\nPSNR dB / CIEDE2000 by number of colour hints, on the same {what}:\n\n"
        text += sweep_table([s for s, _ in sweeps.values()], "model", {s.name: auto for s, auto in sweeps.values()})
    if write:
        split = f"{what}{'' if artist == PHOTO_ARTIST else ' of ' + facts['artist']} ({facts['paintings']})"
        write_colorize_scores(models, rows, split, shares, sweeps)
    return text


def scored_rows(data: Path | None, artist: str, methods: dict[str, Method], limit: int | None, tune_percent: int,
                photos: Path | None, outside: Path | None) -> tuple[list[Row], list[np.ndarray], dict]:  # fmt: skip
    """`methods` scored on the images `evaluate_colorize` names: an outside set, the held-out photos, or the artist's
    held-out (or tune) paintings; refused with what is missing when their folder is not given."""
    if outside is not None:
        return outside_rows(outside, artist, methods, limit, data, photos)
    if artist == PHOTO_ARTIST:
        if photos is None:
            raise DataError("the natural-colour model is scored on held-out photos: give --photos")
        return photo_rows(photos, methods, limit or PHOTO_SAMPLE)
    if data is None:
        raise DataError(f"{artist}'s models are scored on held-out paintings: give --data (or --paintings)")
    return colorize_rows(data, artist, methods, limit, tune_percent)


def write_colorize_scores(models: list[str], rows: list[Row], split: str, shares: PhotoShares | None, sweeps: dict) -> None:
    """Each model's scores on `split` (its photo share and hint sweep where measured) into its config and card."""
    for m in models:
        row = model_row(rows, m)
        scores = {"split": split, **colorize_scores(row), "targets": targets_cell(row, rows[0])}
        if shares is not None:
            scores |= shares.scores_of(m)
        if m in sweeps:
            sweep_of, automatic = sweeps[m]
            automatic = automatic or recorded_automatic(m, split)
            scores["hint_sweep"] = sweep_scores(sweep_of) | ({"automatic_model": automatic} if automatic else {})
        write_scores(m, scores)


def recorded_automatic(model: str | Path, split: str) -> dict:
    """The automatic model's scores without hints recorded beside a hint model's last sweep on the same split: a
    run that does not score that automatic model again keeps them, since they do not change with the hint model."""
    heldout = read_config(Path(model)).get("train_info", {}).get("heldout", {})
    return heldout.get("hint_sweep", {}).get("automatic_model", {}) if heldout.get("split") == split else {}


def hint_sweeps(loaded: dict[str | Path, Translator], rows: list[Row], images: list[np.ndarray],
                counts: list[int]) -> dict[str | Path, tuple[Sweep, dict]]:  # fmt: skip
    """The hint sweep of each loaded Lab model (every one follows hints: a hint model's network reads them, and
    every model's colours are spread from them), with the scores without hints of the automatic model scored beside
    it (the first whose network takes none), which a hint model given no hints must keep. The automatic model is
    swept too only when it is the only Lab model."""
    lab = [m for m, t in loaded.items() if t.follows_hints]
    automatic = next((m for m in lab if not loaded[m].model.takes_hints), None)
    swept = [m for m in lab if m != automatic] or lab
    row = model_row(rows, automatic) if automatic is not None and automatic not in swept else None
    reference = {} if row is None else {"model": row.name.split(":")[0], "psnr": round(row.mean("psnr"), 2),
                                        "ciede2000": round(row.mean("ciede2000"), 2),
                                        "colourfulness_ratio": round(colourfulness_ratio(row), 3)}  # fmt: skip
    return {m: (sweep(Path(m).name, loaded[m], images, counts), reference) for m in swept}


def evaluate_maps(data: Path, models: list[str], limit: int | None, fig: Path | None, write: bool) -> str:
    grouped: dict[str, list[str]] = {"AtoB": [], "BtoA": []}
    for model in models:
        grouped[read_config(resolve(model)).get("direction") or "AtoB"].append(model)
    # each model loaded once: raw and, where it has a palette, snapped; a direction's labels stay unique
    by_direction = {d: model_methods(group, snap=True) for d, group in grouped.items()}
    results, pairs = maps_rows(data, by_direction, limit)
    text = "\n\n".join(maps_table(d, rows) for d, rows in results.items())
    if fig:
        for direction, methods in by_direction.items():
            if methods:
                src = [p[0] if direction == "AtoB" else p[1] for p in pairs[:3]]
                real = [p[1] if direction == "AtoB" else p[0] for p in pairs[:3]]
                figure(src, methods, real, gray=False, path=fig.with_name(f"{fig.stem}_{direction}{fig.suffix}"))
    if write:
        for direction, group in grouped.items():
            rows = results.get(direction, [])
            for m in group:
                scores = {"split": f"maps val pairs ({len(pairs)}), scored at {MAPS_SIDE} px", **maps_scores(model_row(rows, m))}
                if (snapped := model_row(rows, m, snapped=True)) is not None:
                    scores["with_palette"] = maps_scores(snapped)
                baseline = rows[0]  # the constant colour, what a model must beat
                scores["baseline"] = {"method": baseline.name.removeprefix("baseline: "), **maps_scores(baseline)}
                write_scores(m, scores)
    return text


def shipped(weights: Path) -> tuple[dict[str, list[str]], list[str]]:
    """The colorizers in `weights/` grouped by artist, and the maps models."""
    artists: dict[str, list[str]] = {}
    maps = []
    for folder in (weights / name for name in model_names(weights)):
        config = read_config(folder)
        if config.get("task") == "maps":
            maps.append(str(folder))
        elif config.get("artist"):
            artists.setdefault(config["artist"], []).append(str(folder))
    return artists, maps


def counts(text: str) -> list[int]:
    """argparse type for --hints: numbers of hints, comma-separated."""
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers of hints like 0,1,10,100, got {text!r}") from None
    if any(not 0 <= v <= MAX_HINTS for v in values):
        raise argparse.ArgumentTypeError(f"each number of hints must be from 0 to {MAX_HINTS}, got {text!r}")
    return sorted(set(values))


@torch.no_grad()
@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.training.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--task", choices=["colorize", "maps"], default="colorize")
    p.add_argument("--data", help="paintings folder (images/ + artists.csv) or maps folder (train/ + val/)")
    p.add_argument("--artist",
                   help=f"colorize: whose held-out paintings to score on ({PHOTO_ARTIST!r}: the held-out photos of --photos)")
    p.add_argument("--photos", type=Path, help="colorize: a photo tree (train/ + heldout/, or any tree): the natural-colour "
                   "model is scored on its held-out photos, and each painter's model by the share of them it paints in its "
                   "painter's palette (needs the paintings of every painter, --data or --paintings, for the classifier)")
    p.add_argument("--model", action="append", default=[],
                   help="model folder, the name of a shipped one (titian-lab) or Hub repo id (repeatable)")
    p.add_argument("--all", action="store_true", help="every model in --weights, each on its own artist, the photos or the maps")
    p.add_argument("--weights", type=Path, default=weights_dir(),
                   help="with --all: the folder of model folders (default: the shipped weights/)")
    p.add_argument("--paintings", default="data/best-artworks", help="with --all: the paintings folder")
    p.add_argument("--maps", default="data/maps", help="with --all: the maps folder")
    p.add_argument("--limit", type=COUNT, help=f"score at most this many held-out images (photos: {PHOTO_SAMPLE} by default)")
    p.add_argument("--figure", type=Path, help="write a few held-out examples side by side to this PNG")
    p.add_argument("--write", action="store_true", help="store the scores in each model's config.json and model card")
    p.add_argument("--hints", type=counts, metavar="N,N,...", help="colorize: also score each model that takes colour "
                   "hints against the number of hints, sampled from the real image as Zhang et al. do (e.g. "
                   f"{','.join(map(str, COUNTS))})")
    p.add_argument("--images", type=Path, metavar="DIR", help="colorize: score on every colour image below DIR (any folder "
                   "tree: an outside set none of the models trained on, scored whole) instead of the held-out split, as "
                   "paintings of --artist or, with --artist photos, as photos; --data or --photos add the mean a*b* baseline")
    p.add_argument("--tune-percent", type=PERCENT, default=0, metavar="P", help="colorize: score on the tune split of "
                   "models trained with --tune-percent P instead of the held-out paintings (to choose between candidates)")
    args = p.parse_args(argv)
    if args.figure and (blocker := file_in_the_way(args.figure.parent)):
        p.error(f"--figure {args.figure}: {blocker} is a file, not a folder")
    if args.tune_percent and (args.write or args.all or args.task == "maps"):
        p.error("--tune-percent scores given colorizers for choosing between them: not with --write, --all or --task maps")
    if args.images and (args.tune_percent or args.write or args.all or args.task == "maps"):
        p.error("--images scores given colorizers on an outside set: not with --tune-percent, --write, --all or --task maps")
    if args.all:
        return evaluate_all(args)
    if not args.model or (not args.data and args.artist != PHOTO_ARTIST and not args.images):
        p.error("give --data (or --images) and at least one --model (or --all)")
    if args.task == "maps":
        print(evaluate_maps(Path(args.data), args.model, args.limit, args.figure, args.write))
        return 0
    if not args.artist:
        p.error("colorize needs --artist")
    data = Path(args.data) if args.data else None
    classifier = palette_classifier(data, args.photos) if args.photos and data and args.artist != PHOTO_ARTIST else None
    print(evaluate_colorize(data, args.artist, args.model, args.limit, args.figure, args.write, args.tune_percent,
                            args.photos, classifier, args.hints, args.images))
    return 0


def evaluate_all(args: argparse.Namespace) -> int:
    """Every model in `args.weights`: each colorizer on its artist's held-out paintings (or the photos), the maps models."""
    artists, maps = shipped(Path(args.weights))
    if not artists and not maps:
        raise ModelError(f"--all: no model folders (config.json + model.safetensors) in {args.weights}")
    paintings = Path(args.paintings)
    classifier = palette_classifier(paintings, args.photos) if args.photos and paintings.is_dir() else None
    for artist, models in artists.items():
        fig = args.figure and args.figure.with_name(f"{args.figure.stem}_{artist.lower().replace(' ', '-')}{args.figure.suffix}")
        try:
            print(evaluate_colorize(paintings, artist, models, args.limit, fig, args.write, photos=args.photos,
                                    classifier=classifier, hints=args.hints) + "\n",
                  flush=True)
        except DataError as e:  # one artist missing from the data does not stop the others
            print(f"### {artist}: not evaluated ({e})\n", flush=True)
    if maps:
        print(evaluate_maps(Path(args.maps), maps, args.limit, args.figure, args.write), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
