"""Hint colours spread after the network: hinted pixels take their colour, the colour follows regions of like
lightness and stops at edges, fades with distance, and the network is asked only for what it can follow."""

from __future__ import annotations

import torch

from pix2pix.spread import spread, toward


def hinted_at(y: int, x: int, colour: tuple[float, float], size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    ab, mask = torch.zeros(1, 2, size, size), torch.zeros(1, 1, size, size)
    ab[0, :, y, x] = torch.tensor(colour)
    mask[0, 0, y, x] = 1
    return ab, mask


def test_without_hints_nothing_changes():
    ab = torch.randn(1, 2, 32, 32)
    out = spread(ab, torch.rand(1, 1, 32, 32), torch.zeros(1, 2, 32, 32), torch.zeros(1, 1, 32, 32))
    assert torch.equal(out, ab)


def test_a_hinted_pixel_takes_its_colour_and_its_region_follows_but_not_across_an_edge():
    lightness = torch.full((1, 1, 32, 32), 0.3)
    lightness[..., 16:] = 0.8  # two regions: the left darker, an edge down the middle
    ab = torch.zeros(1, 2, 32, 32)
    hint_ab, mask = hinted_at(16, 4, (0.5, -0.3))
    out = spread(ab, lightness, hint_ab, mask)
    assert torch.allclose(out[0, :, 16, 4], torch.tensor([0.5, -0.3]), atol=0.01)
    step = out[0, 0]
    assert step[:, :16].mean() > 0.3  # its region coloured
    assert step[:, 16:].abs().max() < 0.01  # the other side of the edge kept its colour


def test_the_colour_fades_with_distance_in_a_flat_region():
    lightness = torch.full((1, 1, 128, 128), 0.5)
    hint_ab, mask = hinted_at(64, 64, (0.4, 0.0), size=128)
    out = spread(torch.zeros(1, 2, 128, 128), lightness, hint_ab, mask)[0, 0]
    near, mid, far = out[64, 66], out[64, 90], out[64, 127]
    assert near > mid > far > 0 and far < 0.25 * near


def test_the_correction_is_added_to_what_the_network_painted():
    painted = torch.randn(1, 2, 32, 32) * 0.2
    hint_ab, mask = hinted_at(10, 10, (0.6, 0.1))
    lightness = torch.rand(1, 1, 32, 32)
    out = spread(painted, lightness, hint_ab, mask)
    assert torch.allclose(out[0, :, 10, 10], torch.tensor([0.6, 0.1]), atol=0.01)
    assert torch.allclose(out - spread(torch.zeros_like(painted), lightness, hint_ab - painted * mask, mask), painted,
                          atol=1e-4)  # fmt: skip  # linear: the same correction as for the difference alone


def test_the_network_is_asked_at_most_so_far_from_its_own_colours():
    painted = torch.zeros(1, 2, 4, 4)
    hint_ab, mask = torch.zeros(1, 2, 4, 4), torch.zeros(1, 1, 4, 4)
    hint_ab[0, :, 0, 0], mask[0, 0, 0, 0] = torch.tensor([0.6, 0.8]), 1  # 1.0 away: shortened to 0.2
    hint_ab[0, :, 1, 1], mask[0, 0, 1, 1] = torch.tensor([0.1, 0.0]), 1  # within reach: as given
    asked = toward(hint_ab, mask, painted, 0.2)
    assert torch.allclose(asked[0, :, 0, 0], torch.tensor([0.12, 0.16]))
    assert torch.allclose(asked[0, :, 1, 1], torch.tensor([0.1, 0.0]))
    assert asked[..., 2:, :].abs().sum() == 0  # no hint there: the hint planes stay empty
