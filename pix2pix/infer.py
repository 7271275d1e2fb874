"""Run a trained generator on a real image of any size, mode and orientation.

Maps are translated at the image's own resolution by blending overlapping tiles. Colorization runs the
network at its training size; in Lab the predicted a*b* are upsampled and joined to the input's own,
full-resolution L, so the result keeps every detail of the original.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .card import describe
from .color import AB_SCALE, L_SCALE, cv_lab_to_rgb, cv_rgb_to_lab, rgb_to_gray
from .errors import UserError
from .hints import Hints, hint_planes, shrink
from .hub import Pix2PixGenerator, load_generator
from .images import MAX_SIDE, ImageInput, decode_image
from .palette import snap_to_palette
from .spread import MOST, spread, toward
from .transfer import ColourTransfer

STRENGTH_RANGE = (0.0, 1.5)  # 0 gray, 1 the model's colour, 1.5 bolder (beyond it most colours clip to the gamut)
UNSCALED = ("colour strength applies to Lab models only: an RGB model predicts all three channels, "
            "so its colour cannot be scaled apart from its lightness")  # fmt: skip


@dataclass
class Result:
    original: Image.Image
    gray: Image.Image
    generated: Image.Image
    notes: list[str] = field(default_factory=list)
    lab: torch.Tensor | None = None  # Lab colorizers: (1, 3, H, W) input L + predicted a*b*, for `with_strength`


class StrengthError(UserError, ValueError):
    """A colour strength that is not a number in `STRENGTH_RANGE`."""


def checked_strength(strength: object) -> float:
    """`strength` as a float in `STRENGTH_RANGE`, else a StrengthError that says why (text, None and NaN too: NaN would
    paint the image white)."""
    low, high = STRENGTH_RANGE
    try:
        value = float(strength)
    except (TypeError, ValueError):
        raise StrengthError(f"Colour strength must be a number from {low:g} to {high:g}, got {strength!r}") from None
    if not low <= value <= high:  # NaN fails it too
        raise StrengthError(f"Colour strength must be from {low:g} to {high:g}, got {value:g}")
    return value


def with_strength(lab: torch.Tensor, strength: float) -> Image.Image:
    """A Lab colorization with its predicted a*b* scaled by `strength` (0 gray, 1 as predicted, above 1 more
    saturated), clipped to the sRGB gamut. No network runs: only the colour conversion."""
    return to_image(cv_lab_to_rgb(torch.cat([lab[:, :1], lab[:, 1:] * strength], dim=1)))


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) uint8 -> (1, 3, H, W) float in [0, 1]."""
    rgb = rgb if rgb.flags.writeable else rgb.copy()  # torch cannot wrap read-only memory (np.asarray of a PIL image)
    return torch.from_numpy(rgb).permute(2, 0, 1)[None].float() / 255


def to_image(t: torch.Tensor) -> Image.Image:
    """(1, 3, H, W) float in [0, 1] -> PIL RGB."""
    return Image.fromarray((t[0].clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8))


def blend_window(tile: int, overlap: int) -> torch.Tensor:
    """(tile, tile) weights rising linearly over `overlap` pixels at each border: tiles fade into each other."""
    i = torch.arange(tile, dtype=torch.float32)
    ramp = ((torch.minimum(i, tile - 1 - i) + 0.5) / max(overlap, 1)).clamp(max=1)
    return ramp[:, None] * ramp[None, :]


def _starts(size: int, tile: int, stride: int) -> list[int]:
    starts = list(range(0, size - tile + 1, stride))
    return starts if starts[-1] == size - tile else starts + [size - tile]


def tiled(model: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int, overlap: int = 64,
          batch: int = 8) -> torch.Tensor:
    """Apply `model` to (1, C, H, W) of any size by overlapping `tile`-sized windows, blended without seams."""
    _, _, h, w = x.shape
    ph, pw = max(0, tile - h), max(0, tile - w)
    if ph or pw:  # smaller than one tile: pad (mirror where the image is big enough to mirror)
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    H, W = x.shape[-2:]
    stride = tile - overlap
    boxes = [(y, x0) for y in _starts(H, tile, stride) for x0 in _starts(W, tile, stride)]
    win = blend_window(tile, overlap).to(x)
    out, weight = None, torch.zeros(1, 1, H, W, dtype=x.dtype)
    for i in range(0, len(boxes), batch):
        chunk = boxes[i : i + batch]
        y = model(torch.cat([x[..., a : a + tile, b : b + tile] for a, b in chunk])).float()
        if out is None:
            out = torch.zeros(1, y.shape[1], H, W)
        for k, (a, b) in enumerate(chunk):
            out[..., a : a + tile, b : b + tile] += y[k] * win
            weight[..., a : a + tile, b : b + tile] += win
    return (out / weight)[..., :h, :w]


def bf16_supported() -> bool:
    """True where oneDNN runs bf16 natively (AVX512-BF16 / AMX); elsewhere bf16 would be slower, not faster."""
    return bool(getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)())


class Translator:
    """A loaded generator plus the pre/post-processing its task needs. Call it on an image."""

    def __init__(
        self,
        model: Pix2PixGenerator,
        overlap: int = 64,
        max_side: int | None = MAX_SIDE,
        fast: bool = False,
        device: str | torch.device = "cpu",
    ) -> None:
        """`fast`: bf16 weights and channels_last on CUDA and on CPUs with native bf16 (bench/infer_cpu.py: about 2x;
        a test holds it within 8/255 of fp32); a no-op elsewhere. Converts `model` in place."""
        self.device = torch.device(device)
        self.model = model.eval().to(self.device)
        self.overlap = overlap
        self.max_side = max_side
        self.transfer = ColourTransfer.from_config(model.colour_transfer) if model.colour_transfer else None
        self.bf16 = fast and (self.device.type == "cuda" or bf16_supported())
        if self.bf16:  # cast once: autocast would re-cast all 54 M weights on every call
            self.model.to(dtype=torch.bfloat16, memory_format=torch.channels_last)

    @classmethod
    def load(cls, name_or_path: str | Path, **kwargs) -> Translator:
        return cls(load_generator(name_or_path), **kwargs)

    @property
    def name(self) -> str:
        return describe(self.model.config)

    def net(self, x: torch.Tensor) -> torch.Tensor:
        """The generator alone runs in bf16 when fast; colour conversions stay in fp32."""
        x = x.to(self.device)
        if self.bf16:
            x = x.to(dtype=torch.bfloat16, memory_format=torch.channels_last)
        return self.model(x).float().cpu()

    @torch.inference_mode()
    def __call__(self, image: ImageInput, strength: float = 1.0, snap: bool = False, hints: Hints = None) -> Result:
        """Translate `image`. `strength` scales the colour of Lab colorizers (see `with_strength`): 1 is the model's;
        `snap` replaces each pixel of an aerial -> map output by a colour of the model's palette (the nearest, with
        the bias and majority window fitted on training maps where the model stores them). `hints`: colours the
        user wants where they put them (`pix2pix.hints`: `(x, y, "#rrggbb"[, radius])` in the image's pixels, or an
        RGBA layer the size of the image); a model that takes none says so in the notes."""
        strength = checked_strength(strength)
        rgb, notes, source = decode_image(image, self.max_side)
        planes = hint_planes(hints, source, rgb.shape[:2])  # checked first: bad hints are refused on any model
        notes += self.unused_options(strength, snap)
        if planes is not None and not self.follows_hints:
            notes.append("this model takes no colour hints: they were not used")
        elif planes is not None and not self.model.reads_hints:
            notes.append("this model's network takes no colour hints: their colours were spread from where they were "
                         "given along the photo's structure alone")
        x = to_tensor(rgb)
        gray = to_image(rgb_to_gray(x).expand(-1, 3, -1, -1))
        kind = self.model.kind
        if kind.tiled:
            return Result(to_image(x), gray, to_image(self.translate_map(x, snap)), notes)
        if kind.keeps_lightness:
            lab = self.colorize_lab(x, planes)
            return Result(to_image(x), gray, with_strength(lab, strength), notes, lab)
        return Result(to_image(x), gray, to_image(self.colorize_rgb(x)), notes)

    @property
    def follows_hints(self) -> bool:
        """Lab colorizers follow colour hints: their colours are spread after the network, whose own input takes them
        too where it has hint channels (`follow_hints`). The others colour without them, and say so."""
        return self.model.kind.keeps_lightness

    @property
    def can_snap(self) -> bool:
        return bool(self.model.palette)

    def unused_options(self, strength: float, snap: bool) -> list[str]:
        """What was asked of this model that it cannot do: said in the notes (app, command line, API alike), never
        dropped in silence."""
        notes = []
        if strength != 1.0 and not self.model.kind.keeps_lightness:
            notes.append(UNSCALED)
        if snap and not self.can_snap:
            notes.append("this model has no map palette: shown unsnapped" if self.model.kind.tiled
                         else "the map palette snap applies to aerial -> map models only: not used")  # fmt: skip
        return notes

    @torch.inference_mode()  # also when called directly (the trainer's snap fitting): no graph kept per tile
    def translate_map(self, x: torch.Tensor, snap: bool = False) -> torch.Tensor:
        """Tiles at the ground scale the model was trained at: the input is resized by `scale` and the output back."""
        tile, size = self.model.image_size, x.shape[-2:]
        scaled = [max(1, round(s * self.model.scale)) for s in size]
        if scaled != list(size):
            x = F.interpolate(x, size=scaled, mode="bilinear", antialias=True, align_corners=False)
        y = tiled(self.net, self.model.kind.condition(x), tile, min(self.overlap, tile // 2))
        if scaled != list(size):
            y = F.interpolate(y, size=size, mode="bilinear", align_corners=False)
        rgb = self.model.kind.to_rgb(y, x)
        if not (snap and self.can_snap):
            return rgb
        return snap_to_palette(rgb, self.model.palette, self.model.palette_bias, self.model.snap_window)

    def predict_small(self, x: torch.Tensor, planes: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """The network on the image resized to its training size, output upsampled back to the input's size; a Lab
        colorizer's a*b* through its colour transfer, and its hints (`follow_hints`) followed."""
        s = self.model.image_size
        small = F.interpolate(x, size=(s, s), mode="bilinear", antialias=True, align_corners=False)
        condition = self.model.kind.condition(small)  # a hint model's: L and three empty hint channels
        y = self.painted(condition)
        if planes is not None:  # given only by `colorize_lab`
            y = self.follow_hints(y, condition, planes)
        return F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)

    def painted(self, condition: torch.Tensor) -> torch.Tensor:
        """The network's output, a Lab colorizer's a*b* mapped through its colour transfer."""
        y = self.net(condition)
        return y if self.transfer is None else self.transfer.planes(y * AB_SCALE) / AB_SCALE

    def follow_hints(self, y: torch.Tensor, condition: torch.Tensor, planes: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """`y`, the a*b* painted without hints, repainted with them: a model with a hint adapter has it repaint its
        colours (`adapted`); otherwise a hint model's network is run again with the hints moved within reach of its
        own colours (`spread.toward`; through the colour transfer's inverse, so that they come out as given). Then
        every model's colours are taken the rest of the way and spread along the photo's structure (`spread.spread`)."""
        s = self.model.image_size
        ab, mask = (plane[None] for plane in shrink(*planes, (s, s)))
        ab = ab / AB_SCALE
        if self.model.adapter is not None:
            y = self.adapted(y, condition, planes)
        elif self.model.takes_hints:
            asked = toward(ab, mask, y, MOST / AB_SCALE)
            if self.transfer is not None:
                hinted = mask[0, 0] > 0
                inverse = self.transfer.inverse(asked[0, :, hinted].T.double().numpy() * AB_SCALE)
                asked[0, :, hinted] = torch.from_numpy(inverse.T / AB_SCALE).to(asked.dtype)
            y = self.painted(torch.cat([condition[:, :1], asked, mask], dim=1))
        lightness = (condition[:, :1] + 1) * L_SCALE / 100  # the network's L (`normalize_lab`), as L / 100
        return spread(y, lightness, ab, mask)

    def adapted(self, y: torch.Tensor, condition: torch.Tensor, planes: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """`y`, the a*b* the model painted without hints, repainted with them by its hint adapter at the adapter's own
        size (`HintAdapter`). As a hint network is, it is asked only part of the way towards each hint
        (`spread.toward`): given a colour far from the photo's own, it tinted the whole photo (docs/hints.md)."""
        adapter = self.model.adapter
        n, size, dtype = adapter.image_size, y.shape[-2:], next(adapter.parameters()).dtype
        ab, mask = (plane[None] for plane in shrink(*planes, (n, n)))
        own = F.interpolate(y, size=(n, n), mode="area")
        lightness = F.interpolate(condition[:, :1], size=(n, n), mode="area")
        asked = toward(ab / AB_SCALE, mask, own, MOST / AB_SCALE)
        inputs = (t.to(self.device, dtype) for t in (lightness, asked, mask, own))
        painted = adapter.repaint(*inputs).float().cpu()
        return F.interpolate(painted, size=size, mode="bilinear", align_corners=False)

    def colorize_lab(self, x: torch.Tensor, planes: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
        """Full-resolution L from the input, a*b* from the network: (1, 3, H, W) Lab."""
        return torch.cat([cv_rgb_to_lab(x)[:, :1], self.predict_small(x, planes) * AB_SCALE], dim=1)

    def colorize_rgb(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.kind.to_rgb(self.predict_small(x), x)
