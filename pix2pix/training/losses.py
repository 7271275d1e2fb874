"""The loss term beside pix2pix's GAN + L1: a palette cross-entropy for aerial -> map models."""

from __future__ import annotations

import torch
import torch.nn.functional as F

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
