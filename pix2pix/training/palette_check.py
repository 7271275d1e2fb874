"""How many held-out photos a painter's model paints in its painter's palette: a nearest-centroid classifier over
the a*b* histograms of every painter's training paintings names the painter of each colorized photo, and its
accuracy on their held-out real paintings says how far it can be trusted."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..color import mean_chroma
from .data import MIN_CHROMA, painter_of, painting_files, photo_files
from .hues import PaletteClassifier, ab_histogram
from .scoring import Method, coloured_images, is_label_of, read_scored


@dataclass
class PaletteCheck:
    """The palette classifier and how far it can be trusted: its accuracy on every painter's held-out real paintings,
    and, per painter, the share of their own held-out paintings it names them for (what photos can be held to); and
    the held-out photos each painter's model is judged on, decoded once for every painter."""

    classifier: PaletteClassifier
    accuracy: float
    recall: dict[str, float]
    photos: list[np.ndarray]


def palette_classifier(paintings: Path, photos: Path) -> PaletteCheck:
    """The nearest-centroid palette classifier over every painter's training paintings in colour, checked on their
    held-out paintings (what "painted in Monet's palette" can be trusted to), with the held-out photos of `photos`."""
    artists, train = painting_files(paintings, None, "train")
    _, val = painting_files(paintings, None, "val")

    def histograms(files: list[Path]) -> dict[str, list[np.ndarray]]:
        out: dict[str, list[np.ndarray]] = {a: [] for a in artists}
        for f in tqdm(files, desc="a*b* histograms of the paintings", leave=False):
            rgb = read_scored(f)
            if mean_chroma(rgb) >= MIN_CHROMA:
                out[painter_of(f)].append(ab_histogram(rgb))
        return out

    classifier = PaletteClassifier(histograms(train))
    named = {a: [classifier.predict(h) for h in hs] for a, hs in histograms(val).items() if hs}  # each painting once
    accuracy = float(np.mean([n == a for a, ns in named.items() for n in ns]))
    recall = {a: float(np.mean([n == a for n in ns])) for a, ns in named.items()}
    return PaletteCheck(classifier, accuracy, recall, palette_photos(photos))


def photo_palette_share(classifier: PaletteClassifier, artist: str, method: Method, photos: list[np.ndarray]) -> float:
    """The share of `photos` that `method` paints in `artist`'s palette, by `classifier`."""
    return classifier.share([ab_histogram(method(p)) for p in tqdm(photos, desc=f"{artist}'s palette on photos",
                                                                   leave=False)], artist)


@dataclass
class PhotoShares:
    """The share of held-out photos each model paints in `artist`'s palette, and what the classifier that says so is
    worth (`check`)."""

    check: PaletteCheck
    artist: str
    shares: dict[str, float]  # by method label, "<folder>: <what it does>"

    @classmethod
    def measure(cls, check: PaletteCheck, artist: str, methods: dict[str, Method]) -> PhotoShares:
        """Each method's share of the held-out photos `check` holds."""
        shares = {label: photo_palette_share(check.classifier, artist, m, check.photos) for label, m in methods.items()}
        return cls(check, artist, shares)

    @property
    def photos(self) -> int:
        return len(self.check.photos)

    def line(self) -> str:
        own = self.check.recall.get(self.artist)
        trust = (f"the palette classifier: {self.check.accuracy:.0%} right on held-out real paintings, chance "
                 f"{1 / len(self.check.classifier.names):.0%}")
        if own is not None:
            trust += f"; {own:.0%} of {self.artist}'s own"
        counted = (f"{label.split(':')[0]} {share:.1%} ({round(share * self.photos)})" for label, share in self.shares.items())
        return f"Painted in {self.artist}'s palette, of {self.photos} held-out photos ({trust}): " + ", ".join(counted)

    def scores_of(self, model: str | Path) -> dict[str, float]:
        """What `--write` stores for `model` (nothing if it was not measured)."""
        label = next((k for k in self.shares if is_label_of(k, model)), None)
        if label is None:
            return {}
        own = {"palette_classifier_recall": round(self.check.recall[self.artist], 3)} if self.artist in self.check.recall else {}
        return {"photos_in_palette": round(self.shares[label], 3), "palette_photos": self.photos,
                "palette_classifier_accuracy": round(self.check.accuracy, 3), **own}  # fmt: skip


def palette_photos(photos: Path) -> list[np.ndarray]:
    """Every held-out photo in colour: on a sample of 200 the share's standard error is 3.5 points, as large as
    most models' distance from the 50% target."""
    return coloured_images(photo_files(photos, "val"))[0]
