"""Every awkward file a public demo receives: a clear message or a sensible image, never a crash."""

from __future__ import annotations

import re

import gradio as gr
import numpy as np
import pytest
from helpers import encode, exif_rotated
from PIL import Image

import app
from pix2pix.images import ImageError, load_image
from pix2pix.registry import Registry


@pytest.fixture(scope="module")
def studio(app_weights) -> app.Studio:
    return app.Studio(Registry(app_weights, hub_repos=[]))


@pytest.fixture(scope="module")
def cat(photos) -> Image.Image:
    return Image.open(photos / "chelsea.png").convert("RGB")


def _colorize(studio, tmp_path, data: bytes, name: str = "in.png"):
    path = tmp_path / name
    path.write_bytes(data)
    return studio.colorize(str(path), "Claude Monet", "lab", progress=lambda *a, **k: None)


@pytest.mark.parametrize("data,message", [(b"", "empty"), (b"%PDF-1.4 definitely not a picture", "not an image file")])
def test_unreadable_files_are_refused_with_a_message(studio, tmp_path, data, message):
    with pytest.raises(gr.Error, match=message):
        _colorize(studio, tmp_path, data, "photo.jpg")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_files_are_refused(studio, tmp_path, cat, fmt):
    data = encode(cat, fmt)
    with pytest.raises(gr.Error, match="corrupt or truncated|not an image"):
        _colorize(studio, tmp_path, data[: len(data) // 2])


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data", "ignore:Truncated File Read")
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF"])
def test_a_file_cut_off_anywhere_is_refused_with_a_message_never_a_crash(cat, fmt):
    """Cut inside its header (an upload or a copy stopped early), a JPEG made PIL raise a bare OSError."""
    data = encode(cat, fmt)
    for n in [*range(1, 400, 3), *range(400, len(data), len(data) // 40)]:
        try:
            arr, _ = load_image(data[:n])
        except ImageError as e:
            assert re.search("corrupt or truncated|not an image", str(e)), (n, str(e))
        else:
            assert arr.shape == (300, 451, 3)  # some formats decode what arrived


@pytest.mark.parametrize("size", [(1, 1), (7, 3)])
def test_tiny_images_are_refused(studio, tmp_path, size):
    with pytest.raises(gr.Error, match="at least 8 pixels"):
        _colorize(studio, tmp_path, encode(Image.new("RGB", size, "red"), "PNG"))


def test_long_thin_strips_are_refused_rather_than_squashed_under_the_minimum(studio, tmp_path):
    # 30000x100 fitted into 2048 px would be 2048x7: under the 8 px minimum, so refused with a hint.
    with pytest.raises(gr.Error, match="30000x100, too long and thin.*crop it first"):
        _colorize(studio, tmp_path, encode(Image.new("RGB", (30000, 100), "red"), "PNG"))
    arr, notes = load_image(encode(Image.new("RGB", (100, 24000), "red"), "PNG"))  # 9 px wide once fitted: kept
    assert arr.shape == (2048, 9, 3) and "downscaled from 100x24000" in notes[0]


def test_huge_images_are_refused_before_decoding():
    # 20000x20000 (a PNG of a few hundred KB: a decompression bomb) is refused from its header alone.
    im = Image.new("1", (20000, 20000))
    data = encode(im, "PNG", optimize=True)
    assert len(data) < 2_000_000
    with pytest.raises(ImageError, match="too large to decode safely; the limit is 64 MP"):
        load_image(data)
    with pytest.raises(ImageError, match="9000x9000 \\(81 MP\\); the limit is 64 MP"):
        load_image(encode(Image.new("1", (9000, 9000)), "PNG"))


def test_large_image_is_downscaled_with_a_note(cat):
    big = cat.resize((4510, 3000))
    arr, notes = load_image(encode(big, "JPEG"))
    assert max(arr.shape[:2]) == 2048 and "downscaled from 4510x3000" in notes[0]


def test_modes_are_all_converted_to_rgb(cat):
    rgba = cat.convert("RGBA")
    rgba.putalpha(0)  # fully transparent: composited on white
    assert (load_image(encode(rgba, "PNG"))[0] == 255).all()
    sixteen = Image.fromarray(np.asarray(cat.convert("L"), dtype=np.uint16) * 257)
    arr16, _ = load_image(encode(sixteen, "PNG"))
    assert arr16.shape == (300, 451, 3) and abs(int(arr16.mean()) - int(np.asarray(cat.convert("L")).mean())) <= 1
    cmyk, _ = load_image(encode(cat.convert("CMYK"), "JPEG"))
    assert cmyk.shape == (300, 451, 3)
    gif, _ = load_image(encode(cat.convert("P", palette=Image.Palette.ADAPTIVE), "GIF"))
    assert gif.shape == (300, 451, 3) and np.abs(gif.astype(int) - np.asarray(cat)).mean() < 20


def test_avif_photos_are_read(cat):
    arr, notes = load_image(encode(cat, "AVIF", quality=90))
    assert arr.shape == (300, 451, 3) and notes == [] and np.abs(arr.astype(int) - np.asarray(cat)).mean() < 8


def test_exif_rotated_photo_comes_out_upright(studio, tmp_path, cat):
    orig, gray, gen, slider, png, msg = _colorize(studio, tmp_path, exif_rotated(cat), "phone.jpg")
    assert orig.size == gen.size == (451, 300)
    assert np.abs(np.asarray(orig, dtype=int) - np.asarray(cat)).mean() < 4  # the cat itself, not turned half round
    assert "EXIF orientation" in msg


@pytest.fixture(scope="module")
def adobe_rgb(photos) -> bytes:
    """The Adobe RGB (1998) profile a camera embedded in the rocket photo."""
    return Image.open(photos / "rocket.jpg").info["icc_profile"]


def _gray_and_green() -> Image.Image:
    im = Image.new("RGB", (64, 32), (128, 128, 128))
    im.paste((60, 140, 60), (32, 0, 64, 32))
    return im


def test_a_photo_in_another_colour_space_is_read_in_srgb_and_the_user_is_told(studio, tmp_path, adobe_rgb):
    data = encode(_gray_and_green(), "PNG", icc_profile=adobe_rgb)
    arr, notes = load_image(data)
    assert notes == ["converted from its colour profile (Adobe RGB (1998)) to sRGB"]
    gray, green = arr[:, :32].astype(int), arr[:, 32:].reshape(-1, 3).mean(0)
    assert np.abs(gray - 128).max() <= 2  # neutral stays neutral
    assert np.ptp(green) > np.ptp([60, 140, 60]) + 30  # the green as colour-managed viewers show it, stronger than its numbers
    orig, *_, msg = _colorize(studio, tmp_path, data)
    assert np.array_equal(np.asarray(orig), arr) and "Adobe RGB" in msg
    small, notes = load_image(data, max_side=32)  # a large photo is converted once downscaled, where it costs least
    assert notes[0].startswith("downscaled from 64x32") and notes[1].startswith("converted from its colour profile")
    assert np.abs(small[4:12, 20:28].astype(int) - green).max() <= 2


def test_srgb_profiles_are_left_alone_and_unusable_ones_are_said(cat, photos, adobe_rgb):
    srgb_photo = photos / "chelsea.png"  # it carries an sRGB profile
    arr, notes = load_image(srgb_photo)
    assert "icc_profile" in Image.open(srgb_photo).info and notes == [] and np.array_equal(arr, np.asarray(cat))
    for data in (encode(cat, "PNG", icc_profile=b"not a colour profile"), encode(cat.convert("CMYK"), "JPEG",
                                                                                 icc_profile=adobe_rgb)):  # fmt: skip
        arr, notes = load_image(data)
        assert notes == ["its colour profile could not be used: its colours are taken as sRGB"]
        assert arr.shape == (300, 451, 3)


def test_grayscale_input_is_colorized_at_its_size(studio, photos):
    orig, gray, gen, slider, png, msg = studio.colorize(
        str(photos / "camera.png"), "Claude Monet", "lab", progress=lambda *a, **k: None
    )
    assert gen.size == (512, 512) and gen.mode == "RGB"


def test_float_and_wide_integer_images_keep_their_tones(cat):
    gray = np.asarray(cat.convert("L"), dtype=np.float64)
    for data, why in [
        (gray.astype(np.float32) / 255, "floats within 0..1 (scientific and HDR tools)"),
        (gray.astype(np.float32), "floats on the 0..255 scale"),
        (gray.astype(np.int32) * 257, "32-bit integers holding 16-bit values"),
    ]:
        via_file, _ = load_image(encode(Image.fromarray(data), "TIFF"))
        via_array, _ = load_image(data)
        for arr in (via_file, via_array):
            assert arr.shape == (300, 451, 3) and np.abs(arr[..., 0] - gray).max() <= 1, why


def test_only_the_first_frame_of_an_animation_is_used_and_the_user_is_told(cat):
    frames = [cat, cat.transpose(Image.Transpose.FLIP_LEFT_RIGHT), cat.convert("L").convert("RGB")]
    for fmt in ("GIF", "WEBP", "TIFF"):
        arr, notes = load_image(encode(frames[0], fmt, save_all=True, append_images=frames[1:]))
        assert notes == ["the file holds 3 frames (an animation or pages): the first is used"], fmt
        assert np.abs(arr.astype(int) - np.asarray(cat)).mean() < 20  # the first frame, not the mirrored one
    assert load_image(encode(cat, "GIF"))[1] == []  # a still image: no note
