"""Held-out scores of trained models next to baselines that need no model, as Markdown tables.

    python -m pix2pix.evaluate --data ../shared/data/paintings --artist Titian --model weights/titian-lab --model weights/titian-rgb
    python -m pix2pix.evaluate --task maps --data ../shared/data/maps --model weights/maps-aerial2map --model weights/maps-map2aerial
    python -m pix2pix.evaluate --all --paintings ../shared/data/paintings --maps ../shared/data/maps --write

Every image goes through the app's own `Translator` (bf16 where the CPU runs it natively), so the numbers
are what users get. Colorization: the artist's held-out paintings (the 10% the trainer never saw, colourless
ones left out), at most 512 px per side; PSNR and SSIM on RGB, the mean CIEDE2000 colour error, and the
colourfulness (Hasler and Suesstrunk 2003) of the generated images over that of the real ones. Maps: the
val pairs, translated at their own 600 px and scored at 256x256 like the GcGAN / DistanceGAN papers:
RMSE and PSNR on 0..255 RGB, SSIM, and the share of pixels within delta = 5 on every channel.
`--figure` writes a few held-out images as input | grayscale | each model | real; `--write` stores the
scores in each model's config.json and model card (the app's About tab shows them). `--temperature T`
(repeatable) scores colorizers with a*b* classes at T instead of their own; with `--write` it stores T too.
`--tune-percent P --fit-gain` chooses each Lab colorizer's colour gain (the factor its a*b* are scaled by) on
the tune paintings and stores it; the held-out paintings are never used for it.
"""

from __future__ import annotations

import argparse
import copy
import json
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity
from tqdm import tqdm

from .card import RATIO_TARGET, model_card
from .color import cv_lab_to_rgb, cv_rgb_to_lab, mean_chroma
from .data import MIN_CHROMA, DataError, list_images, painting_files, read_pair
from .errors import reports_user_errors
from .hub import CONFIG_FILE, Judge, ModelError, Pix2PixGenerator, file_in_the_way, read_config, resolve
from .images import load_image, side_by_side
from .infer import Translator, to_image, to_tensor, with_strength
from .options import COUNT, PERCENT, POSITIVE
from .palette import DELTA, learn_palette

PAINTING_SIDE = 512  # held-out paintings are scored at most this large (Titian's reach 2,400 px)
GAINS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0)  # the colour gains --fit-gain tries
TARGETS = ("PSNR over gray", "PSNR over the mean a*b*", "CIEDE2000 under gray", "CIEDE2000 under the mean a*b*",
           f"colourfulness {RATIO_TARGET[0]:g}-{RATIO_TARGET[1]:g}")  # what every Lab colorizer should reach on held-out paintings
MAPS_SIDE = 256  # the literature's resolution for maps (its tolerance is palette.DELTA)
Method = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 input -> (H, W, 3) uint8 output


# --- metrics -------------------------------------------------------------------------------------------

def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / max(mse, 1e-10)))


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def ciede2000(a: np.ndarray, b: np.ndarray) -> float:
    """Mean CIEDE2000 colour difference (scikit-image) between two uint8 RGB images."""
    return float(deltaE_ciede2000(rgb2lab(a), rgb2lab(b)).mean())


def colourfulness(rgb: np.ndarray) -> float:
    """Hasler and Suesstrunk (2003): spread plus 0.3 x mean of the opponent channels rg and yb, on 0..255."""
    r, g, b = (rgb[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def delta_accuracy(a: np.ndarray, b: np.ndarray, delta: int = DELTA) -> float:
    """Share of pixels whose largest channel difference is below `delta` (0..255 RGB)."""
    return float((np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) < delta).mean())


# --- what is scored ------------------------------------------------------------------------------------

@dataclass
class Row:
    """One method's scores over a set: per-image metric lists plus timing."""

    name: str
    scores: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    def add(self, **values: float) -> None:
        for k, v in values.items():
            self.scores.setdefault(k, []).append(v)

    def mean(self, key: str) -> float:
        return float(np.mean(self.scores[key]))


def translator_method(translator: Translator, snap: bool = False) -> Method:
    return lambda rgb: np.asarray(translator(rgb, snap=snap).generated)


def lab_baseline(ab: tuple[float, float]) -> Method:
    """The input's own lightness with one constant a*b* everywhere (0, 0 is plain gray)."""

    def method(rgb: np.ndarray) -> np.ndarray:
        lab = cv_rgb_to_lab(to_tensor(rgb))
        lab[:, 1], lab[:, 2] = ab
        return np.asarray(to_image(cv_lab_to_rgb(lab)))

    return method


def mean_ab(files: list[Path]) -> tuple[float, float]:
    """The average a*b* of the artist's training paintings in colour (each painting weighs the same)."""
    means = []
    for f in tqdm(files, desc="mean a*b* of the training paintings", leave=False):
        rgb = load_image(f, PAINTING_SIDE)[0]
        if mean_chroma(rgb) >= MIN_CHROMA:
            means.append(cv_rgb_to_lab(to_tensor(rgb))[0, 1:].mean((1, 2)).numpy())
    a, b = np.mean(means, axis=0)
    return float(a), float(b)


def model_methods(models: list[str | Path], snap: bool = False, temperatures: list[float] | None = None) -> dict[str, Method]:
    """Each model as a method named "<folder>: <what it does>" (the whole path where two folders share a name);
    with `snap`, also its palette-snapped variant; with `temperatures`, each class-head colorizer once at each."""
    names = [Path(m).name for m in models]
    out, classes = {}, False
    for m, name in zip(models, names):
        t = Translator.load(m, fast=True)
        at = temperatures if temperatures and t.model.bins is not None else [None]  # a regression model: once
        classes |= at[0] is not None
        for k, temperature in enumerate(at):
            if k:
                t = Translator.load(m, fast=True)  # a model of its own for each temperature
            label = f"{name if names.count(name) == 1 else m}: {t.name}"
            if temperature is not None:
                t.model.set_temperature(temperature)
                label += f" at temperature {temperature:g}"
            out[label] = translator_method(t)
            if snap and t.can_snap:
                out[f"{label} + palette"] = translator_method(t, snap=True)
    if temperatures and not classes:
        raise ModelError("--temperature: none of the models scores a*b* classes (only those have a temperature)")
    return out


# --- colorization --------------------------------------------------------------------------------------

def score(name: str, method: Method, paintings: list[np.ndarray]) -> Row:
    """One method's colorization scores and timings over `paintings` (each one's grayscale is its input)."""
    row = Row(name)
    for real in tqdm(paintings, desc=name, leave=False):
        start = time.perf_counter()
        fake = method(real)
        row.seconds.append(time.perf_counter() - start)
        row.add(**colorize_metrics(fake, real))
    return row


def colorize_metrics(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    return {"psnr": psnr(fake, real), "ciede2000": ciede2000(fake, real), "ssim": ssim(fake, real),
            "colourful_fake": colourfulness(fake), "colourful_real": colourfulness(real)}  # fmt: skip


def paintings_and_baselines(data: Path, artists: list[str], tune_percent: int = 0) -> tuple[list[str], list[np.ndarray], int, dict[str, Method]]:
    """The artists' names, their held-out paintings in colour (or with `tune_percent`, the tune paintings), how many
    colourless ones were left out, and the two baselines (gray; the mean a*b* of their training paintings)."""
    names, train_files = painting_files(data, artists, "train", tune_percent=tune_percent)
    _, val_files = painting_files(data, artists, "tune" if tune_percent else "val", tune_percent=tune_percent)
    decoded = [load_image(f, PAINTING_SIDE)[0] for f in val_files]
    coloured = [p for p in decoded if mean_chroma(p) >= MIN_CHROMA]  # chroma measured once per painting
    baselines = {"baseline: gray (a*b* = 0)": lab_baseline((0.0, 0.0)), "baseline: the artist's mean a*b*": lab_baseline(mean_ab(train_files))}
    return names, coloured, len(decoded) - len(coloured), baselines


def colorize_rows(
    data: Path, artist: str, models: dict[str, Method], limit: int | None = None, tune_percent: int = 0
) -> tuple[list[Row], list[np.ndarray], dict]:
    """Score the baselines and `models` (from `model_methods`) on `artist`'s held-out paintings (or, with
    `tune_percent`, on the training paintings a `--tune-percent` run kept out); also returns those images."""
    names, coloured, colourless, baselines = paintings_and_baselines(data, [artist], tune_percent)
    paintings = coloured[:limit]
    rows = [score(name, method, paintings) for name, method in (baselines | models).items()]
    facts = {"artist": names[0], "paintings": len(paintings), "colourless_left_out": colourless}
    return rows, paintings, facts


def missed_targets(row: Row, gray: Row, mean: Row) -> list[str]:
    """The colorization targets `row` misses, of the five in `TARGETS`: PSNR above each baseline's, colour error
    below each one's, and a colourfulness ratio within the target band (neither gray nor garish)."""
    ratio = colourfulness_ratio(row)
    met = (*(row.mean("psnr") > b.mean("psnr") for b in (gray, mean)), *(row.mean("ciede2000") < b.mean("ciede2000") for b in (gray, mean)),
           RATIO_TARGET[0] <= ratio <= RATIO_TARGET[1])
    return [name for name, ok in zip(TARGETS, met) if not ok]


def targets_met(row: Row, gray: Row, mean: Row) -> int:
    """How many of the five colorization targets `row` meets (`missed_targets`)."""
    return len(TARGETS) - len(missed_targets(row, gray, mean))


def tune_judge(data: Path, artists: list[str], tune_percent: int) -> Judge:
    """For the trainer's `--keep-best`: scores a generator on the tune paintings through `Translator`, as
    `--tune-percent` does, with the rule used to choose between candidates: the most targets met (`targets_met`),
    then the lower CIEDE2000. Returns its sort key (lower is better) and its scores; the baselines are scored once."""
    _, paintings, _, gray, mean = tune_set(data, artists, tune_percent)

    def judge(G: Pix2PixGenerator) -> tuple[list[float], dict]:
        row = score("judging on the tune paintings", translator_method(Translator(copy.deepcopy(G).float().cpu(), fast=True)), paintings)
        met = targets_met(row, gray, mean)
        return rule_key(row, met), tune_scores(row, met)

    return judge


def tune_set(data: Path, artists: list[str], tune_percent: int) -> tuple[list[str], list[np.ndarray], int, Row, Row]:
    """The tune paintings in colour (with the artists' names and how many colourless ones were left out) and the
    two baselines scored on them once: what candidates are judged against."""
    names, paintings, colourless, baselines = paintings_and_baselines(data, artists, tune_percent)
    if not paintings:
        raise DataError(f"the tune split of {', '.join(artists)} has no paintings in colour: raise --tune-percent")
    gray, mean = (score(name, method, paintings) for name, method in baselines.items())
    return names, paintings, colourless, gray, mean


def rule_key(row: Row, met: int) -> list[float]:
    """The rule between candidates as a sort key (lower is better): the most targets met, then the lower CIEDE2000."""
    return [-met, row.mean("ciede2000")]


def tune_scores(row: Row, met: int) -> dict[str, float]:
    """A candidate's scores on the tune paintings as stored (three places for the colour error and the ratio)."""
    return {"targets_met": met, "psnr_db": round(row.mean("psnr"), 2), "ciede2000": round(row.mean("ciede2000"), 3),
            "colourfulness_ratio": round(colourfulness_ratio(row), 3)}


def colourfulness_ratio(row: Row) -> float:
    """Generated over real colourfulness, to three places: the targets' bounds (0.7-1.3) must not be rounded onto."""
    return row.mean("colourful_fake") / max(row.mean("colourful_real"), 1e-9)


def targets_cell(row: Row, gray: Row, mean: Row) -> str:
    missed = missed_targets(row, gray, mean)
    return f"{len(TARGETS) - len(missed)} of {len(TARGETS)}" + (f" (missed: {', '.join(missed)})" if missed else "")


def colorize_table(gray: Row, mean: Row, models: list[Row]) -> str:
    """The baselines' and the models' scores, with the targets each model meets against those baselines."""
    lines = ["| method | PSNR dB | CIEDE2000 | SSIM | colourfulness gen/real | ms / image | targets met |", "|---|---:|---:|---:|---:|---:|---|"]
    for r, targets in [(gray, ""), (mean, ""), *((m, targets_cell(m, gray, mean)) for m in models)]:
        lines.append(f"| {r.name} | {r.mean('psnr'):.2f} | {r.mean('ciede2000'):.2f} | {r.mean('ssim'):.3f} | {colourfulness_ratio(r):.3f} "
                     f"| {1000 * np.mean(r.seconds):.0f} | {targets} |")  # fmt: skip
    return "\n".join(lines)


def colorize_scores(row: Row) -> dict[str, float]:
    return {
        "psnr_db": round(row.mean("psnr"), 2),
        "ciede2000": round(row.mean("ciede2000"), 2),
        "ssim": round(row.mean("ssim"), 3),
        "colourfulness_ratio": round(colourfulness_ratio(row), 3),
        "ms_per_image": round(1000 * float(np.mean(row.seconds))),
    }


def gain_rows(model: str | Path, paintings: list[np.ndarray], gains: tuple[float, ...]) -> list[Row]:
    """A Lab colorizer scored at each colour gain; its network runs once per painting, since a gain only rescales
    the predicted a*b* (`infer.with_strength` on its output at gain 1, as `Translator` would at that gain)."""
    t = Translator.load(model, fast=True)
    t.model.set_colour_gain(1.0)
    rows = [Row(f"{Path(model).name}: {t.name} at colour gain {g:g}") for g in gains]
    for real in tqdm(paintings, desc=f"{Path(model).name} at {len(gains)} colour gains", leave=False):
        start = time.perf_counter()
        lab = t(real).lab
        seconds = time.perf_counter() - start
        for g, row in zip(gains, rows):
            start = time.perf_counter()
            fake = np.asarray(with_strength(lab, g))
            row.seconds.append(seconds + time.perf_counter() - start)
            row.add(**colorize_metrics(fake, real))
    return rows


def fit_gain(data: Path, artist: str, models: list[str], tune_percent: int, gains: tuple[float, ...] = GAINS) -> str:
    """Choose each Lab colorizer's colour gain on the tune paintings by the rule used between candidates (the most
    targets met, then the lower CIEDE2000; ties to the lower gain) and store it. Its held-out scores, measured at
    the old gain, are dropped from its config: score it again with --write."""
    for m in models:  # checked all before any is scored or written
        config = read_config(resolve(m))
        if config.get("space") != "lab":
            raise ModelError(f"{m} is an RGB model: only a Lab colorizer's colour can be scaled apart from its lightness")
        trained_with = config.get("train_info", {}).get("tune_percent")
        if trained_with != tune_percent:  # tune paintings a model trained on would flatter it
            raise ModelError(f"{m} was trained with --tune-percent {trained_with}, not {tune_percent}: its tune paintings are"
                             " not the ones kept out of its training")
    names, paintings, colourless, gray, mean = tune_set(data, [artist], tune_percent)
    split = f"tune paintings of {names[0]} ({len(paintings)}, --tune-percent {tune_percent})"
    text = [f"### {names[0]}: {len(paintings)} tune paintings ({tune_percent}% of the training split, {colourless} colourless left out)"]
    for m in models:
        rows = gain_rows(m, paintings, gains)
        met = [targets_met(r, gray, mean) for r in rows]
        best = min(range(len(rows)), key=lambda i: rule_key(rows[i], met[i]))  # min keeps the first of equals
        tried = {f"{g:g}": tune_scores(r, k) for g, r, k in zip(gains, rows, met)}
        command = f"python -m pix2pix.evaluate --data {data} --artist {shlex.quote(artist)} --model {m} --tune-percent {tune_percent} --fit-gain"
        write_gain(m, gains[best], {"split": split, "rule": "the most targets met, then the lowest CIEDE2000", "tried": tried, "command": command})
        text += [colorize_table(gray, mean, rows),
                 (f"{m}: colour gain {gains[best]:g} stored ({met[best]} targets met on the tune paintings); score it again on"
                  " the held-out paintings with --write")]
    return "\n\n".join(text)


# --- maps ------------------------------------------------------------------------------------------------

def at_eval_size(rgb: np.ndarray) -> np.ndarray:
    return cv2.resize(rgb, (MAPS_SIDE, MAPS_SIDE), interpolation=cv2.INTER_AREA)


def constant(colour: np.ndarray) -> Method:
    return lambda rgb: np.broadcast_to(colour.astype(np.uint8), rgb.shape).copy()


def maps_baselines(train_dir: Path, limit: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """The most common colour of the training maps and the mean colour of the training aerials (at 256 px).

    JPEG noise spreads each flat map colour over many nearby values, so "most common" counts every pixel
    within the protocol's tolerance: the first colour of a palette learnt from those maps."""
    maps, aerial_means = [], []
    for f in tqdm(list_images(train_dir)[:limit], desc="baselines from the training pairs", leave=False):
        aerial, map_ = (at_eval_size(x) for x in read_pair(f))
        maps.append(map_)
        aerial_means.append(aerial.reshape(-1, 3).mean(0))
    return np.array(learn_palette(np.stack(maps), 1)[0]), np.round(np.mean(aerial_means, axis=0))


def maps_rows(data: Path, models: dict[str, dict[str, Method]], limit: int | None = None) -> tuple[dict[str, list[Row]], list[tuple[np.ndarray, np.ndarray]]]:
    """Per direction, the constant-colour baseline and every model of that direction (`models`: direction ->
    methods from `model_methods`), on the val pairs."""
    pairs = [read_pair(f) for f in list_images(Path(data) / "val")[:limit]]
    mode_map, mean_aerial = maps_baselines(Path(data) / "train")
    directions: dict[str, dict[str, Method]] = {
        "AtoB": {f"baseline: most common map colour {tuple(int(c) for c in mode_map)}": constant(mode_map)},
        "BtoA": {f"baseline: mean aerial colour {tuple(int(c) for c in mean_aerial)}": constant(mean_aerial)},
    }
    for direction, methods in models.items():
        directions[direction].update(methods)
    out: dict[str, list[Row]] = {}
    for direction, methods in directions.items():
        if len(methods) == 1:
            continue  # no model for this direction
        out[direction] = []
        for name, method in methods.items():
            row = Row(name)
            for aerial, map_ in tqdm(pairs, desc=name, leave=False):
                src, real = (aerial, map_) if direction == "AtoB" else (map_, aerial)
                start = time.perf_counter()
                fake = method(src)
                row.seconds.append(time.perf_counter() - start)
                fake, real = at_eval_size(fake), at_eval_size(real)
                row.add(rmse=rmse(fake, real), psnr=psnr(fake, real), ssim=ssim(fake, real), acc=delta_accuracy(fake, real))
            out[direction].append(row)
    return out, pairs


def maps_table(direction: str, rows: list[Row]) -> str:
    title = "aerial photo -> map" if direction == "AtoB" else "map -> aerial photo"
    lines = [f"**{title}**", "", f"| method | accuracy (delta {DELTA}) | RMSE | PSNR dB | SSIM | ms / 600 px tile |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.name} | {100 * r.mean('acc'):.1f}% | {r.mean('rmse'):.2f} | {r.mean('psnr'):.2f} | {r.mean('ssim'):.3f} "
                     f"| {1000 * np.mean(r.seconds):.0f} |")  # fmt: skip
    return "\n".join(lines)


def maps_scores(row: Row) -> dict[str, float]:
    return {
        f"accuracy_delta{DELTA}": round(row.mean("acc"), 4),
        "rmse": round(row.mean("rmse"), 2),
        "psnr_db": round(row.mean("psnr"), 2),
        "ssim": round(row.mean("ssim"), 3),
        "ms_per_tile": round(1000 * float(np.mean(row.seconds))),
    }


# --- figures and writing back ----------------------------------------------------------------------------

def figure(inputs: list[np.ndarray], methods: dict[str, Method], reals: list[np.ndarray] | None, gray: bool, path: Path) -> Path:
    """One row per input: input | (grayscale) | each method | (real), stacked into one PNG."""
    rows = []
    for i, x in enumerate(inputs):
        panels = [("input", Image.fromarray(x))]
        if gray:
            panels.append(("grayscale", Image.fromarray(cv2.cvtColor(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB))))
        panels += [(name.split(":")[0] + (" + palette" if name.endswith(" + palette") else ""), Image.fromarray(m(x))) for name, m in methods.items()]
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


def write_scores(model: str | Path, scores: dict, temperature: float | None = None) -> None:
    """Store held-out scores in the model's config.json (train_info.heldout) and refresh its model card; with
    `temperature`, also the temperature they were scored at, which the model then uses."""
    folder = Path(model)
    config = read_config(folder)
    config.setdefault("train_info", {})["heldout"] = scores
    if temperature is not None:
        config["temperature"] = temperature
    store_config(folder, config)


def write_gain(model: str | Path, gain: float, fit: dict) -> None:
    """Store a fitted colour gain and how it was chosen; held-out scores measured at another gain go."""
    folder = Path(model)
    config = read_config(folder)
    config["colour_gain"] = gain
    info = config.setdefault("train_info", {})
    info.pop("heldout", None)
    info["gain_fit"] = fit
    store_config(folder, config)


def store_config(folder: Path, config: dict) -> None:
    """Write a model folder's config.json and the model card made from it, which must never disagree."""
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(model_card(config), encoding="utf-8")


def model_row(rows: list[Row], model: str | Path, snapped: bool = False) -> Row | None:
    prefixes = (f"{Path(model).name}: ", f"{model}: ")
    return next((r for r in rows if r.name.startswith(prefixes) and r.name.endswith(" + palette") == snapped), None)


# --- the command -----------------------------------------------------------------------------------------

def evaluate_colorize(
    data: Path, artist: str, models: list[str], limit: int | None, fig: Path | None, write: bool, tune_percent: int = 0,
    temperatures: list[float] | None = None,
) -> str:
    """The table (and figure) on the held-out paintings, or with `tune_percent` on the tune split instead; class-head
    colorizers at each of `temperatures` (one when writing: the scores and that temperature are stored)."""
    methods = model_methods(models, temperatures=temperatures)  # loaded once (per temperature), for the table and the figure
    rows, paintings, facts = colorize_rows(data, artist, methods, limit, tune_percent)
    gray, mean, *_ = rows  # colorize_rows puts the two baselines first
    what = f"tune paintings ({tune_percent}% of the training split)" if tune_percent else "held-out paintings"
    text = (f"### {facts['artist']}: {facts['paintings']} {what}"
            f" ({facts['colourless_left_out']} colourless left out)\n\n{colorize_table(gray, mean, rows[2:])}")  # fmt: skip
    if fig:
        figure(paintings[:4], methods, paintings[:4], gray=True, path=fig)
    if write:
        temperature = temperatures[0] if temperatures else None  # main() lets --write through with one at most
        for m in models:
            row = model_row(rows, m)
            write_scores(m, {"split": f"held-out paintings of {facts['artist']} ({facts['paintings']})", **colorize_scores(row),
                             "targets": targets_cell(row, gray, mean)}, temperature)
    return text


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
        for m in models:
            rows = [r for rs in results.values() for r in rs]
            scores = {"split": f"maps val pairs ({len(pairs)}), scored at {MAPS_SIDE} px", **maps_scores(model_row(rows, m))}
            if (snapped := model_row(rows, m, snapped=True)) is not None:
                scores["with_palette"] = maps_scores(snapped)
            write_scores(m, scores)
    return text


def shipped(weights: Path) -> tuple[dict[str, list[str]], list[str]]:
    """The colorizers in `weights/` grouped by artist, and the maps models."""
    artists: dict[str, list[str]] = {}
    maps = []
    for cfg in sorted(weights.glob(f"*/{CONFIG_FILE}")):
        config = read_config(cfg.parent)
        if config.get("task") == "maps":
            maps.append(str(cfg.parent))
        elif config.get("artist"):
            artists.setdefault(config["artist"], []).append(str(cfg.parent))
    return artists, maps


@torch.no_grad()
@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.evaluate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=["colorize", "maps"], default="colorize")
    p.add_argument("--data", help="paintings folder (images/ + artists.csv) or maps folder (train/ + val/)")
    p.add_argument("--artist", help="colorize: whose held-out paintings to score on")
    p.add_argument("--model", action="append", default=[], help="model folder or Hub repo id (repeatable)")
    p.add_argument("--all", action="store_true", help="every model in --weights, each on its own artist or on the maps")
    p.add_argument("--weights", default="weights", help="with --all: the folder of model folders")
    p.add_argument("--paintings", default="data/best-artworks", help="with --all: the paintings folder")
    p.add_argument("--maps", default="data/maps", help="with --all: the maps folder")
    p.add_argument("--limit", type=COUNT, help="score at most this many held-out images (quick runs)")
    p.add_argument("--figure", type=Path, help="write a few held-out examples side by side to this PNG")
    p.add_argument("--write", action="store_true", help="store the scores in each model's config.json and model card")
    p.add_argument("--tune-percent", type=PERCENT, default=0, metavar="P", help="colorize: score on the tune split of "
                   "models trained with --tune-percent P instead of the held-out paintings (to choose between candidates)")
    p.add_argument("--temperature", type=POSITIVE, action="append", metavar="T", help="colorize: score models with a*b* "
                   "classes at this temperature instead of their own (repeatable; with --write, once: it is stored too)")
    p.add_argument("--fit-gain", action="store_true", help="colorize, with --tune-percent: choose each Lab model's colour gain on the "
                   f"tune paintings ({', '.join(f'{g:g}' for g in GAINS)}; the most targets met, then the lowest CIEDE2000) and store it")
    args = p.parse_args(argv)
    if args.figure and (blocker := file_in_the_way(args.figure.parent)):
        p.error(f"--figure {args.figure}: {blocker} is a file, not a folder")
    if args.fit_gain and (not args.tune_percent or args.write or args.all or args.temperature or args.task == "maps"):
        p.error("--fit-gain chooses on the tune paintings of given colorizers: give --tune-percent P (never the held-out"
                " paintings), and not --write, --all, --temperature or --task maps")
    if args.temperature and (args.all or args.task == "maps" or (args.write and len(args.temperature) > 1)):
        p.error("--temperature is for given colorizers, and --write stores one temperature")
    if args.tune_percent and (args.write or args.all or args.task == "maps"):
        p.error("--tune-percent scores given colorizers for choosing between them: not with --write, --all or --task maps")
    if args.all:
        artists, maps = shipped(Path(args.weights))
        if not artists and not maps:
            raise ModelError(f"--all: no model folders (config.json + model.safetensors) in {args.weights}")
        for artist, models in artists.items():
            fig = args.figure and args.figure.with_name(f"{args.figure.stem}_{artist.lower().replace(' ', '-')}{args.figure.suffix}")
            try:
                print(evaluate_colorize(Path(args.paintings), artist, models, args.limit, fig, args.write) + "\n", flush=True)
            except DataError as e:  # one artist missing from the data does not stop the others
                print(f"### {artist}: not evaluated ({e})\n", flush=True)
        if maps:
            print(evaluate_maps(Path(args.maps), maps, args.limit, args.figure, args.write), flush=True)
    elif not args.data or not args.model:
        p.error("give --data and at least one --model (or --all)")
    elif args.task == "maps":
        print(evaluate_maps(Path(args.data), args.model, args.limit, args.figure, args.write))
    else:
        if not args.artist:
            p.error("colorize needs --artist")
        if args.fit_gain:
            print(fit_gain(Path(args.data), args.artist, args.model, args.tune_percent))
            return 0
        print(evaluate_colorize(Path(args.data), args.artist, args.model, args.limit, args.figure, args.write, args.tune_percent,
                                args.temperature))
    return 0


if __name__ == "__main__":
    sys.exit(main())
