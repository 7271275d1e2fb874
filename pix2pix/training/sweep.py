"""The colour-hint sweep: a hint colorizer scored against the number of hints it is given, hints sampled from the
real image as Zhang et al. (2017) sample them for their Fig. 6 (`hints.sampled_hints`, a fixed seed per image and
count), through `Translator(..., hints=...)` as users call it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from tqdm import tqdm

from ..hints import hex_to_rgb, sampled_hints
from ..infer import Translator
from .metrics import ciede2000, colourfulness, psnr

COUNTS = (0, 1, 2, 5, 10, 20, 50, 100)
# Zhang et al.'s published sweep (1,000 ImageNet validation images at 256 px; richzhang/colorization-pytorch,
# resources/psnrs_siggraph.npy): PSNR in dB by the number of hints
ZHANG_PSNR = {0: 24.43, 1: 25.37, 2: 26.20, 5: 27.39, 10: 28.42, 20: 29.34, 50: 30.42, 100: 31.13}
GAIN_TARGETS = {10: 2.5, 100: 5.0}  # dB over no hints, on every held-out set
HINTED_TARGET = 5.0  # the most CIEDE2000 between a hinted pixel and its hint colour


@dataclass
class Sweep:
    """Per-image scores at each number of hints, and the colour error at each hinted pixel."""

    name: str
    psnr: dict[int, list[float]] = field(default_factory=dict)
    ciede: dict[int, list[float]] = field(default_factory=dict)
    colourful: dict[int, list[float]] = field(default_factory=dict)
    real_colourful: list[float] = field(default_factory=list)
    hinted: list[float] = field(default_factory=list)

    def mean(self, scores: dict[int, list[float]], n: int) -> float:
        return float(np.mean(scores[n]))

    def gain(self, n: int) -> float:
        return self.mean(self.psnr, n) - self.mean(self.psnr, 0)


def hinted_error(fake: np.ndarray, hints: Sequence) -> list[float]:
    """CIEDE2000 between each hint's pixel in the output and the hint's colour at the output's own lightness (a
    hint gives colour, not lightness)."""
    if not hints:
        return []
    at = np.array([fake[y, x] for x, y, *_ in hints], dtype=np.uint8)[None]
    want = np.array([hex_to_rgb(h[2]) for h in hints], dtype=np.uint8)[None]
    out, goal = rgb2lab(at)[0], rgb2lab(want)[0]
    goal[:, 0] = out[:, 0]
    return list(deltaE_ciede2000(out, goal))


def sweep(name: str, translator: Translator, images: list[np.ndarray], counts: Sequence[int] = COUNTS,
          seed: int = 0) -> Sweep:  # fmt: skip
    """Score `translator` on `images` (each one's gray is its input) at each number of hints in `counts`."""
    result = Sweep(name)
    for i, real in enumerate(tqdm(images, desc=f"hint sweep: {name}", leave=False)):
        result.real_colourful.append(colourfulness(real))
        for n in counts:
            hints = sampled_hints(real, n, np.random.default_rng([seed, i, n]))
            fake = np.asarray(translator(real, hints=hints).generated)
            result.psnr.setdefault(n, []).append(psnr(fake, real))
            result.ciede.setdefault(n, []).append(ciede2000(fake, real))
            result.colourful.setdefault(n, []).append(colourfulness(fake))
            result.hinted += hinted_error(fake, hints)
    return result


def missed(s: Sweep, automatic: dict | None = None) -> list[str]:
    """The hint targets `s` misses: the gains at 10 and 100 hints, the hinted pixels' colour and, given the automatic
    model's scores on the same images (`psnr`, `ciede2000`, `colourfulness_ratio`), staying as good without hints."""
    out = [f"+{gain:g} dB at {n}" for n, gain in GAIN_TARGETS.items() if n in s.psnr and s.gain(n) < gain]
    if s.hinted and np.mean(s.hinted) > HINTED_TARGET:
        out.append(f"hinted pixels within CIEDE2000 {HINTED_TARGET:g}")
    if automatic and 0 in s.psnr:
        ratio = s.mean(s.colourful, 0) / max(float(np.mean(s.real_colourful)), 1e-9)
        plain = (automatic["psnr"], automatic["ciede2000"], automatic["colourfulness_ratio"])
        if not keeps_automatic((s.mean(s.psnr, 0), s.mean(s.ciede, 0), ratio), plain):
            out.append("without hints as good as the automatic model")
    return out


def keeps_automatic(scores: tuple[float, float, float], automatic: tuple[float, float, float]) -> bool:
    """Whether colours without hints (PSNR dB, CIEDE2000, colourfulness ratio) are as good as the automatic model's
    on the same images: at most 0.3 dB and 0.3 CIEDE2000 worse, the colourfulness within 0.05."""
    (psnr_db, ciede, ratio), (psnr_auto, ciede_auto, ratio_auto) = scores, automatic
    return psnr_db >= psnr_auto - 0.3 and ciede <= ciede_auto + 0.3 and abs(ratio - ratio_auto) <= 0.05


def sweep_table(sweeps: list[Sweep], what: str, automatic: dict[str, dict] | None = None) -> str:
    """PSNR (and CIEDE2000) by number of hints, one row per model, Zhang et al.'s anchor last."""
    counts = sorted(next(iter(s.psnr for s in sweeps)))
    lines = [f"| {what} | " + " | ".join(f"{n} hints" for n in counts) + " | hinted pixel CIEDE2000 | targets missed |",
             "|---|" + "---:|" * (len(counts) + 1) + "---|"]
    for s in sweeps:
        cells = [f"{s.mean(s.psnr, n):.2f} / {s.mean(s.ciede, n):.2f}" for n in counts]
        hinted = f"{np.mean(s.hinted):.2f}" if s.hinted else "-"
        miss = ", ".join(missed(s, (automatic or {}).get(s.name))) or "none"
        lines.append(f"| {s.name} | " + " | ".join(cells) + f" | {hinted} | {miss} |")
    anchor = [f"{ZHANG_PSNR[n]:.2f}" if n in ZHANG_PSNR else "-" for n in counts]
    lines.append("| Zhang et al. 2017, ImageNet (PSNR only) | " + " | ".join(anchor) + " | - | - |")
    return "\n".join(lines)


def sweep_scores(s: Sweep) -> dict:
    """What `--write` stores: PSNR and CIEDE2000 by number of hints, the gains and the hinted pixels' error."""
    return {
        "psnr_db": {str(n): round(s.mean(s.psnr, n), 2) for n in s.psnr},
        "ciede2000": {str(n): round(s.mean(s.ciede, n), 2) for n in s.ciede},
        **({"gain_db": {str(n): round(s.gain(n), 2) for n in GAIN_TARGETS if n in s.psnr}} if 0 in s.psnr else {}),
        **({"hinted_ciede2000": round(float(np.mean(s.hinted)), 2)} if s.hinted else {}),
    }
