import cv2
import numpy as np
import torch

from pix2pix.color import cv_lab_to_rgb, cv_rgb_to_lab, denormalize_lab, lab_to_rgb, normalize_lab, rgb_to_gray, rgb_to_lab

# OpenCV's float path quantises internally (its a*b* land on 1/64 steps), so agreement is to
# well under one Lab unit: far below a visible colour difference (about 2.3).
MAX_LAB_DIFF, MEAN_LAB_DIFF = 0.6, 0.1


def _photo(photos, name):
    return cv2.cvtColor(cv2.imread(str(photos / name)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255


def _t(img):
    return torch.from_numpy(img).permute(2, 0, 1)[None]


def test_rgb_to_lab_matches_opencv(photos):
    imgs = [_photo(photos, n) for n in ("astronaut.jpg", "coffee.png")]
    imgs.append(np.random.default_rng(0).random((64, 64, 3), dtype=np.float32))
    for img in imgs:
        ours = rgb_to_lab(_t(img))[0].permute(1, 2, 0).numpy()
        diff = np.abs(ours - cv2.cvtColor(img, cv2.COLOR_RGB2Lab))
        assert diff.max() < MAX_LAB_DIFF and diff.mean() < MEAN_LAB_DIFF


def test_lab_to_rgb_matches_opencv(photos):
    lab = cv2.cvtColor(_photo(photos, "chelsea.png"), cv2.COLOR_RGB2Lab)
    ours = lab_to_rgb(_t(lab))[0].permute(1, 2, 0).numpy()
    assert np.abs(ours - cv2.cvtColor(lab, cv2.COLOR_Lab2RGB)).max() < 1e-3


def test_gray_matches_opencv(photos):
    img = _photo(photos, "rocket.jpg")
    assert np.abs(rgb_to_gray(_t(img))[0, 0].numpy() - cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)).max() < 1e-5


def test_round_trips():
    rgb = torch.rand(2, 3, 32, 32)
    assert (lab_to_rgb(rgb_to_lab(rgb)) - rgb).abs().max() < 1e-4
    L, ab = normalize_lab(rgb_to_lab(rgb))
    assert L.min() >= -1 and L.max() <= 1 and ab.abs().max() <= 1
    assert (denormalize_lab(L, ab) - rgb_to_lab(rgb)).abs().max() < 1e-4


def test_opencv_fast_paths_agree_with_the_exact_ones(photos):
    rgb = _t(_photo(photos, "motorcycle_left.jpg"))  # (1, 3, 500, 741): a non-square layout catches transposes
    lab = cv_rgb_to_lab(rgb)
    assert lab.shape == rgb.shape and (lab - rgb_to_lab(rgb)).abs().max() < MAX_LAB_DIFF
    out_of_gamut = torch.cat([lab[:, :1], torch.rand(1, 2, 500, 741) * 220 - 110], dim=1)
    assert (cv_lab_to_rgb(out_of_gamut) - lab_to_rgb(out_of_gamut)).abs().max() < 1e-3
