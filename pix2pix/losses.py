"""The loss terms beside pix2pix's GAN + L1: a palette cross-entropy for maps, and for Lab colorizers the a*b* class
cross-entropy, the colour-spread term, and the colour prior and per-pixel rebalancing weights (Zhang, Isola and
Efros 2016)."""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.nn.functional as F

from .color import AB_SCALE, ab_distances
from .palette import DELTA

PRIOR_SIZE = 64  # the colour prior is counted on training images shrunk to this side
AB_TABLE = 128  # rebalancing looks pixel weights up for a*b* in -128..128, whole units (sRGB stays within)


def palette_loss(fake: torch.Tensor, real: torch.Tensor, palette: torch.Tensor, sigma: float = 4.0, delta: float = DELTA) -> torch.Tensor:
    """Cross-entropy that teaches each generated pixel the palette colour of the real map's pixel, so snapping
    (nearest palette colour) picks the right one. Inputs in [-1, 1]; `palette` (K, 3) in 0..255. A colour's logit
    is minus its squared distance to the generated pixel over 2 sigma^2 (sigma in 0..255 levels). Real pixels
    farther than `delta` from every palette colour (JPEG fringes, labels) no snap could score: they are left out."""
    colours = palette.to(fake)[None, :, :, None, None] / 127.5 - 1  # (1, K, 3, 1, 1) in [-1, 1]
    with torch.no_grad():
        diff = real[:, None] - colours  # (B, K, 3, H, W)
        target = (diff**2).sum(2).argmin(1)
        near = diff.abs().amax(2).amin(1) * 127.5 < delta
    logits = -((fake.float()[:, None] - colours) ** 2).sum(2) / (2 * (sigma / 127.5) ** 2)
    loss = F.cross_entropy(logits, target, reduction="none")
    return (loss * near).sum() / near.sum().clamp(min=1)


def class_loss(logits: torch.Tensor, real: torch.Tensor, bins: torch.Tensor, sigma: float = 5.0, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy of the a*b* class scores against the real a*b* soft-encoded over the classes (a Gaussian of
    `sigma` a*b* units around it, as Zhang et al.), so a pixel whose colour could be either of two learns both.
    `weights` (B, 1, H, W): each pixel's term is weighted (rebalancing, `pixel_weights`)."""
    with torch.no_grad():
        target = torch.softmax(-ab_distances(real, bins) / (2 * (sigma / AB_SCALE) ** 2), dim=1)
    loss = -(target * torch.log_softmax(logits.float(), dim=1)).sum(1, keepdim=True)
    return loss.mean() if weights is None else (loss * weights).mean()


def spread_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """The gap between each image's spread of predicted a*b* (standard deviation over its pixels, per channel) and
    the real one's. L1 alone shrinks the spread where the hue is uncertain (greyish results); this term asks for the
    real amount of colour, and leaves the network to choose where to put it."""
    return (fake.float().std(dim=(2, 3)) - real.float().std(dim=(2, 3))).abs().mean()


@torch.no_grad()
def ab_prior(targets: Iterable[torch.Tensor], bins: torch.Tensor, sigma: float = 5.0) -> torch.Tensor:
    """(Q,) how often each a*b* class is the nearest to a pixel of the training images (scaled a*b* batches,
    (B, 2, H, W), as `ImageSet.targets_at` gives them shrunk), smoothed by a Gaussian of `sigma` a*b* units over the
    classes as Zhang et al. did: the colour prior that rebalancing inverts."""
    counts = torch.zeros(len(bins), device=bins.device)
    for ab in targets:
        counts += torch.bincount(ab_distances(ab.to(bins.device), bins).argmin(1).flatten(), minlength=len(bins))
    smooth = torch.exp(-torch.cdist(bins, bins) ** 2 / (2 * (sigma / AB_SCALE) ** 2))
    prior = smooth @ (counts / counts.sum())
    return prior / prior.sum()


def weight_table(weights: torch.Tensor, bins: torch.Tensor) -> torch.Tensor:
    """(2 AB_TABLE + 1, 2 AB_TABLE + 1) the weight of the class nearest each whole a*b* value, so that a pixel's
    weight is one lookup (a search over the classes per pixel would cost more than the training step itself)."""
    grid = torch.arange(-AB_TABLE, AB_TABLE + 1, device=bins.device, dtype=torch.float32) / AB_SCALE
    ab = torch.stack(torch.meshgrid(grid, grid, indexing="ij"))[None]
    return weights.to(bins.device)[ab_distances(ab, bins).argmin(1)[0]]


@torch.no_grad()
def pixel_weights(table: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) the rebalancing weight of each pixel's real a*b* (scaled, (B, 2, H, W)) from `weight_table`:
    that of the class nearest it, rounded to whole units."""
    i, j = (real.float() * AB_SCALE).round().long().clamp(-AB_TABLE, AB_TABLE).add(AB_TABLE).unbind(1)
    return table[i, j][:, None]
