"""Turning whatever a user hands us into a clean uint8 RGB array, or a clear `ImageError`.

Handles EXIF rotation, colour profiles (converted to sRGB), alpha (composited on white), palette, CMYK, 16-bit and
float images, and refuses decompression bombs before decoding: only the header is read until the size is known.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageOps, UnidentifiedImageError

from .errors import UserError

# Largest image decoded at all (pixels), and the longest side kept for processing.
MAX_PIXELS = int(os.environ.get("PIX2PIX_MAX_PIXELS", "64000000"))
MAX_SIDE = int(os.environ.get("PIX2PIX_MAX_SIDE", "2048"))
MIN_SIDE = 8
# File names a folder walk picks up: what `load_image` decodes (PIL reads more, but these are the images people keep).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".avif", ".bmp", ".gif", ".tif", ".tiff")

ImageInput = str | os.PathLike | bytes | Image.Image | np.ndarray


def image_files(folder: Path) -> list[Path]:
    """Every file below `folder` with an image suffix (`IMAGE_SUFFIXES`), sorted: a stable order on every machine."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


class ImageError(UserError, ValueError):
    """An input that cannot be used as an image, with a message fit to show a user."""


def _open(source: str | os.PathLike | bytes) -> Image.Image:
    if not isinstance(source, bytes):
        try:
            source = Path(source).read_bytes()
        except OSError as e:
            raise ImageError(f"cannot read {Path(source).name}: {e.strerror}") from None
    if not source:
        raise ImageError("the file is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(source))
    except UnidentifiedImageError:
        raise ImageError("not an image file PIL can read (try PNG, JPEG, WebP, AVIF, GIF, BMP or TIFF)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"image is too large to decode safely; the limit is {MAX_PIXELS / 1e6:.0f} MP") from None
    except (OSError, SyntaxError, ValueError) as e:  # a file cut off inside its header
        raise ImageError(f"the image data is corrupt or truncated ({e})") from None


def fitted_size(w: int, h: int, max_side: int | None) -> tuple[int, int]:
    """The size `load_image` downscales a w x h image to so that no side exceeds `max_side` (its own size if it fits)."""
    if not max_side or max(w, h) <= max_side:
        return w, h
    s = max_side / max(w, h)
    return max(1, round(w * s)), max(1, round(h * s))


def _check_size(w: int, h: int, max_side: int | None) -> None:
    """Refuse before decoding: too many pixels, a side under MIN_SIDE, or a strip so long and thin that fitting
    its long side into `max_side` would leave the short one under MIN_SIDE."""
    if w * h > MAX_PIXELS:
        raise ImageError(
            f"image is {w}x{h} ({w * h / 1e6:.0f} MP); the limit is {MAX_PIXELS / 1e6:.0f} MP "
            "(set PIX2PIX_MAX_PIXELS to change it)"
        )
    if min(w, h) < MIN_SIDE:
        raise ImageError(f"image is {w}x{h}; both sides must be at least {MIN_SIDE} pixels")
    if min(fitted_size(w, h, max_side)) < MIN_SIDE:
        raise ImageError(
            f"image is {w}x{h}, too long and thin: fitted into {max_side} px per side its short side would be under "
            f"{MIN_SIDE} pixels; crop it first"
        )


def _white(a: np.ndarray, floating: bool) -> float:
    """The value white has in deep or float pixel data: 1 for floats within 0..1 (as scientific and HDR tools write
    them), 65535 for integers above 255 (16-bit), 255 otherwise."""
    hi = float(np.nanmax(a, initial=0.0))
    if floating:
        return 1.0 if hi <= 1.0 else 255.0
    return 65535.0 if hi > 255 else 255.0


def _as_uint8(data: np.ndarray | Image.Image, floating: bool, white: float | None = None) -> np.ndarray:
    """Deep or float pixel data as 8 bits, `white` (by default `_white`'s guess) becoming 255; NaNs become 0."""
    a = np.nan_to_num(np.asarray(data, dtype=np.float64))
    return np.clip(a / (white or _white(a, floating)) * 255 + 0.5, 0, 255).astype(np.uint8)


def in_srgb(im: Image.Image, icc: bytes | None = None) -> tuple[Image.Image, str | None]:
    """`im` converted from its embedded colour profile to sRGB, which every later step assumes, and a note saying so.

    Cameras and phones often save Adobe RGB or Display P3: read as sRGB numbers their colours come out muted (about
    a quarter less colourful for the Adobe RGB photos here). An sRGB profile is left alone, so those pixels stay bit
    for bit; a profile that cannot be used leaves the numbers as they are, with a note. `icc`: the profile, where `im`
    no longer carries it (a copy made from the file's image).
    """
    icc = icc or im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im, None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        name = ImageCms.getProfileDescription(profile).strip() or "unnamed"
        if "srgb" in name.lower():
            return im, None
        srgb = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(im, profile, srgb, outputMode="RGBA" if im.mode == "RGBA" else "RGB")
    except (ImageCms.PyCMSError, OSError, ValueError):
        return im, "its colour profile could not be used: its colours are taken as sRGB"
    return converted, f"converted from its colour profile ({name}) to sRGB"


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        im = Image.fromarray(_as_uint8(im, im.mode == "F"), "L")
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, rgba)
    return im.convert("RGB")


def rgb_in_srgb(im: Image.Image, size: tuple[int, int], resample: Image.Resampling) -> tuple[Image.Image, list[str]]:
    """`im` as RGB in sRGB (alpha on white) at `size`, and what was said of its colour profile: the one way the app
    and training read an image, so that a model learns colours as users' photos show them.

    An RGB image is resized before its profile is converted: on a 12 MP photo the conversion costs 450 ms at full
    size and little once downscaled (`bench.decode`). CMYK only leads out through its own profile, so it goes first.
    """
    icc, mode, notes = im.info.get("icc_profile"), im.mode, []
    if mode == "CMYK":
        im, note = in_srgb(im)
        notes += [note] if note else []
    im = _to_rgb(im)
    if im.size != size:
        im = im.resize(size, resample)
    if mode in ("RGB", "RGBA"):
        im, note = in_srgb(im, icc)
        notes += [note] if note else []
    return im, notes


@contextmanager
def opened(path: Path) -> Iterator[Image.Image]:
    """`Image.open(path)` for reading a dataset's file, whose failures (not an image, truncated, a decompression bomb)
    become an ImageError naming the file: a reader can leave it out and say which."""
    try:
        with Image.open(path) as im:
            yield im
    except UnidentifiedImageError:
        raise ImageError(f"{path.name}: not an image file PIL can read") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise ImageError(f"{path.name}: corrupt, truncated or too large ({e})") from None


def read_squashed(path: Path, size: int) -> np.ndarray:
    """A training image file as (size, size, 3) uint8, read as `decode_image` reads a user's photo (upright, alpha on
    white, in sRGB) and squashed square with the trainer's bicubic resampling."""
    with opened(path) as im:
        return np.asarray(rgb_in_srgb(ImageOps.exif_transpose(im), (size, size), Image.Resampling.BICUBIC)[0])


def load_image(source: ImageInput, max_side: int | None = MAX_SIDE) -> tuple[np.ndarray, list[str]]:
    """Decode `source` to an upright (H, W, 3) uint8 RGB array, downscaled so no side exceeds `max_side`.

    Returns the array and a list of human-readable notes about what was changed (rotation, downscale...).
    """
    rgb, notes, _ = decode_image(source, max_side)
    return rgb, notes


def decode_image(source: ImageInput, max_side: int | None = MAX_SIDE) -> tuple[np.ndarray, list[str], tuple[int, int]]:
    """`load_image`, and the upright image's own (height, width) before any downscaling: what positions given in the
    user's pixels (colour hints) refer to."""
    notes: list[str] = []
    if isinstance(source, np.ndarray):
        arr = source
        if arr.ndim == 2:
            arr = arr[..., None]
        if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4):
            raise ImageError(f"expected an (H, W[, 1|3|4]) array, got shape {source.shape}")
        if arr.dtype != np.uint8:
            arr = _as_uint8(arr, np.issubdtype(arr.dtype, np.floating), 65535.0 if arr.dtype == np.uint16 else None)
        im = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)
    elif isinstance(source, Image.Image):
        im = source
    else:
        im = _open(source)
    _check_size(*im.size, max_side)
    w0, h0 = im.size
    try:
        if max_side and im.format == "JPEG" and max(im.size) > 2 * max_side:
            im.draft("RGB", (max_side, max_side))  # decode at 1/2, 1/4 or 1/8 scale: cheap on huge JPEGs
        if (frames := getattr(im, "n_frames", 1)) > 1 and im.format != "MPO":  # MPO: a phone's photo and its extra views
            notes.append(f"the file holds {frames} frames (an animation or pages): the first is used")
        upright = ImageOps.exif_transpose(im)
        if upright is not im and (orientation := im.getexif().get(0x0112, 1)) != 1:
            notes.append("rotated upright using the photo's EXIF orientation")
            w0, h0 = (h0, w0) if orientation in (5, 6, 7, 8) else (w0, h0)
        size = fitted_size(*upright.size, max_side)
        im, profile_notes = rgb_in_srgb(upright, size, Image.Resampling.LANCZOS)
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"the image data is corrupt or truncated ({e})") from None
    if size != upright.size:
        notes.append(f"downscaled from {upright.width}x{upright.height} to {size[0]}x{size[1]} (limit {max_side} px per side)")
    notes += profile_notes
    return np.asarray(im, dtype=np.uint8).copy(), notes, (h0, w0)


def side_by_side(panels: list[tuple[str, Image.Image]], height: int = 384) -> Image.Image:
    """Panels scaled to one height, with a caption strip above each."""
    scaled = [(t, im.resize((max(1, round(im.width * height / im.height)), height), Image.Resampling.LANCZOS)) for t,
              im in panels]
    pad, caption = 8, 24
    width = sum(im.width for _, im in scaled) + pad * (len(scaled) + 1)
    fig = Image.new("RGB", (width, height + caption + 2 * pad), "white")
    draw = ImageDraw.Draw(fig)
    x = pad
    for title, im in scaled:
        draw.text((x, pad), title, fill="black")
        fig.paste(im, (x, pad + caption))
        x += im.width + pad
    return fig
