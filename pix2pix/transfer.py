"""A painter's palette kept after the network: colour transfer in a*b* (Pitie, Kokaram and Dahyot, ICCV 2005).

A colorizer trained with a per-pixel loss paints each painting near the average of the colours it could have; pooled
over many paintings, its colours drift from the painter's (Monet's too cool, Titian's too pink). The transfer
is fitted once per model, from the a*b* it paints on the painter's training paintings to those paintings' real a*b*:
repeated 1-D quantile matching along rotated axes ("iterative distribution transfer"), so the colours it paints,
pooled, follow the painter's. A fixed map of a*b*, pixel by pixel: lightness and layout stay the network's. It is
stored in the model's config with a strength (0 none, 1 the whole map) chosen on the tune paintings, applied to the
network's a*b* before they are upsampled, and undone on hint colours before the network sees them, so that a hinted
pixel still comes out in the colour asked for.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

STEPS = 12  # rotations: in two dimensions a dozen matchings settle the pooled histogram (Pitie et al. use ~10-20)
LUT_REACH = 128  # the table covers a*b* of -128..128: every sRGB colour (about -86..98 and -108..95) and more
LEVELS = np.linspace(0.0025, 0.9975, 101)  # quantiles matched; the extreme 0.25% on each side follow with slope 1


def _interp(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Piecewise-linear through (xp, fp), continued with slope 1 beyond its ends (colours outside the fitted range
    are shifted as its nearest end, not clamped onto it, so the map stays invertible)."""
    y = np.interp(x, xp, fp)
    return np.where(x < xp[0], fp[0] + x - xp[0], np.where(x > xp[-1], fp[-1] + x - xp[-1], y))


def _increasing(q: np.ndarray) -> np.ndarray:
    """Quantiles (2, levels) made strictly increasing: ties, from repeated colours, would make a step not invertible
    (0.002 apart, they stay apart when stored to three decimals)."""
    return np.maximum.accumulate(q + 2e-3 * np.arange(q.shape[-1]), axis=-1)


def _rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


@dataclass(frozen=True)
class ColourTransfer:
    """`angles[k]`: the k-th step's rotation; `source[k, d]` / `target[k, d]`: the quantiles at `LEVELS` along its axis
    `d` before and after matching; `strength`: how much of the map is applied."""

    angles: np.ndarray  # (STEPS,)
    source: np.ndarray  # (STEPS, 2, levels)
    target: np.ndarray  # (STEPS, 2, levels)
    strength: float = 1.0

    @classmethod
    def fit(cls, painted: np.ndarray, real: np.ndarray, steps: int = STEPS, strength: float = 1.0) -> ColourTransfer:
        """The map taking the (N, 2) a*b* a model `painted` to the distribution of the `real` (M, 2) a*b*."""
        x, y = painted.astype(np.float64), real.astype(np.float64)
        angles = np.pi / 2 * np.arange(steps) / steps + 0.3 * np.arange(steps)  # no two steps share axes
        source, target = [], []
        for angle in angles:
            r = _rotation(angle)
            px, py = x @ r, y @ r
            source.append(_increasing(np.quantile(px, LEVELS, axis=0).T))
            target.append(_increasing(np.quantile(py, LEVELS, axis=0).T))
            x = cls._step(x, r, source[-1], target[-1])
        return cls(angles, np.stack(source), np.stack(target), strength)

    @staticmethod
    def _step(ab: np.ndarray, r: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
        p = ab @ r
        p = np.stack([_interp(p[:, d], xp[d], fp[d]) for d in range(2)], axis=1)
        return p @ r.T

    def _targets(self) -> np.ndarray:
        """Each step's quantiles moved `strength` of the way to the painter's: a partial map that stays monotone."""
        return self.source + self.strength * (self.target - self.source)

    def __call__(self, ab: np.ndarray) -> np.ndarray:
        """(N, 2) a*b* as painted -> in the painter's palette, at the stored strength."""
        ab = ab.astype(np.float64)
        for angle, xp, fp in zip(self.angles, self.source, self._targets()):
            ab = self._step(ab, _rotation(angle), xp, fp)
        return ab

    def inverse(self, ab: np.ndarray) -> np.ndarray:
        """The a*b* that the map takes to `ab` (N, 2): what a hint's colour must be in the network's own palette.
        Exact: each step is increasing along both its axes, so it is undone by swapping its quantiles."""
        ab = ab.astype(np.float64)
        for angle, xp, fp in reversed(list(zip(self.angles, self.source, self._targets()))):
            ab = self._step(ab, _rotation(angle), fp, xp)
        return ab

    @functools.cached_property
    def table(self) -> torch.Tensor:
        """The map sampled every a*b* unit over +-LUT_REACH, as a (1, 2, 2R+1, 2R+1) image for `grid_sample`: the
        network's colours then go through it in a millisecond instead of the steps' ten."""
        axis = np.arange(-LUT_REACH, LUT_REACH + 1, dtype=np.float64)
        b, a = np.meshgrid(axis, axis, indexing="ij")  # rows b*, columns a*: grid_sample's (x, y) is (a*, b*)
        mapped = self(np.stack([a.ravel(), b.ravel()], axis=1))
        return torch.from_numpy(mapped.T.reshape(1, 2, *a.shape)).float()

    def planes(self, ab: torch.Tensor) -> torch.Tensor:
        """The map on (1, 2, H, W) a*b* planes, bilinear between the table's points."""
        grid = (ab.float() / LUT_REACH).permute(0, 2, 3, 1)  # (1, H, W, 2) in [-1, 1]
        return F.grid_sample(self.table, grid, mode="bilinear", padding_mode="border", align_corners=True).to(ab.dtype)

    def with_strength(self, strength: float) -> ColourTransfer:
        return dataclasses.replace(self, strength=strength)

    def to_config(self) -> dict[str, Any]:
        """As config.json stores it (to a thousandth of an a*b* unit, which keeps the quantiles increasing)."""
        return {"strength": self.strength, "angles": [round(float(a), 6) for a in self.angles],
                "source": np.round(self.source, 3).tolist(), "target": np.round(self.target, 3).tolist()}  # fmt: skip

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ColourTransfer:
        """Read back from config.json; a hand-edited or damaged entry raises ValueError saying what is wrong."""
        try:
            angles, source, target = (np.asarray(config[k], dtype=np.float64) for k in ("angles", "source", "target"))
            strength = float(config["strength"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"needs angles, source, target (numbers) and strength: {e!r}") from None
        if angles.ndim != 1 or source.ndim != 3 or source.shape != target.shape or source.shape[:2] != (len(angles), 2) \
                or source.shape[2] < 2:
            raise ValueError(f"source and target must both be ({len(angles)}, 2, levels), got {source.shape} and {target.shape}")
        if not 0 <= strength <= 1 or not all(np.isfinite(a).all() for a in (angles, source, target)):
            raise ValueError(f"strength must be from 0 to 1 and every number finite, got strength {strength}")
        if (np.diff(source, axis=-1) <= 0).any() or (np.diff(target, axis=-1) <= 0).any():
            raise ValueError("each step's quantiles must increase: the map would not be invertible")
        return cls(angles, source, target, strength)
