"""One class per kind of model: what its network sees, what it predicts, and how that becomes an image again.

Datasets, the trainer and `Translator` all ask the model's kind (`kind_of`) instead of testing its task and
colour space: maps (an RGB image to an RGB image, run tile by tile at the ground scale it learnt), RGB
colorization (gray in, RGB out) and Lab colorization (L in, a*b* out, joined to the input's own lightness).
"""

from __future__ import annotations

import torch

from .color import denormalize_lab, lab_to_rgb, normalize_lab, rgb_to_gray, rgb_to_lab
from .hints import simulated_hints


def from_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (the generator's Tanh) -> [0, 1]."""
    return ((x.float() + 1) / 2).clamp(0, 1)


class Kind:
    """A kind of model. `tiled`: translated tile by tile at the model's ground scale (else resized whole to its
    training size); `keeps_lightness`: its output is colour alone, joined to the input's lightness."""

    task = "colorize"
    space = "rgb"
    in_channels, out_channels = 1, 3
    tiled = keeps_lightness = False
    direction: str | None = None

    def condition(self, rgb: torch.Tensor) -> torch.Tensor:
        """The network's input from (B, 3, H, W) RGB in [0, 1]."""
        return rgb_to_gray(rgb) * 2 - 1

    def target(self, rgb: torch.Tensor) -> torch.Tensor:
        """What the network learns to output for (B, 3, H, W) RGB in [0, 1]."""
        return rgb * 2 - 1

    def pair(self, batch: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(input, target) from a dataset's uint8 batch (B, 3, H, W); `generator` draws what training simulates
        (a hint colorizer's hints)."""
        rgb = batch.float() / 255
        return self.condition(rgb), self.target(rgb)

    def to_rgb(self, output: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """The network's output (and, where it predicts colour alone, the input it saw) as RGB in [0, 1]."""
        return from_unit(output)

    def shown(self, condition: torch.Tensor) -> torch.Tensor:
        """The network's input as an RGB image in [0, 1] (for sample grids)."""
        return from_unit(condition).expand(-1, 3, -1, -1)


class RGBColorizer(Kind):
    """Gray in, all three RGB channels out: the colour cannot be scaled apart from the lightness."""


class LabColorizer(Kind):
    """L in, a*b* out; the colour is joined to the input's own L, so the output keeps every detail of the photo.

    With `hints`, the input also holds three hint channels after L (`pix2pix.hints`: the hints' a*b* and their mask);
    training simulates them from the real colours, and a hint model given none is an automatic colorizer."""

    space = "lab"
    out_channels = 2
    keeps_lightness = True

    def __init__(self, hints: bool = False) -> None:
        self.hints = hints
        self.in_channels = 4 if hints else 1

    def condition(self, rgb: torch.Tensor) -> torch.Tensor:
        L = normalize_lab(rgb_to_lab(rgb))[0]
        return torch.cat([L, L.new_zeros(L.shape[0], 3, *L.shape[2:])], 1) if self.hints else L

    def target(self, rgb: torch.Tensor) -> torch.Tensor:
        return normalize_lab(rgb_to_lab(rgb))[1]

    def pair(self, batch: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        L, ab = normalize_lab(rgb_to_lab(batch.float() / 255))
        if not self.hints:
            return L, ab
        hints = simulated_hints(ab.cpu(), generator or torch.Generator().manual_seed(0)).to(ab.device)
        return torch.cat([L, hints], 1), ab

    def to_rgb(self, output: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return lab_to_rgb(denormalize_lab(condition[:, :1].float(), output.float()))

    def shown(self, condition: torch.Tensor) -> torch.Tensor:
        """Gray, with the hints painted in their colours."""
        if not self.hints:
            return super().shown(condition)
        return lab_to_rgb(denormalize_lab(condition[:, :1].float(), condition[:, 1:3].float()))


class Maps(Kind):
    """An aerial photo to a map (AtoB) or back (BtoA); a dataset batch holds both halves (B, 6, H, W): A then B."""

    task = "maps"
    in_channels = 3
    tiled = True

    def __init__(self, direction: str | None = "AtoB") -> None:
        if direction not in ("AtoB", "BtoA"):
            raise ValueError(f"direction must be AtoB or BtoA, got {direction!r}")
        self.direction = direction

    def condition(self, rgb: torch.Tensor) -> torch.Tensor:
        return rgb * 2 - 1

    def pair(self, batch: torch.Tensor, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = (batch.float() / 255 * 2 - 1).split(3, dim=1)
        return (a, b) if self.direction == "AtoB" else (b, a)

    def shown(self, condition: torch.Tensor) -> torch.Tensor:
        return from_unit(condition)


def kind_of(task: str, space: str = "rgb", direction: str | None = None, hints: bool = False) -> Kind:
    """The kind of a model from its config's task, colour space and direction, and whether it takes colour hints."""
    if hints and (task, space) != ("colorize", "lab"):
        raise ValueError("colour hints are for Lab colorizers")
    if task == "maps":
        return Maps(direction or "AtoB")
    if task != "colorize" or space not in ("lab", "rgb"):
        raise ValueError(f"no kind of model for task {task!r} in space {space!r}")
    return LabColorizer(hints) if space == "lab" else RGBColorizer()
