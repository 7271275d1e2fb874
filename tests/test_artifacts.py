"""What a user sees as a defect of a shipped model, measured: a lattice painted over flat areas, colour noise
along an RGB colorizer's borders, and bands of colour across a photo from one stroke."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.appserver import ROOT
from pix2pix.infer import Translator
from pix2pix.training.data import read_pair

WEIGHTS = ROOT / "weights"
PHOTOS = ["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.jpg", "camera.png", "motorcycle_left.jpg"]
FLAT_MAPS = {"park": (203, 230, 163), "land": (242, 239, 233), "water": (170, 200, 250)}  # the maps' flat colours


def strongest_period(rgb: np.ndarray) -> float:
    """The amplitude, in gray levels, of the strongest repeated pattern in an image's centre (a sixth cut off each
    side, Hann windowed): the largest sinusoid of its spectrum away from the lowest frequencies."""
    g = rgb.astype(np.float64).mean(2)
    h, w = g.shape
    g = g[h // 6 : h - h // 6, w // 6 : w - w // 6]
    window = np.outer(np.hanning(g.shape[0]), np.hanning(g.shape[1]))
    f = np.abs(np.fft.fftshift(np.fft.fft2((g - g.mean()) * window)))
    yy, xx = np.ogrid[: f.shape[0], : f.shape[1]]
    f[(yy - f.shape[0] // 2) ** 2 + (xx - f.shape[1] // 2) ** 2 < 16] = 0
    return float(2 * f.max() / window.sum())


def border_noise(rgb: np.ndarray, band: int = 20) -> float:
    """Fine colour noise (a*b* minus its blur) in the outer band of an image over that in its interior."""
    ab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)[..., 1:]
    noise = np.sqrt(((ab - cv2.GaussianBlur(ab, (0, 0), 1.5)) ** 2).sum(-1))
    inner = np.zeros(noise.shape, bool)
    inner[band:-band, band:-band] = True
    return float(noise[~inner].mean() / max(noise[inner].mean(), 1e-6))


@pytest.fixture(scope="module")
def map2aerial() -> Translator:
    return Translator.load(WEIGHTS / "maps-map2aerial")


def flat_map(colour: str) -> np.ndarray:
    return np.broadcast_to(np.uint8(FLAT_MAPS[colour]), (600, 600, 3)).copy()


@pytest.mark.parametrize("colour", FLAT_MAPS)
def test_a_flat_map_area_becomes_aerial_ground_without_a_lattice(map2aerial, colour):
    # The transposed-convolution model painted a lattice of 1.45 and 3.87 gray levels on park and land; under one
    # gray level a pattern is invisible.
    assert strongest_period(np.asarray(map2aerial(flat_map(colour)).generated)) < 1


def test_a_flat_map_area_has_no_pattern_a_tenth_as_strong_as_real_aerial_photos_have(map2aerial, maps_val):
    real = [strongest_period(read_pair(f)[0]) for f in sorted(maps_val.glob("*.jpg"))[:20]]  # streets, roofs, fields
    for colour in FLAT_MAPS:
        assert strongest_period(np.asarray(map2aerial(flat_map(colour)).generated)) < np.median(real) / 10


def test_the_rgb_colorizer_paints_no_colour_noise_along_its_borders():
    # The transposed-convolution model painted a chequered band of 2.6 to 4 times its interior's colour noise.
    titian = Translator.load(WEIGHTS / "titian-rgb")
    for name in PHOTOS:
        gray = np.asarray(Image.open(ROOT / "tests" / "data" / name).convert("L").convert("RGB"))
        assert border_noise(np.asarray(titian(gray).generated)) < 2, name


def row_banding(before: np.ndarray, after: np.ndarray) -> float:
    """How banded the change between two colorizations is: the RMS, in a*b* units, of the change's row profile
    (its mean a*b* change per row) minus that profile smoothed over 9 rows."""
    lab = [cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[..., 1:] for rgb in (before, after)]
    profile = (lab[1] - lab[0]).mean(1)
    smooth = cv2.blur(profile[:, None, :], (1, 9))[:, 0]
    return float(np.sqrt(((profile - smooth) ** 2).sum(-1).mean()))


@pytest.mark.parametrize("model", ["photo-lab", "claude-monet-lab", "pablo-picasso-lab", "kazimir-malevich-lab"])
def test_a_blue_stroke_on_a_tabby_cat_colours_where_painted_without_bands_across_the_photo(model):
    # Given the stroke whole, the hint models painted bands of blue and orange across the whole cat (banding 4.2 for
    # the natural-colour model) and missed the stroke's colour by 25-37 a*b* units; Picasso's model ignored it.
    cat = Image.open(ROOT / "tests" / "data" / "chelsea.png").convert("RGB")
    w, h = cat.size
    stroke = Image.new("RGBA", cat.size)
    ImageDraw.Draw(stroke).line([(w * 0.35, h * 0.2), (w * 0.6, h * 0.2)], fill=(40, 90, 230, 255), width=12)
    t = Translator.load(WEIGHTS / model)
    before, after = (np.asarray(t(cat, hints=hints).generated) for hints in (None, stroke))
    under = cv2.cvtColor(after[int(h * 0.2) - 3 : int(h * 0.2) + 3, int(w * 0.4) : int(w * 0.55)].astype(np.float32) / 255,
                         cv2.COLOR_RGB2Lab)[..., 1:].reshape(-1, 2).mean(0)  # fmt: skip
    blue = cv2.cvtColor(np.array([[[40, 90, 230]]], np.float32) / 255, cv2.COLOR_RGB2Lab)[0, 0, 1:]
    assert np.linalg.norm(under - blue) < 8
    assert row_banding(before, after) < 1
