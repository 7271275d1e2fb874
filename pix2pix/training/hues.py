"""A painter's palette as numbers: a*b* histograms, the distance between two palettes, and a palette classifier.

Per-pixel colour error rewards grey (a colourful guess of the wrong hue costs more than no colour), so colour is
judged the way the colorization literature judges it: by how the colours of many images are distributed. The
palette distance is the Jensen-Shannon divergence (bits, 0..1) between the pooled a*b* histograms of the generated
and the real images; the classifier assigns an image to the painter whose paintings' mean histogram is nearest
(Hellinger distance), so "painted in Monet's palette" can be counted on photos no painter ever saw.
"""

from __future__ import annotations

import cv2
import numpy as np

AB_RANGE = 110.0  # a*b* beyond +-110 are pooled into the outermost bins (sRGB reaches about -86..98 and -108..95)
AB_BINS = 22  # 10 units of a*b* per bin: about two just-noticeable differences


def ab_histogram(rgb: np.ndarray) -> np.ndarray:
    """(AB_BINS, AB_BINS) pixel counts of an (H, W, 3) uint8 image's a*b*, not normalised (so sets can be pooled)."""
    ab = cv2.cvtColor(rgb.astype(np.float32) / 255, cv2.COLOR_RGB2Lab)[..., 1:].reshape(-1, 2).T
    ab = np.clip(ab, -AB_RANGE, AB_RANGE - 1e-3)
    hist, _, _ = np.histogram2d(ab[0], ab[1], bins=AB_BINS, range=[[-AB_RANGE, AB_RANGE]] * 2)
    return hist


def normalised(hist: np.ndarray) -> np.ndarray:
    return hist / max(float(hist.sum()), 1e-12)


def palette_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Jensen-Shannon divergence in bits between two a*b* histograms: 0 for the same palette, 1 for disjoint ones."""
    p, q = normalised(a).ravel(), normalised(b).ravel()
    m = (p + q) / 2

    def kl(x: np.ndarray) -> float:
        nz = x > 0
        return float(np.sum(x[nz] * np.log2(x[nz] / m[nz])))

    return (kl(p) + kl(q)) / 2


class PaletteClassifier:
    """Nearest centroid over normalised a*b* histograms: each painter's centroid is the mean histogram of their
    paintings (each painting weighs the same), an image goes to the nearest by Hellinger distance."""

    def __init__(self, histograms: dict[str, list[np.ndarray]]) -> None:
        if not histograms or not all(histograms.values()):
            raise ValueError("a palette classifier needs at least one histogram for each painter")
        self.names = sorted(histograms)
        self.centroids = np.stack([np.mean([normalised(h) for h in histograms[n]], axis=0) for n in self.names])

    def predict(self, hist: np.ndarray) -> str:
        d = np.sqrt(((np.sqrt(self.centroids) - np.sqrt(normalised(hist))) ** 2).sum((1, 2)))
        return self.names[int(np.argmin(d))]

    def share(self, histograms: list[np.ndarray], name: str) -> float:
        """The share of `histograms` assigned to `name`."""
        return float(np.mean([self.predict(h) == name for h in histograms])) if histograms else 0.0
