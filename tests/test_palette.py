"""Map palettes: learning the colours and fitting how generated maps snap to them."""

from __future__ import annotations

import numpy as np
import torch

from pix2pix.palette import fit_snap, learn_palette, majority, snap_labels, true_labels

PALETTE = [[232, 229, 223], [242, 240, 234], [177, 207, 253]]  # two near-white map backgrounds and water


def flat_map(rng: np.random.Generator) -> np.ndarray:
    """A 60x60 'map': large flat areas of the palette's colours with +-2 levels of JPEG-like noise."""
    labels = np.zeros((60, 60), dtype=int)
    labels[:, 30:] = 1
    labels[40:, :20] = 2
    noise = rng.integers(-2, 3, size=(60, 60, 3))
    return (np.array(PALETTE)[labels] + noise).clip(0, 255).astype(np.uint8)


def as_tensor(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(rgb.astype(np.float32) / 255).permute(2, 0, 1)[None]


def test_learnt_palette_finds_the_flat_colours_most_common_first_and_stops_when_none_are_left():
    rng = np.random.default_rng(0)
    found = learn_palette(flat_map(rng), 3)
    assert found[:2] == [PALETTE[1], PALETTE[0]]  # the right half (1800 px) outnumbers the left's 1000
    assert np.abs(np.array(found[2]) - PALETTE[2]).max() <= 1
    one = np.full((8, 8, 3), 100, dtype=np.uint8)
    assert learn_palette(one, 4) == [[100, 100, 100]]  # one colour: nothing else to find


def test_true_labels_leave_out_pixels_no_palette_colour_can_match():
    real = np.array([[[232, 229, 223], [244, 242, 236], [120, 120, 120]]], dtype=np.uint8)
    assert true_labels(real, PALETTE).tolist() == [[0, 1, -1]]


def test_majority_vote_removes_a_stray_pixel_and_window_one_changes_nothing():
    labels = torch.zeros(9, 9, dtype=torch.long)
    labels[4, 4] = 1
    assert torch.equal(majority(labels, 2, 1), labels)
    assert majority(labels, 2, 3).eq(0).all()


def test_fitted_bias_settles_close_calls_the_way_the_real_maps_do():
    """Generated backgrounds drift towards the lighter shade: nearest-colour snapping calls the darker one
    wrong, and a bias fitted on the pairs puts the boundary back between them."""
    rng = np.random.default_rng(1)
    real = flat_map(rng)
    labels = true_labels(real, PALETTE)
    drifted = np.array([[239, 236, 230], [246, 244, 238], [177, 207, 253]])[labels.numpy()].astype(np.uint8)
    out = as_tensor(drifted)
    plain = (snap_labels(out, PALETTE) == labels).float().mean().item()
    bias, window, share = fit_snap([out], [real], PALETTE)
    assert plain < 0.7 and share == 1.0
    assert torch.equal(snap_labels(out, PALETTE, bias, window), labels)
    assert bias[0] < bias[1]  # the darker shade is favoured
