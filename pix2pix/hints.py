"""Colour hints: a few points or strokes of known colour that a hint colorizer spreads along the photo's structure
(user-guided colorization, Zhang et al., SIGGRAPH 2017).

A hint image has three planes beside the network's L: the hints' a*b* (scaled as the model's output, zero where no
hint is) and a mask (1 where a hint is given). Users give hints as `(x, y, "#rrggbb"[, radius])` in the input image's
pixels or as an RGBA layer the size of the image; only the colour's a*b* count, the photo keeps its own lightness.
Training simulates users as Zhang et al. did (`simulated_hints`); the evaluation samples hints from the real image
(`sampled_hints`).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from typing import Union

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .color import cv_rgb_to_lab
from .errors import UserError

MAX_HINTS = 1000  # more points than any user paints: a bigger list is a mistake (or an attack), refused
MAX_RADIUS = 256
DEFAULT_RADIUS = 1  # a 3x3 px patch
STROKE_CELLS = 32  # a painted layer becomes at most one point per cell of a 32 x 32 grid (`layer_points`)
MAX_STROKE_POINTS = 20_000  # far more than hands paint: a longer list is a mistake (or an attack), refused
HEX = re.compile(r"#[0-9a-fA-F]{6}")
Hint = Sequence  # (x, y, "#rrggbb") or (x, y, "#rrggbb", radius)
Hints = Union[Sequence[Hint], np.ndarray, Image.Image, None]
Stroke = tuple[str, float, Sequence[Sequence[float]]]  # ("#rrggbb", radius, [(x, y), ...]) in the photo's pixels


class HintError(UserError, ValueError):
    """Hints that cannot be used (outside the image, a bad colour, too many), with a message that says which."""


def hex_to_rgb(colour: object) -> tuple[int, int, int]:
    if not isinstance(colour, str) or not HEX.fullmatch(colour.strip()):
        raise HintError(f"a hint colour must be a string '#rrggbb', got {colour!r}")
    text = colour.strip()
    return int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16)


def rgb_to_hex(rgb: Sequence[float]) -> str:
    return "#" + "".join(f"{int(np.clip(round(float(c)), 0, 255)):02x}" for c in rgb)


def _ab_of(rgb: np.ndarray) -> torch.Tensor:
    """(..., 3) uint8 RGB -> (2, ...) a*b* (the colour's own lightness is dropped)."""
    flat = torch.from_numpy(np.ascontiguousarray(rgb.reshape(1, -1, 3), dtype=np.float32) / 255).permute(2, 0, 1)[None]
    return cv_rgb_to_lab(flat)[0, 1:].reshape(2, *rgb.shape[:-1])


def _number(value: object, what: str, i: int) -> float:
    """A coordinate or radius as a float: any real number (NumPy's too, as array code hands them over), not a bool."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise HintError(f"hint {i}: {what} must be a number, got {value!r}")
    return float(value)


def checked(hints: Sequence[Hint], source: tuple[int, int],
            limit: int | None = MAX_HINTS) -> list[tuple[float, float, tuple[int, int, int], float]]:  # fmt: skip
    """`hints` as (x, y, rgb, radius) in the pixels of the `source` (h, w) image; raises `HintError` naming the first
    that cannot be used (outside the image, a bad colour or radius) or saying there are more than `limit`."""
    if limit is not None and len(hints) > limit:
        raise HintError(f"{len(hints)} hints given: at most {limit}")
    h0, w0 = source
    out = []
    for i, hint in enumerate(hints):
        if isinstance(hint, (str, bytes)) or not isinstance(hint, Sequence) or len(hint) not in (3, 4):
            raise HintError(f"hint {i}: expected [x, y, '#rrggbb'] or [x, y, '#rrggbb', radius], got {hint!r}")
        x, y = _number(hint[0], "x", i), _number(hint[1], "y", i)
        r = _number(hint[3], "the radius", i) if len(hint) == 4 else DEFAULT_RADIUS
        if not (0 <= x < w0 and 0 <= y < h0):
            raise HintError(f"hint {i} at ({x:g}, {y:g}) is outside the {w0}x{h0} image")
        if not 0 <= r <= MAX_RADIUS:
            raise HintError(f"hint {i}: the radius must be from 0 to {MAX_RADIUS} px, got {r:g}")
        out.append((x, y, hex_to_rgb(hint[2]), r))
    return out


def point_planes(hints: Sequence[Hint], source: tuple[int, int], size: tuple[int, int],
                 limit: int | None = MAX_HINTS) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """(a*b*, mask) planes of `size` (h, w) from points in the pixels of the `source` (h, w) image: each a square of
    side 2 * radius + 1 around (x, y), at least one pixel of `size`. Later hints cover earlier ones."""
    points = checked(hints, source, limit)
    (h0, w0), (h, w) = source, size
    ab, mask = torch.zeros(2, h, w), torch.zeros(1, h, w)
    if not points:
        return ab, mask
    colour_ab = _ab_of(np.array([rgb for _, _, rgb, _ in points], dtype=np.uint8))  # every colour converted at once
    for k, (x, y, _, r) in enumerate(points):
        (y0, y1), (x0, x1) = _span(y, r, h0, h), _span(x, r, w0, w)
        ab[:, y0:y1, x0:x1] = colour_ab[:, k, None, None]
        mask[:, y0:y1, x0:x1] = 1
    return ab, mask


def _span(centre: float, radius: float, source: int, size: int) -> tuple[int, int]:
    """The pixels of an axis of length `size` that the source pixels [centre - radius, centre + radius] cover."""
    s = size / source
    lo = int(np.floor(max(0.0, np.floor(centre) - radius) * s))
    hi = int(np.ceil(min(float(source), np.floor(centre) + radius + 1) * s))
    return min(lo, size - 1), max(hi, min(lo, size - 1) + 1)


def layer_planes(layer: np.ndarray | Image.Image, source: tuple[int, int], size: tuple[int, int]) -> tuple[torch.Tensor,
                                                                                                           torch.Tensor]:
    """(a*b*, mask) planes of `size` from an RGBA layer the size of the `source` image: its opaque pixels (alpha at
    least 128) are hints in their own colour, read as points (`layer_points`)."""
    rgba = _rgba(layer)
    if rgba.shape[:2] != tuple(source):
        raise HintError(f"the hint layer is {rgba.shape[1]}x{rgba.shape[0]}: it must be the image's size, "
                        f"{source[1]}x{source[0]}")  # fmt: skip
    return point_planes(layer_points(rgba), source, size, limit=None)  # at most STROKE_CELLS ** 2 points: no limit


def _rgba(layer: np.ndarray | Image.Image) -> np.ndarray:
    """A hint layer as an (h, w, 4) uint8 array. An image without transparency is refused: every pixel of it would be
    a hint, the whole photo repainted in the layer's colours (a drawing saved as JPEG, say)."""
    if isinstance(layer, Image.Image):
        if not layer.has_transparency_data:
            raise HintError(f"a hint layer must be an image with transparency (RGBA), its hints opaque and the rest "
                            f"transparent; this {layer.mode} image has none")  # fmt: skip
        layer = layer.convert("RGBA")
    rgba = np.asarray(layer)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise HintError(f"a hint layer must be an RGBA uint8 image, got an array of shape {rgba.shape} ({rgba.dtype})")
    return rgba


def stroke_layer(strokes: Sequence[Stroke], source: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Brush strokes given in the pixels of the `source` (h, w) image, drawn as the app's brush paints them into an
    RGBA layer of `size` (h, w): the one drawing of strokes, for the app's brush and the hint figure alike, read
    by the models as any painted layer (`layer_points`). Raises `HintError` for a bad colour, a point that is not a
    number, or more than `MAX_STROKE_POINTS` points."""
    (h0, w0), (h, w) = source, size
    layer, total = np.zeros((h, w, 4), np.uint8), 0
    for colour, radius, points in strokes:
        rgba = (*hex_to_rgb(colour), 255)
        xy = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        total += len(xy)
        if total > MAX_STROKE_POINTS or not np.isfinite(xy).all() or not np.isfinite(float(radius)):
            raise HintError(f"strokes of more than {MAX_STROKE_POINTS} points, or with a value that is not a number")
        r = max(1, round(min(float(radius), MAX_RADIUS) * min(h / h0, w / w0)))
        pixels = np.round(np.clip(xy * (w / w0, h / h0), -r, max(h, w) + r)).astype(np.int32)
        if len(pixels) == 1:
            cv2.circle(layer, tuple(int(v) for v in pixels[0]), r, rgba, thickness=-1)
        else:
            cv2.polylines(layer, [pixels], isClosed=False, color=rgba, thickness=2 * r + 1)
    return layer


def layer_points(rgba: np.ndarray, cells: int = STROKE_CELLS) -> list[tuple[float, float, str, int]]:
    """A painted layer as points: one in each cell of a `cells` x `cells` grid over the image that holds opaque
    pixels, at their centre and of their mean colour, a quarter of a cell wide. The models learnt from points
    (Zhang et al.'s simulated users): a solid stroke given whole over-colours and blotches, while points along it
    spread its colour cleanly (docs/hints.md)."""
    h, w = rgba.shape[:2]
    ys, xs = np.nonzero(rgba[..., 3] >= 128)
    if not len(ys):
        return []
    cell = (ys * cells // h) * cells + xs * cells // w
    order = np.argsort(cell, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cell[order]) != 0])
    radius = max(0, round(min(h, w) / cells / 4))
    points = []
    for group in np.split(order, starts[1:]):
        y, x = float(np.median(ys[group])), float(np.median(xs[group]))
        points.append((x, y, rgb_to_hex(_mean_colour(rgba[ys[group], xs[group], :3].astype(np.float64))), radius))
    return points


def shrink(ab: torch.Tensor, mask: torch.Tensor, size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Hint planes averaged down to `size`: a pixel with any hint in it becomes a hint of their mean colour, so no
    hint is lost, however small."""
    if tuple(ab.shape[-2:]) == tuple(size):
        return ab, mask
    area = F.adaptive_avg_pool2d(mask[None], size)[0]
    mean = F.adaptive_avg_pool2d((ab * mask)[None], size)[0] / area.clamp(min=1e-8)
    hinted = (area > 0).float()
    return mean * hinted, hinted


def hint_planes(hints: Hints, source: tuple[int, int], size: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The user's `hints` for an image of `source` (h, w) pixels as (a*b*, mask) planes of `size` (h, w); None for no
    hints. Raises `HintError` with the reason for hints that cannot be used."""
    if hints is None:
        return None
    if isinstance(hints, (np.ndarray, Image.Image)):
        return layer_planes(hints, source, size)
    if isinstance(hints, (str, bytes)) or not isinstance(hints, Sequence):
        raise HintError(f"hints must be a list of [x, y, '#rrggbb'(, radius)] or an RGBA layer, got {type(hints).__name__}")
    return point_planes(hints, source, size) if len(hints) else None


def rescaled(hints: Hints, source: tuple[int, int], size: tuple[int, int]) -> Hints:
    """`hints` given for an image of `source` (h, w) pixels, for the same image at `size`: points are checked against
    the source and moved (their radius scaled); a layer of any size is resized to `size` (a brush canvas need not
    match the photo's pixels)."""
    if hints is None or (isinstance(hints, Sequence) and not isinstance(hints, (str, bytes)) and not len(hints)):
        return None
    if isinstance(hints, (np.ndarray, Image.Image)):
        rgba = _rgba(hints)
        return cv2.resize(rgba, size[::-1], interpolation=cv2.INTER_NEAREST) if rgba.shape[:2] != tuple(size) else rgba
    checked(hints, source)  # refused in the user's own pixels, naming the hint
    (h0, w0), (h, w) = source, size
    return [(min(x * w / w0, w - 1), min(y * h / h0, h - 1), colour, *(r * min(h / h0, w / w0) for r in rest))
            for x, y, colour, *rest in hints]  # fmt: skip


# --- simulated users ---------------------------------------------------------------------------------------

def simulated_hints(ab: torch.Tensor, generator: torch.Generator, p: float = 1 / 8, max_patch: int = 9) -> torch.Tensor:
    """Hint channels (B, 3, H, W) for a batch of real a*b* (B, 2, H, W, in the network's scale) as Zhang et al. train:
    per image a geometric number of hints (probability `p` to stop before each, so 1 in 8 images gets none), each a
    square of 1 to `max_patch` px placed around the centre (standard deviation a quarter of the side) carrying the
    mean real a*b* of its square."""
    b, _, h, w = ab.shape
    hints = torch.zeros(b, 3, h, w, device=ab.device, dtype=ab.dtype)
    for i in range(b):
        while torch.rand(1, generator=generator).item() > p:
            side = int(torch.randint(1, max_patch + 1, (1,), generator=generator))
            y, x = (int(((n - side + 1) / 2 + (n - side + 1) / 4 * torch.randn(1, generator=generator)).clamp(0, n - side))
                    for n in (h, w))  # fmt: skip
            patch = ab[i, :, y : y + side, x : x + side]
            hints[i, :2, y : y + side, x : x + side] = patch.mean((1, 2), keepdim=True)
            hints[i, 2, y : y + side, x : x + side] = 1
    return hints


def sampled_hints(rgb: np.ndarray, n: int, rng: np.random.Generator, patch_at_256: int = 6) -> list[tuple[int, int, str, int]]:
    """`n` hints sampled from a real image (H, W, 3) uint8 as Zhang et al.'s sweep does: squares placed around the
    centre (standard deviation a quarter of the side), each of its patch's mean colour; the square's side is
    `patch_at_256` px at 256 px (scaled with the image's shorter side, the nearest odd 2 * radius + 1: 5 px)."""
    h, w = rgb.shape[:2]
    radius = max(0, round((patch_at_256 * min(h, w) / 256 - 1) / 2))
    side = 2 * radius + 1
    out = []
    for _ in range(n):
        y, x = (int(np.clip(rng.normal((d - side + 1) / 2, (d - side + 1) / 4), 0, max(0, d - side))) for d in (h, w))
        patch = rgb[y : y + side, x : x + side].reshape(-1, 3).astype(np.float64)
        out.append((min(x + radius, w - 1), min(y + radius, h - 1), rgb_to_hex(_mean_colour(patch)), radius))
    return out


def _mean_colour(pixels: np.ndarray) -> np.ndarray:
    """The RGB of the patch's mean Lab (Zhang et al. average a*b*, not RGB)."""
    lab = cv2.cvtColor((pixels[None] / 255).astype(np.float32), cv2.COLOR_RGB2Lab).mean(1, keepdims=True)
    return cv2.cvtColor(lab.astype(np.float32), cv2.COLOR_Lab2RGB)[0, 0] * 255
