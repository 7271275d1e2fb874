"""Helpers shared by the tests (imported by name: pytest puts tests/ on sys.path)."""

from __future__ import annotations

import io
from pathlib import Path

import torch
from PIL import Image

from pix2pix.hub import Pix2PixGenerator


def make_weights(folder: Path) -> Path:
    """Tiny random models for app tests: two carry placeholder training facts (marked as a fixture), one has none. The
    Lab one takes colour hints (4 input channels), as the shipped Lab colorizers do."""
    torch.manual_seed(0)
    fake_facts = {"epochs": 0, "note": "test fixture, not a real model"}
    Pix2PixGenerator(4, 2, ngf=8, depth=5, task="colorize", space="lab", artist="Claude Monet", image_size=64).save(
        folder / "monet-lab", fake_facts
    )
    Pix2PixGenerator(1, 3, ngf=8, depth=5, task="colorize", space="rgb", artist="Claude Monet", image_size=64).save(
        folder / "monet-rgb"
    )
    Pix2PixGenerator(3, 3, ngf=8, depth=5, task="maps", direction="AtoB", image_size=64).save(
        folder / "maps-aerial2map", fake_facts
    )
    return folder


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    """`im` as the bytes of a file in format `fmt` (as an upload would arrive)."""
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


def exif_rotated(im: Image.Image) -> bytes:
    """A JPEG stored sideways, turned a quarter anticlockwise, whose EXIF orientation (6) says to turn it a quarter
    clockwise to view: upright, it is `im` again."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(im.transpose(Image.Transpose.ROTATE_90), "JPEG", exif=exif)


def strength_by_the_rule(scores: dict[str, dict]) -> float:
    """The colour-transfer strength the standing rule picks from `fit_transfer`'s recorded scores by strength: the most
    targets met, then the closest palette; ties: the least map."""
    return float(min(scores, key=lambda k: (-scores[k]["targets_met"], scores[k]["palette_distance"], float(k))))
