"""Colour hints spread along the photo's structure after the network (Levin, Lischinski and Weiss, SIGGRAPH 2004,
"Colorization using Optimization"): the network's a*b* are corrected as little as possible so that every hinted
pixel takes its hint's colour, neighbours of similar lightness keep their difference in colour, and the correction
fades away from the hints. So a stroke colours what it touches, however far its colour is from the model's guess,
and a model whose network takes no hints follows them too.

The network itself is asked to move at most `MOST` a*b* units towards a hint (`toward`): the hint models learnt
from hints of an image's real colours, and a hint far from anything they would paint (a blue stroke on a tabby cat)
made them paint bands of colour across the whole photo (docs/hints.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

SIGMA = 0.05  # a lightness step (L / 100) across which neighbours' colours stop following each other
FADE = 1e-3  # how fast a correction fades with distance from its hints (larger: more local)
HINT_WEIGHT = 100.0  # how hard a hinted pixel is held to its hint, against its neighbours
MOST = 20.0  # a*b* units: the furthest the network is asked to move from its own colours
ITERATIONS, TOLERANCE = 300, 1e-4  # conjugate gradients: enough to settle 256 px (about 40-70 steps)


def toward(hint_ab: torch.Tensor, mask: torch.Tensor, ab: torch.Tensor, most: float) -> torch.Tensor:
    """Hint colours (B, 2, H, W) moved to within `most` (in their own units) of the colours `ab` painted without
    them, where `mask` (B, 1, H, W) is set; elsewhere zero, as the network's hint planes are."""
    step = hint_ab - ab
    length = step.norm(dim=1, keepdim=True).clamp(min=1e-12)
    return (ab + step * (most / length).clamp(max=1)) * mask


def _neighbours(lightness: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Affinities between horizontal and vertical neighbours: near 1 where their lightness is alike."""
    across = torch.exp(-(lightness[..., :, 1:] - lightness[..., :, :-1]) ** 2 / (2 * sigma**2))
    down = torch.exp(-(lightness[..., 1:, :] - lightness[..., :-1, :]) ** 2 / (2 * sigma**2))
    return across, down


def spread(ab: torch.Tensor, lightness: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor,
           sigma: float = SIGMA, fade: float = FADE) -> torch.Tensor:  # fmt: skip
    """`ab` (1, 2, H, W) with each hinted pixel (`mask` (1, 1, H, W) set) taken to its `hint_ab` and the correction
    spread to pixels of similar `lightness` (1, 1, H, W, L / 100), fading with distance: the minimum of
    sum w_ij (r_i - r_j)^2 + fade sum r_i^2 + HINT_WEIGHT sum_hinted (r_i - (hint_i - ab_i))^2 over the correction r,
    solved by conjugate gradients with a diagonal preconditioner."""
    across, down = _neighbours(lightness, sigma)
    held = fade + HINT_WEIGHT * mask

    def apply(r: torch.Tensor) -> torch.Tensor:
        out = held * r
        fx, fy = across * (r[..., :, 1:] - r[..., :, :-1]), down * (r[..., 1:, :] - r[..., :-1, :])
        out[..., :, :-1] -= fx
        out[..., :, 1:] += fx
        out[..., :-1, :] -= fy
        out[..., 1:, :] += fy
        return out

    diagonal = held + F.pad(across, (0, 1)) + F.pad(across, (1, 0)) + F.pad(down, (0, 0, 0, 1)) + F.pad(down, (0, 0, 1, 0))
    b = HINT_WEIGHT * mask * (hint_ab - ab)
    return ab + _conjugate_gradients(apply, b, diagonal)


def _conjugate_gradients(apply, b: torch.Tensor, diagonal: torch.Tensor) -> torch.Tensor:
    """x with apply(x) = b for a symmetric positive definite `apply`, preconditioned by its `diagonal`."""
    x, residual = torch.zeros_like(b), b.clone()
    z = residual / diagonal
    direction, rz = z.clone(), (residual * z).sum()
    scale = b.norm().clamp(min=1e-12)
    for _ in range(ITERATIONS):
        if residual.norm() / scale < TOLERANCE:
            break
        moved = apply(direction)
        alpha = rz / (direction * moved).sum().clamp(min=1e-30)
        x += alpha * direction
        residual -= alpha * moved
        z = residual / diagonal
        rz, previous = (residual * z).sum(), rz
        direction = z + rz / previous * direction
    return x
