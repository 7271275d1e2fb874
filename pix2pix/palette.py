"""Map palettes: the few flat colours maps are drawn with, and snapping a generated map onto them.

A generated map is slightly off-colour everywhere, and the delta-5 protocol counts such pixels wrong; snapping
replaces each pixel by a palette colour. Everything snapping uses is learnt from training maps, never set by
hand: the colours (greedy modes of the pixel histogram: each is the centre of the most pixels within the
protocol's tolerance), a per-colour bias on the distance that settles close calls the way the training maps
do, and the window of a majority vote that removes stray pixels.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
from scipy.ndimage import uniform_filter

DELTA = 5  # the delta-5 protocol: a pixel is right when every channel is within 4 levels
BIAS_STEPS = (640.0, 320.0, 160.0, 80.0, 40.0, 20.0)  # coordinate-search moves of a bias, in squared 0..255 levels
WINDOWS = (1, 5, 9, 13)  # majority-vote windows tried, in output pixels (1: none)
SUBSAMPLE = 4  # the bias search counts every 4th scorable pixel: 4x faster


def learn_palette(pixels: np.ndarray, colours: int, delta: int = DELTA) -> list[list[int]]:
    """`colours` RGB colours from uint8 pixels (..., 3), most common first: each is the colour whose
    tolerance box holds the most pixels not yet covered, away from the boxes already chosen."""
    packed = pixels.reshape(-1, 3).astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    counts = np.bincount(packed, minlength=1 << 24).reshape(256, 256, 256).astype(np.float32)
    reach = 2 * delta - 1
    out: list[list[int]] = []
    for _ in range(colours):
        box = uniform_filter(counts, size=reach, mode="constant")
        peak = np.unravel_index(int(box.argmax()), box.shape)
        if box[peak] <= 0:
            break  # fewer distinct colours than asked for
        centre = plateau_centre(box, peak, reach)
        out.append(centre)
        lo = [max(0, c - reach) for c in centre]
        counts[lo[0] : centre[0] + reach + 1, lo[1] : centre[1] + reach + 1, lo[2] : centre[2] + reach + 1] = 0
    return out


def plateau_centre(box: np.ndarray, peak: tuple[int, ...], reach: int) -> list[int]:
    """The middle of the colours near `peak` whose box holds as many pixels as the peak's: a tight cluster fits
    in many boxes, and the first maximum (argmax) would sit at its low corner."""
    lo = [max(0, p - reach) for p in peak]
    near = box[lo[0] : peak[0] + reach + 1, lo[1] : peak[1] + reach + 1, lo[2] : peak[2] + reach + 1]
    ties = np.argwhere(near >= box[peak] * (1 - 1e-6))
    return [int(round(c)) for c in ties.mean(0) + lo]


def distances(rgb: torch.Tensor, palette: list[list[int]], bias: list[float] | None = None) -> torch.Tensor:
    """(K, H, W) squared distances in 0..255 levels from (1, 3, H, W) RGB in [0, 1] to each palette colour,
    plus each colour's bias."""
    colours = torch.tensor(palette, dtype=torch.float32)
    offsets = torch.tensor(bias or [0.0] * len(palette), dtype=torch.float32)
    # one colour at a time: memory stays at one image per colour, with no (K, 3, H, W) intermediate
    return torch.stack([((rgb[0] * 255 - c[:, None, None]) ** 2).sum(0) + o for c, o in zip(colours, offsets)])


def majority(labels: torch.Tensor, colours: int, window: int) -> torch.Tensor:
    """Each pixel of an (H, W) label map replaced by the most common label in the `window` around it (ties go
    to the lower label; near the border only the part inside the image counts)."""
    if window <= 1:
        return labels
    flat = labels.numpy()
    best, out = np.full(flat.shape, -1, dtype=np.int32), flat.copy()
    for k in range(colours):  # OpenCV's box sums: about 6x faster than pooling in torch on a CPU
        count = cv2.boxFilter((flat == k).astype(np.uint8), cv2.CV_16U, (window, window), normalize=False,
                              borderType=cv2.BORDER_CONSTANT)
        more = count > best
        best, out = np.where(more, count, best), np.where(more, k, out)
    return torch.from_numpy(out)


def snap_labels(rgb: torch.Tensor, palette: list[list[int]], bias: list[float] | None = None, window: int = 1) -> torch.Tensor:
    """(H, W) index of the palette colour each pixel of (1, 3, H, W) RGB in [0, 1] snaps to."""
    return majority(distances(rgb, palette, bias).argmin(0), len(palette), window)


def snap_to_palette(rgb: torch.Tensor, palette: list[list[int]], bias: list[float] | None = None,
                    window: int = 1) -> torch.Tensor:
    """(1, 3, H, W) RGB in [0, 1] with every pixel replaced by the palette colour it snaps to."""
    colours = torch.tensor(palette, dtype=torch.float32) / 255
    return colours[snap_labels(rgb, palette, bias, window)].permute(2, 0, 1)[None]


def true_labels(real: np.ndarray, palette: list[list[int]], delta: int = DELTA) -> torch.Tensor:
    """(H, W) index of the palette colour within `delta` of each pixel of a real uint8 map, or -1 where none is
    (JPEG fringes, labels, edges): no snap can score such a pixel."""
    gap = np.abs(real[:, :, None, :].astype(np.int16) - np.array(palette, dtype=np.int16)[None, None]).max(-1)
    return torch.from_numpy(np.where(gap.min(-1) < delta, gap.argmin(-1), -1))


def fit_snap(outputs: list[torch.Tensor], reals: list[np.ndarray], palette: list[list[int]]) -> tuple[list[float], int, float]:
    """The per-colour bias and majority window under which snapped `outputs` (generated maps, (1, 3, H, W) in
    [0, 1]) match the palette colours of `reals` (the true maps, uint8) on the most pixels. Returns the bias,
    the window and that share of pixels (of those a palette colour can match)."""
    truths = [true_labels(r, palette) for r in reals]
    dists, picked = [], []
    for output, truth in zip(outputs, truths):  # only the sampled, scorable pixels are kept: memory stays small
        keep = (truth.flatten() >= 0).nonzero()[:, 0][::SUBSAMPLE]
        dists.append(distances(output, palette).flatten(1)[:, keep])
        picked.append(truth.flatten()[keep])
    dist, truth = torch.cat(dists, dim=1), torch.cat(picked)  # (K, pixels), (pixels,)

    def hits(bias: torch.Tensor) -> int:
        return int(((dist + bias[:, None]).argmin(0) == truth).sum())

    bias = torch.zeros(len(palette))
    best = hits(bias)
    for step in BIAS_STEPS:  # coordinate search, coarse to fine
        for k in range(len(palette)):
            for move in (-step, step):
                trial = bias.clone()
                trial[k] += move
                if (score := hits(trial)) > best:
                    best, bias = score, trial
    bias_list = [round(float(b), 1) for b in bias]
    nearest = [distances(o, palette, bias_list).argmin(0) for o in outputs]  # once; each window only votes
    window_hits = {
        window: sum(int(((majority(n, len(palette), window) == t) & (t >= 0)).sum()) for n, t in zip(nearest, truths))
        for window in WINDOWS
    }
    window = max(WINDOWS, key=lambda w: (window_hits[w], -w))
    return bias_list, window, window_hits[window] / sum(int((t >= 0).sum()) for t in truths)
