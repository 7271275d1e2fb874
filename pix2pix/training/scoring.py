"""What a colorizer is scored by: one method's scores over a set of images (through the app's own `Translator`,
so the numbers are what users get), the colour targets, and the rule that chooses between candidates on the tune
paintings (the trainer's `--keep-best` and `fit_transfer`).

Colour is judged as the colorization literature judges it: the colourfulness (Hasler and Suesstrunk 2003) of the
generated images over that of the real ones, and the palette distance (Jensen-Shannon divergence, in bits, of the
pooled a*b* histograms: `hues`); PSNR, SSIM and the mean CIEDE2000 colour error stay as guards, since per-pixel
error rewards grey.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..color import cv_lab_to_rgb, cv_rgb_to_lab, mean_chroma
from ..hub import Judge, Pix2PixGenerator
from ..images import ImageError, load_image
from ..infer import Translator, to_image, to_tensor
from .data import MIN_CHROMA, DataError, painting_files
from .hues import ab_histogram, palette_distance
from .metrics import ciede2000, colourfulness, psnr, ssim

PAINTING_SIDE = 512  # held-out paintings are scored at most this large (Titian's reach 2,400 px)
RATIO_TARGET = (0.8, 1.2)  # colourfulness generated / real a colorizer should reach: neither gray nor garish
PALETTE_TARGET = (0.05, 0.08)  # the most palette distance a colorizer may show; the second where under 25 images are held out
ERROR_TARGET = {"paintings": 1.25, "photos": 1.15}  # the most CIEDE2000 a colorizer may show, as a multiple of gray's
TARGETS = (f"colourfulness {RATIO_TARGET[0]:g}-{RATIO_TARGET[1]:g}", "palette distance", "CIEDE2000 near gray's")
GRAY = "baseline: gray (a*b* = 0)"  # the baseline the colour error target is measured against
Method = Callable[[np.ndarray], np.ndarray]  # (H, W, 3) uint8 input -> (H, W, 3) uint8 output


@dataclass
class Row:
    """One method's scores over a set: per-image metric lists plus timing."""

    name: str
    scores: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    hist_fake: np.ndarray | float = 0.0  # the pooled a*b* histograms of the outputs and of the real images
    hist_real: np.ndarray | float = 0.0
    kind: str = "paintings"  # or "photos": what was scored, for the colour error target

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


def gray_baseline() -> dict[str, Method]:
    """The baseline the colour targets are measured against (the input's lightness, a*b* = 0), by its label."""
    return {GRAY: lab_baseline((0.0, 0.0))}


def read_scored(path: Path) -> np.ndarray:
    """One image to score or to learn a palette from, at most `PAINTING_SIDE` px, read as the app reads a photo. A file
    that cannot be read stops the evaluation, naming it: scored without it, the set would not be the one asked for."""
    try:
        return load_image(path, PAINTING_SIDE)[0]
    except ImageError as e:
        raise ImageError(f"{path}: {e}") from None


def mean_ab(files: list[Path]) -> tuple[float, float]:
    """The average a*b* of the artist's training paintings in colour (each painting weighs the same)."""
    means = []
    for f in tqdm(files, desc="mean a*b* of the training paintings", leave=False):
        rgb = read_scored(f)
        if mean_chroma(rgb) >= MIN_CHROMA:
            means.append(cv_rgb_to_lab(to_tensor(rgb))[0, 1:].mean((1, 2)).numpy())
    a, b = np.mean(means, axis=0)
    return float(a), float(b)


def load_models(models: list[str | Path]) -> dict[str | Path, Translator]:
    """Each model loaded once, as the app runs it."""
    return {m: Translator.load(m, fast=True) for m in models}


def model_methods(models: list[str | Path], snap: bool = False,
                  loaded: dict[str | Path, Translator] | None = None) -> dict[str, Method]:  # fmt: skip
    """Each model (from `loaded` where given) as a method named "<folder>: <what it does>" (the whole path where two
    folders share a name); with `snap`, also its palette-snapped variant."""
    loaded = loaded or load_models(models)
    names = [Path(m).name for m in models]
    out = {}
    for m, name in zip(models, names):
        t = loaded[m]
        label = f"{name if names.count(name) == 1 else m}: {t.name}"
        out[label] = translator_method(t)
        if snap and t.can_snap:
            out[f"{label} + palette"] = translator_method(t, snap=True)
    return out


def score(name: str, method: Method, paintings: list[np.ndarray], kind: str = "paintings") -> Row:
    """One method's colorization scores and timings over `paintings` (each one's grayscale is its input)."""
    row = Row(name, kind=kind)
    for real in tqdm(paintings, desc=name, leave=False):
        start = time.perf_counter()
        fake = method(real)
        row.seconds.append(time.perf_counter() - start)
        row.add(**colorize_metrics(fake, real))
        row.hist_fake = row.hist_fake + ab_histogram(fake)
        row.hist_real = row.hist_real + ab_histogram(real)
    return row


def colorize_metrics(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    return {"psnr": psnr(fake, real), "ciede2000": ciede2000(fake, real), "ssim": ssim(fake, real),
            "colourful_fake": colourfulness(fake), "colourful_real": colourfulness(real)}  # fmt: skip


def coloured_images(files: list[Path]) -> tuple[list[np.ndarray], int]:
    """The images of `files` that are in colour (at most `PAINTING_SIDE` px), and how many were left out."""
    decoded = [read_scored(f) for f in tqdm(files, desc="decoding", leave=False)]
    coloured = [p for p in decoded if mean_chroma(p) >= MIN_CHROMA]
    return coloured, len(decoded) - len(coloured)


# --- the targets, and the tables ---------------------------------------------------------------------------

def missed_targets(row: Row, gray: Row) -> list[str]:
    """The colorization targets `row` misses, of the three in `TARGETS`: colourfulness within the band (neither gray
    nor garish), a palette close to the real one (`PALETTE_TARGET`), and a colour error at most `ERROR_TARGET` times
    gray's (colour may be a plausible guess, not noise). Per-pixel error guards; it is not the master, since it
    rewards grey."""
    ratio = colourfulness_ratio(row)
    most = PALETTE_TARGET[0] if len(row.seconds) >= 25 else PALETTE_TARGET[1]
    met = (RATIO_TARGET[0] <= ratio <= RATIO_TARGET[1], palette_of(row) <= most,
           row.mean("ciede2000") <= ERROR_TARGET[row.kind] * gray.mean("ciede2000"))
    return [name for name, ok in zip(TARGETS, met) if not ok]


def targets_met(row: Row, gray: Row) -> int:
    """How many of the colorization targets `row` meets (`missed_targets`)."""
    return len(TARGETS) - len(missed_targets(row, gray))


def palette_of(row: Row) -> float:
    """The palette distance (bits) between what the method painted and the real images, pooled over the set."""
    return palette_distance(np.asarray(row.hist_fake), np.asarray(row.hist_real))


def colourfulness_ratio(row: Row) -> float:
    """Generated over real colourfulness, to three places: the targets' bounds (0.8-1.2) must not be rounded onto."""
    return row.mean("colourful_fake") / max(row.mean("colourful_real"), 1e-9)


def targets_cell(row: Row, gray: Row) -> str:
    missed = missed_targets(row, gray)
    return f"{len(TARGETS) - len(missed)} of {len(TARGETS)}" + (f" (missed: {', '.join(missed)})" if missed else "")


def colorize_table(baselines: list[Row], models: list[Row]) -> str:
    """The baselines' (gray first) and the models' scores, with the targets each model meets against gray."""
    lines = ["| method | PSNR dB | CIEDE2000 | SSIM | colourfulness gen/real | palette distance | ms / image | targets met |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    gray = baselines[0]
    for r, targets in [*((b, "") for b in baselines), *((m, targets_cell(m, gray)) for m in models)]:
        ms = f"{1000 * np.mean(r.seconds):.0f}"
        cells = [r.name, f"{r.mean('psnr'):.2f}", f"{r.mean('ciede2000'):.2f}", f"{r.mean('ssim'):.3f}",
                 f"{colourfulness_ratio(r):.3f}", f"{palette_of(r):.3f}", ms, targets]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def colorize_scores(row: Row) -> dict[str, float]:
    return {"psnr_db": round(row.mean("psnr"), 2), "ciede2000": round(row.mean("ciede2000"), 2),
            "ssim": round(row.mean("ssim"), 3), "colourfulness_ratio": round(colourfulness_ratio(row), 3),
            "palette_distance": round(palette_of(row), 3), "ms_per_image": round(1000 * float(np.mean(row.seconds)))}  # fmt: skip


def model_row(rows: list[Row], model: str | Path, snapped: bool = False) -> Row | None:
    return next((r for r in rows if is_label_of(r.name, model) and r.name.endswith(" + palette") == snapped), None)


def is_label_of(label: str, model: str | Path) -> bool:
    """Whether a method's label (`model_methods`: "<folder>: ..." or, where two folders share a name, "<path>: ...")
    names `model`."""
    return label.startswith((f"{Path(model).name}: ", f"{model}: "))


# --- the rule between candidates ---------------------------------------------------------------------------

def tune_judge(data: Path, artists: list[str], tune_percent: int) -> Judge:
    """For the trainer's `--keep-best`: scores a generator on the tune paintings through `Translator`, as
    `--tune-percent` does, with the rule used to choose between candidates (`judge_on`)."""
    paintings = coloured_images(painting_files(data, artists, "tune", tune_percent=tune_percent)[1])[0]
    if not paintings:
        raise DataError(f"the tune split of {', '.join(artists)} has no paintings in colour: raise --tune-percent")
    return judge_on(paintings)


def judge_on(images: list[np.ndarray], kind: str = "paintings") -> Judge:
    """Scores a generator on `images` through `Translator` with the rule used to choose between candidates: the most
    targets met (`targets_met`), then the closer palette. Returns its sort key (lower is better) and its scores; the
    gray baseline, which the targets are measured against, is scored once."""
    gray = score(GRAY, lab_baseline((0.0, 0.0)), images, kind=kind)

    def judge(G: Pix2PixGenerator) -> tuple[list[float], dict]:
        row = score(f"judging on the tune {kind}", translator_method(Translator(copy.deepcopy(G).float().cpu(),
                                                                                fast=True)), images, kind=kind)
        met = targets_met(row, gray)
        return rule_key(row, met), tune_scores(row, met)

    return judge


def rule_key(row: Row, met: int) -> list[float]:
    """The rule between candidates as a sort key (lower is better): the most targets met, then the closer palette."""
    return [-met, round(palette_of(row), 4)]


def tune_scores(row: Row, met: int) -> dict[str, float]:
    """A candidate's scores on the tune paintings as stored (three places for the colour error and the ratio)."""
    return {"targets_met": met, "psnr_db": round(row.mean("psnr"), 2), "ciede2000": round(row.mean("ciede2000"), 3),
            "colourfulness_ratio": round(colourfulness_ratio(row), 3), "palette_distance": round(palette_of(row), 4)}
