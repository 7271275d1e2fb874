"""Maps scored as the literature scores them: the val pairs translated at their own 600 px and scored at 256x256
like the GcGAN / DistanceGAN papers (RMSE and PSNR on 0..255 RGB, SSIM, and the share of pixels within delta = 5
on every channel), next to the best constant colour."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from ..palette import DELTA, learn_palette
from .data import list_images, read_pair
from .metrics import delta_accuracy, psnr, rmse, ssim
from .scoring import Method, Row

MAPS_SIDE = 256  # the literature's resolution for maps (its tolerance is palette.DELTA)
Pair = tuple[np.ndarray, np.ndarray]


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


def maps_rows(data: Path, models: dict[str, dict[str, Method]], limit: int | None = None) -> tuple[dict[str, list[Row]],
                                                                                                   list[Pair]]:  # fmt: skip
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
    lines = [f"**{title}**", "", f"| method | accuracy (delta {DELTA}) | RMSE | PSNR dB | SSIM | ms / 600 px tile |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = [r.name, f"{100 * r.mean('acc'):.1f}%", f"{r.mean('rmse'):.2f}", f"{r.mean('psnr'):.2f}", f"{r.mean('ssim'):.3f}",
                 f"{1000 * np.mean(r.seconds):.0f}"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def maps_scores(row: Row) -> dict[str, float]:
    return {f"accuracy_delta{DELTA}": round(row.mean("acc"), 4), "rmse": round(row.mean("rmse"), 2),
            "psnr_db": round(row.mean("psnr"), 2), "ssim": round(row.mean("ssim"), 3),
            "ms_per_tile": round(1000 * float(np.mean(row.seconds)))}  # fmt: skip
