"""Per-image scores of a generated image against the real one: PSNR, RMSE, SSIM, CIEDE2000, colourfulness, and the
share of pixels within a tolerance (the maps protocol)."""

from __future__ import annotations

import numpy as np
from skimage.color import deltaE_ciede2000, rgb2lab
from skimage.metrics import structural_similarity

from ..palette import DELTA


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
