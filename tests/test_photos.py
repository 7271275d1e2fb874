"""Colour photos as training and evaluation data, palettes as numbers, and the figure of every colorizer."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pix2pix.hub import Pix2PixGenerator, load_generator
from helpers import encode, exif_rotated
from pix2pix.images import load_image
from pix2pix.training import evaluate as ev
from pix2pix.card import PHOTO_ARTIST
from pix2pix.training.data import Photos, photo_files, spread
from pix2pix.training.hues import AB_BINS, PaletteClassifier, ab_histogram, palette_distance

NAMES = ["astronaut.jpg", "chelsea.png", "coffee.png", "motorcycle_left.jpg", "rocket.jpg"]


@pytest.fixture(scope="module")
def staged(photos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tree as stage_photos.py writes it: train/<source>/ and heldout/<source>/, one gray photo among them."""
    root = tmp_path_factory.mktemp("photos")
    for split, sources in (("train", ("a", "b")), ("heldout", ("a", "b"))):
        for s in sources:
            (root / split / s).mkdir(parents=True)
            for i, name in enumerate(NAMES if split == "train" else NAMES[:2]):
                Image.open(photos / name).convert("RGB").resize((48, 40)).save(root / split / s / f"{i}.png")
    Image.open(photos / "camera.png").convert("RGB").resize((48, 40)).save(root / "train" / "a" / "gray.png")
    return root


def test_a_staged_tree_has_its_own_splits_and_a_tune_split_drawn_from_train(staged):
    train, val = photo_files(staged, "train"), photo_files(staged, "val")
    assert len(train) == 11 and len(val) == 4 and all("heldout" in p.parts for p in val)
    tune, kept = photo_files(staged, "tune", tune_percent=50), photo_files(staged, "train", tune_percent=50)
    assert tune and set(tune).isdisjoint(kept) and sorted(tune + kept) == train
    assert len(photo_files(staged, "all")) == 15
    with pytest.raises(ValueError):
        photo_files(staged, "test")


def test_any_other_tree_holds_a_fixed_share_out_by_file_name(staged, tmp_path):
    plain = tmp_path / "plain"
    for i in range(40):
        (plain / f"d{i % 3}").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8), (200, 40, 40)).save(plain / f"d{i % 3}" / f"p{i}.png")
    train, val = photo_files(plain, "train"), photo_files(plain, "val")
    assert len(train) + len(val) == 40 and set(train).isdisjoint(val) and photo_files(plain, "val") == val
    with pytest.raises(ev.DataError, match="empty"):
        photo_files(tmp_path / "plain" / "d0", "val", val_percent=0)


def test_photos_leave_colourless_ones_out_and_a_limit_samples_every_source(staged):
    ds = Photos(staged, "train", size=32)
    assert [p.name for p in ds.colorless] == ["gray.png"] and len(ds) == 10 and ds.artists == [PHOTO_ARTIST]
    L, ab = ds[0]
    assert L.shape == (1, 32, 32) and ab.shape == (2, 32, 32) and L.min() >= -1 and ab.abs().max() <= 1
    assert {p.parent.name for p in spread(photo_files(staged, "train"), 3)} == {"a", "b"}
    assert spread([Path("x")], None) == [Path("x")]


def _halves(top: tuple[int, ...], bottom: tuple[int, ...], mode: str = "RGB") -> Image.Image:
    im = Image.new(mode, (40, 40), top)
    im.paste(bottom, (0, 20, 40, 40))
    return im


def _user_photos(folder: Path, adobe_rgb: bytes) -> dict[str, tuple[int, int, int]]:
    """A user's folder as phones and editors write it, and the colour the app shows in each photo's lower half."""
    folder.mkdir(parents=True)
    (folder / "sideways.jpg").write_bytes(exif_rotated(_halves((40, 40, 200), (220, 60, 40))))
    _halves((30, 160, 60, 255), (0, 0, 0, 0), "RGBA").save(folder / "cut-out.png")  # transparent below: white in the app
    _halves((128, 128, 128), (60, 140, 60)).save(folder / "adobe.png", icc_profile=adobe_rgb)  # greener than its numbers
    return {"sideways.jpg": (220, 60, 40), "cut-out.png": (255, 255, 255), "adobe.png": (0, 0, 0)}


def test_training_reads_a_users_photos_as_the_app_shows_them(photos, tmp_path):
    """Rotated phone photos, cut-outs and photos in Adobe RGB or Display P3: read as raw numbers, a model would learn
    sideways scenes, black backgrounds and greyer colours than users see (and than the app gives it)."""
    adobe_rgb = Image.open(photos / "rocket.jpg").info["icc_profile"]
    lower = _user_photos(tmp_path / "tree" / "mine", adobe_rgb)
    ds = Photos(tmp_path / "tree", "all", size=8)
    assert sorted(p.name for p in ds.files) == sorted(lower)
    for i, path in enumerate(ds.files):
        shown = np.asarray(Image.fromarray(load_image(path)[0]).resize((8, 8), Image.Resampling.BICUBIC)).astype(int)
        away_from_the_edge = [0, 1, 6, 7]  # where the halves meet, a profile converted before or after resizing differs
        read = ds.images[i].permute(1, 2, 0).numpy().astype(int)
        assert np.abs(read[away_from_the_edge] - shown[away_from_the_edge]).max() <= 2, path.name
        if path.name != "adobe.png":
            assert np.abs(shown[6, 4] - lower[path.name]).max() <= 12, path.name
    green = ds.images[[p.name for p in ds.files].index("adobe.png"), :, 6, 4].numpy().astype(int)
    assert np.ptp(green) > np.ptp([60, 140, 60]) + 30


def _broken_files(folder: Path) -> None:
    """What a user's folder gathered from the web holds among its photos: a download cut off, a page saved as .jpg."""
    (folder / "cut-off.jpg").write_bytes(encode(Image.new("RGB", (64, 64), (200, 40, 40)), "JPEG")[:200])
    (folder / "page.jpg").write_text("<html>not found</html>")


def test_unreadable_files_are_left_out_and_named_and_none_readable_is_an_error(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    _broken_files(folder)
    with pytest.raises(ev.DataError, match="none of the 2 images could be read; the first: cut-off.jpg: corrupt"):
        Photos(tmp_path, "all", size=8)
    Image.new("RGB", (16, 16), (40, 90, 200)).save(folder / "sky.png")
    ds = Photos(tmp_path, "all", size=8)
    assert [p.name for p in ds.files] == ["sky.png"] and len(ds.images) == 1
    assert [u.split(":")[0] for u in ds.unreadable] == ["cut-off.jpg", "page.jpg"]
    assert "not an image file" in ds.unreadable[1]


def test_train_colorize_trains_a_natural_colour_model_on_photos(staged, tmp_path, capsys):
    from train.colorize import main

    data, out = tmp_path / "photos", tmp_path / "photo-lab"
    shutil.copytree(staged, data)
    _broken_files(data / "train" / "b")  # left out and said, not the end of the run
    args = ["--photos", "--data", str(data), "--out", str(out), "--epochs", "1", "--epochs-decay", "0", "--batch-size", "2",
            "--image-size", "32", "--load-size", "36", "--ngf", "8", "--ndf", "8", "--depth", "5"]  # fmt: skip
    assert main(args) == 0
    model = load_generator(out)
    assert model.artist == PHOTO_ARTIST and model.train_info["data"].endswith(": colour photos")
    assert model.train_info["colorless_left_out"] == 1 and model.train_info["val"]["images"] == 4
    assert model.train_info["unreadable_left_out"] == 2 and model.train_info["train_images"] == 10
    assert "left out 2 files that could not be read: cut-off.jpg" in capsys.readouterr().out
    assert "four public GitHub repositories" in (out / "README.md").read_text()


def test_palettes_as_numbers():
    red, blue = np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8)
    red[..., 0], blue[..., 2] = 200, 200
    h_red, h_blue = ab_histogram(red), ab_histogram(blue)
    assert h_red.shape == (AB_BINS, AB_BINS) and h_red.sum() == 16
    assert palette_distance(h_red, h_red) == 0 and palette_distance(h_red, h_blue) == pytest.approx(1.0)
    assert palette_distance(h_red, h_red + h_blue) == pytest.approx(palette_distance(h_red + h_blue, h_red))
    classifier = PaletteClassifier({"red painter": [h_red, 2 * h_red], "blue painter": [h_blue]})
    assert classifier.predict(h_red * 3) == "red painter" and classifier.predict(h_blue) == "blue painter"
    assert classifier.share([h_red, h_blue, h_blue], "blue painter") == pytest.approx(2 / 3)
    with pytest.raises(ValueError):
        PaletteClassifier({"nobody": []})


def tiny(folder: Path, artist: str) -> str:
    Pix2PixGenerator(1, 2, ngf=8, depth=5, task="colorize", space="lab", image_size=64, artist=artist).save(
        folder, {"epochs": 1, "note": "test fixture"}
    )
    return str(folder)


def test_the_natural_colour_model_is_scored_on_held_out_photos(staged, tmp_path, capsys):
    model = tiny(tmp_path / "photo-lab", PHOTO_ARTIST)
    assert ev.main(["--artist", "photos", "--photos", str(staged), "--model", model, "--write"]) == 0
    out = capsys.readouterr().out
    assert "### photos: 4 held-out photos" in out and "baseline: the photos' mean a*b*" in out
    held = json.loads((tmp_path / "photo-lab" / "config.json").read_text())["train_info"]["heldout"]
    assert held["split"] == "held-out photos (4)" and held["targets"][:6] in ("0 of 3", "1 of 3", "2 of 3", "3 of 3")
    assert ev.main(["--artist", "photos", "--model", model]) == 2  # photos to score it on are needed
    assert "give --photos" in capsys.readouterr().err


def test_a_painter_is_scored_by_the_photos_it_paints_in_its_palette(staged, paintings, tmp_path, capsys):
    model = tiny(tmp_path / "monet-lab", "Claude Monet")
    args = ["--data", str(paintings), "--artist", "monet", "--model", model, "--photos", str(staged), "--write"]
    assert ev.main(args) == 0
    out = capsys.readouterr().out
    line = next(li for li in out.splitlines() if li.startswith("Painted in Claude Monet's palette"))
    assert "of 4 held-out photos" in line and "chance 50%" in line  # every held-out photo, each share with its count
    assert re.search(r"monet-lab (0\.0|25\.0|50\.0|75\.0|100\.0)% \([0-4]\)$", line)
    assert "of Claude Monet's own)" in line  # what the classifier makes of the painter's own held-out paintings
    held = json.loads((tmp_path / "monet-lab" / "config.json").read_text())["train_info"]["heldout"]
    assert 0 <= held["photos_in_palette"] <= 1 and 0 <= held["palette_classifier_accuracy"] <= 1
    assert held["palette_photos"] == 4
    assert 0 <= held["palette_classifier_recall"] <= 1


def test_the_showcase_draws_every_colorizer_on_the_test_photos(app_weights, tmp_path, capsys):
    from pix2pix.training.showcase import HEIGHT, main

    assert main(["--weights", str(app_weights), "--out", str(tmp_path / "fig.png")]) == 0
    fig = Image.open(tmp_path / "fig.png")
    assert fig.height > 4 * HEIGHT and fig.width > 4 * 100  # original, grayscale, two colorizers; four photos
    assert main(["--weights", str(tmp_path / "none"), "--out", str(tmp_path / "x.png")]) == 2
    assert "no colorizer" in capsys.readouterr().err


def test_the_hint_figure_goes_to_its_own_file_by_default(app_weights, tmp_path, monkeypatch):
    from pix2pix.training.showcase import main

    monkeypatch.chdir(tmp_path)
    assert main(["--weights", str(app_weights), "--hints"]) == 0
    assert (tmp_path / "docs" / "hints.jpg").is_file() and not (tmp_path / "docs" / "showcase.jpg").exists()


def test_the_hint_figure_shows_every_lab_colorizer_its_network_taking_hints_or_not(tmp_path):
    from pix2pix.registry import Registry
    from pix2pix.training.showcase import hint_rows

    for name in ("photo-lab", "pablo-picasso-lab", "titian-rgb"):  # a hint model, a Lab model without, an RGB model
        (tmp_path / name).symlink_to(Path("weights").resolve() / name)
    rows = hint_rows(Registry(tmp_path, hub_repos=[]), Path("tests/data/coffee.png"))
    assert [label for label, _ in rows[1:]] == ["Natural colours (Lab): without | with hints",
                                                "Pablo Picasso (Lab): without | with hints"]  # fmt: skip
    without, hinted = (np.asarray(im) for im in rows[2][1])  # Picasso's strokes spread after its network
    assert np.abs(without.astype(int) - hinted).mean() > 1
