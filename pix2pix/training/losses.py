"""The loss terms beside pix2pix's GAN + L1: a palette cross-entropy for aerial -> map models, and an edge-aware
smoothness of a Lab colorizer's a*b*."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..color import L_SCALE
from ..palette import DELTA


def palette_loss(fake: torch.Tensor, real: torch.Tensor, palette: torch.Tensor, sigma: float = 4.0,
                 delta: float = DELTA) -> torch.Tensor:
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


def chroma_smoothness(condition: torch.Tensor, ab: torch.Tensor, pools: tuple[int, ...] = (1, 4),
                      sigma: float = 8.0) -> torch.Tensor:
    """How much a Lab colorizer's a*b* change between neighbouring pixels where the gray does not: each neighbour's
    a*b* difference weighted by exp(-(dL / sigma)^2) (L in Lab units), at full size and averaged over `pools`-sized
    blocks. A GAN fine-tuned on a few hundred paintings paints patches of hue that the gray draws no edge for (a
    rainbow in a white cup, violet marbling on fur); this term lets colour change where the structure changes.
    `condition`: the network's input (normalised L first); `ab`: its output, both as the network sees them."""
    L = (condition[:, :1].float() + 1) * L_SCALE
    ab = ab.float()
    total = ab.new_zeros(())
    for size in pools:
        Lp, abp = (L, ab) if size == 1 else (F.avg_pool2d(L, size), F.avg_pool2d(ab, size))
        for dim in (2, 3):
            weight = torch.exp(-((Lp.diff(dim=dim) / sigma) ** 2))
            step = (abp.diff(dim=dim).pow(2).sum(1, keepdim=True) + 1e-6).sqrt()
            total = total + (weight * step).mean()
    return total
