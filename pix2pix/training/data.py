"""Datasets for the two jobs, the pix2pix augmentation, and the maps download.

Both datasets decode every image once, at construction, into one uint8 tensor: training then
indexes and augments whole batches on the device (GPU or CPU) with no per-step decoding.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from itertools import repeat
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from ..card import PHOTO_ARTIST
from ..color import mean_chroma
from ..errors import UserError
from ..images import IMAGE_SUFFIXES, ImageError, image_files, load_image, opened, read_squashed, rgb_in_srgb
from ..kinds import Kind, Maps, kind_of

MAPS_URL = "http://efrosgans.eecs.berkeley.edu/pix2pix/datasets/maps.tar.gz"
MIN_CHROMA = 3.0  # mean Lab chroma below this: a drawing or grayscale reproduction, nothing to learn colour from


class DataError(UserError, FileNotFoundError):
    """A dataset folder that is missing, empty, or lacks what was asked for."""


def list_images(folder: Path) -> list[Path]:
    """Every image file below `folder` (`images.image_files`), or a DataError saying why there is none."""
    if not folder.is_dir():
        raise DataError(f"dataset folder not found: {folder}")
    files = image_files(folder)
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) found in {folder}")
    return files


def augment(batch: torch.Tensor, crop: int, generator: torch.Generator, min_scale: float = 0.0) -> torch.Tensor:
    """pix2pix jitter on a whole batch: a random `crop`x`crop` window and a random horizontal flip per image.

    `min_scale` > 0 zooms as well (RandomResizedCrop-style, square): each window's side is a random fraction
    `min_scale`..1 of the image's shorter side, resized to `crop` (bilinear, antialiased; float 0..255 out). More
    views of the same paintings, for sets too small to learn colour that carries over to unseen ones.
    Works on any device; the random numbers come from `generator` (CPU) so runs are reproducible anywhere.
    """
    if min_scale:
        return _zoom(batch, crop, generator, min_scale)
    n, _, h, w = batch.shape
    oy = torch.randint(0, h - crop + 1, (n,), generator=generator).to(batch.device)
    ox = torch.randint(0, w - crop + 1, (n,), generator=generator).to(batch.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(batch.device)
    r = torch.arange(crop, device=batch.device)
    ys = oy[:, None] + r
    xs = torch.where(flip[:, None], ox[:, None] + r.flip(0), ox[:, None] + r)
    out = batch[torch.arange(n, device=batch.device)[:, None, None], :, ys[:, :, None], xs[:, None, :]]
    return out.permute(0, 3, 1, 2).contiguous()


def _zoom(batch: torch.Tensor, crop: int, generator: torch.Generator, min_scale: float) -> torch.Tensor:
    n, _, h, w = batch.shape
    full = min(h, w)
    sides = (full * (min_scale + (1 - min_scale) * torch.rand(n, generator=generator))).round().long().clamp(1, full)
    u = torch.rand(n, 3, generator=generator)
    out = []
    for k in range(n):
        s = int(sides[k])
        top, left = int(u[k, 0] * (h - s + 1)), int(u[k, 1] * (w - s + 1))
        window = batch[k : k + 1, :, top : top + s, left : left + s].float()
        window = F.interpolate(window, size=(crop, crop), mode="bilinear", antialias=True, align_corners=False)
        out.append(window.flip(-1) if u[k, 2] < 0.5 else window)
    return torch.cat(out).clamp(0, 255)


def center_crop(batch: torch.Tensor, crop: int) -> torch.Tensor:
    """The deterministic eval transform's crop (a no-op when images were decoded at `crop`)."""
    h, w = batch.shape[-2:]
    top, left = (h - crop) // 2, (w - crop) // 2
    return batch[..., top : top + crop, left : left + crop]


class ImageSet(torch.utils.data.Dataset):
    """Images decoded once into `self.images` (N, C, size, size) uint8; subclasses say how a batch becomes a pair."""

    images: torch.Tensor
    files: list[Path]
    kind: Kind  # how a batch becomes the network's (input, target)

    def _load(self, files: list[Path], size: int, desc: str) -> tuple[list[Path], torch.Tensor]:
        """The files that could be read, and their images, in order. One that cannot (not an image, truncated) is left
        out and listed with why in `unreadable`: one bad file among thousands a user gathered should not end a run.
        Decoded on every core (PIL lets go of the GIL): 33,175 photos took 70 s on one."""
        kept, arrays, self.unreadable = [], [], []
        pool = ThreadPoolExecutor(os.cpu_count() or 1)
        try:
            decoded = pool.map(self._decoded, files, repeat(size))
            for p, image in zip(files, tqdm(decoded, total=len(files), desc=desc, unit="img", leave=False)):
                if isinstance(image, str):
                    self.unreadable.append(image)
                else:
                    arrays.append(image)
                    kept.append(p)
        finally:  # Ctrl+C stops at once: the files not started are dropped, not decoded first
            pool.shutdown(cancel_futures=True)
        if not arrays:
            raise DataError(f"none of the {len(files)} images could be read; the first: {self.unreadable[0]}")
        return kept, torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()

    def decode_file(self, path: Path, size: int) -> np.ndarray:
        """One dataset file as (size, size, C) uint8: what `images` holds per item."""
        return read_squashed(path, size)

    def _decoded(self, path: Path, size: int) -> np.ndarray | str:
        """`decode_file`, or why the file cannot be read."""
        try:
            return self.decode_file(path, size)
        except ImageError as e:
            return str(e)

    def to_pair(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.kind.pair(batch)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.to_pair(self.images[i : i + 1])
        return x[0], y[0]


def source_width(path: Path) -> int:
    """The width of one half of an "AB" image as stored on disk (only its header is read)."""
    with Image.open(path) as im:
        return im.width // 2


def split_pair(im: Image.Image) -> tuple[Image.Image, Image.Image]:
    """The A (left) and B (right) halves of an "AB" image, each keeping the file's colour profile."""
    w, h = im.size
    return im.crop((0, 0, w // 2, h)), im.crop((w // 2, 0, w, h))


def read_pair_squashed(path: Path, size: int) -> np.ndarray:
    """An "AB" file as (size, size, 6) uint8, A then B, each half read as `images.read_squashed` reads an image."""
    with opened(path) as im:
        halves = [rgb_in_srgb(half, (size, size), Image.Resampling.BICUBIC)[0] for half in split_pair(im)]
    return np.concatenate([np.asarray(half) for half in halves], axis=2)


def read_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An "AB" JPG at full size as (A, B) uint8 arrays (maps: aerial photo, map; 600x600 each)."""
    ab = load_image(path, max_side=None)[0]
    w = ab.shape[1] // 2
    return ab[:, :w], ab[:, w : 2 * w]


class PairedImages(ImageSet):
    """The pix2pix "AB" layout: `root/<split>/*.jpg`, each image holding A on the left and B on the right.

    For the maps set A is the aerial photo and B the map, so `direction="AtoB"` learns photo -> map.
    """

    def __init__(self, root: str | Path, split: str = "train", size: int = 286, direction: str = "AtoB",
                 limit: int | None = None) -> None:  # fmt: skip
        self.kind, self.direction = Maps(direction), direction
        files = list_images(Path(root) / split)[:limit]
        self.files, self.images = self._load(files, size, f"decoding {split}")  # (N, 6, size, size): A then B
        self.source_width = source_width(self.files[0])  # training sees the ground at size / source_width

    def decode_file(self, path: Path, size: int) -> np.ndarray:
        return read_pair_squashed(path, size)


def painter_of(path: Path) -> str:
    """`Claude_Monet_12.jpg` -> "Claude Monet"."""
    return re.sub(r"_\d+$", "", path.stem).replace("_", " ")


def resolve_artists(names: list[str], available: list[str]) -> list[str]:
    """Match user-given names ("monet", "Claude Monet") to the dataset's artist names, or explain why not."""
    out = []
    for name in names:
        key = name.strip().lower()
        exact = [a for a in available if a.lower() == key]
        partial = [a for a in available if key in a.lower()]
        found = exact or partial
        if len(found) != 1:
            why = "matches several artists: " + ", ".join(found) if found else "has no images"
            raise DataError(f"artist {name!r} {why}. Artists found: {', '.join(sorted(available)) or 'none'}")
        out.append(found[0])
    return out


def held_out(path: Path, val_percent: int, salt: str = "") -> bool:
    """Deterministic split by file name: stable across machines and as images are added. A `salt` draws an
    independent split (the tune split below)."""
    return int(hashlib.sha1((salt + path.name).encode()).hexdigest(), 16) % 100 < val_percent


SPLITS = ("train", "tune", "val", "all")


def split_of(path: Path, val_percent: int, tune_percent: int) -> str:
    """"val": the held-out paintings, never trained on nor used to choose anything; "tune": `tune_percent`% of
    the rest, kept out of training so that candidate models can be compared without touching "val"."""
    if held_out(path, val_percent):
        return "val"
    return "tune" if held_out(path, tune_percent, salt="tune:") else "train"


def painting_files(root: str | Path, artists: list[str] | None, split: str = "train", val_percent: int = 10,
                   tune_percent: int = 0) -> tuple[list[str], list[Path]]:  # fmt: skip
    """The artists' names as the dataset spells them, and their files in `split` (one of `SPLITS`); `artists`
    None: every artist in the folder."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    files = list_images(Path(root) / "images")
    available = sorted({painter_of(p) for p in files})
    names = available if artists is None else resolve_artists(artists, available)
    files = [p for p in files if painter_of(p) in names]
    if split != "all":
        files = [p for p in files if split_of(p, val_percent, tune_percent) == split]
    if not files:
        raise DataError(f"the {split} split of {', '.join(names)} is empty")
    return names, files


class ColourImages(ImageSet):
    """Colour images for a colorizer, decoded once. `space="lab"` yields (L, ab); `space="rgb"` yields (gray, rgb),
    both scaled to [-1, 1]. Images whose mean Lab chroma is below `min_chroma` (drawings, grayscale reproductions,
    black-and-white photos) are left out and listed in `colorless`: a colorizer must not learn "no colour" from
    them, nor be scored on them."""

    artists: list[str]

    def _keep_colour(self, files: list[Path], size: int, space: str, split: str, min_chroma: float) -> None:
        if space not in ("lab", "rgb"):
            raise ValueError(f"space must be lab or rgb, got {space!r}")
        self.space, self.kind = space, kind_of("colorize", space)
        files, images = self._load(files, size, f"decoding {split}")
        keep = [mean_chroma(im.permute(1, 2, 0).numpy()) >= min_chroma for im in images]
        self.colorless = [p for p, k in zip(files, keep) if not k]
        self.files = [p for p, k in zip(files, keep) if k]
        if not self.files:
            raise DataError(f"the {split} split of {', '.join(self.artists)} has no images in colour ({len(keep)} colorless)")
        self.images = images[torch.tensor(keep)]


class Paintings(ColourImages):
    """The "Best Artworks of All Time" layout: `root/images/**/<Artist_Name>_<n>.jpg` (+ optional artists.csv)."""

    def __init__(self, root: str | Path, artists: list[str], split: str = "train", size: int = 286, space: str = "lab",
                 val_percent: int = 10, limit: int | None = None, min_chroma: float = MIN_CHROMA,
                 tune_percent: int = 0) -> None:  # fmt: skip
        self.artists, files = painting_files(root, artists, split, val_percent, tune_percent)
        self._keep_colour(files[:limit], size, space, split, min_chroma)


def photo_files(root: str | Path, split: str = "train", val_percent: int = 5, tune_percent: int = 0) -> list[Path]:
    """The colour photos of `split` below `root`: any folder tree of images. Where `root` has `train/` and
    `heldout/` folders (as ../shared/tools/stage_photos.py writes them) those are the train and "val" splits;
    otherwise a fixed `val_percent`% is held out by file name, as for paintings. "tune" is drawn from train."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    root = Path(root)
    staged = (root / "train").is_dir() and (root / "heldout").is_dir()
    if staged:
        files = list_images(root) if split == "all" else list_images(root / ("heldout" if split == "val" else "train"))
        if split in ("train", "tune"):
            files = [p for p in files if held_out(p, tune_percent, salt="tune:") == (split == "tune")]
    else:
        files = [p for p in list_images(root) if split == "all" or split_of(p, val_percent, tune_percent) == split]
    if not files:
        raise DataError(f"the {split} split of the photos in {root} is empty")
    return files


def spread(files: list[Path], limit: int | None) -> list[Path]:
    """At most `limit` of `files`, evenly spread (a sorted tree keeps its sources together: every one is sampled)."""
    return files if not limit or limit >= len(files) else [files[i * len(files) // limit] for i in range(limit)]


class Photos(ColourImages):
    """Colour photographs in any folder tree (see `photo_files` for the splits), for a natural-colour model."""

    def __init__(self, root: str | Path, split: str = "train", size: int = 286, space: str = "lab", limit: int | None = None,
                 min_chroma: float = MIN_CHROMA, tune_percent: int = 0) -> None:  # fmt: skip
        self.artists = [PHOTO_ARTIST]
        self._keep_colour(spread(photo_files(root, split, tune_percent=tune_percent), limit), size, space, split, min_chroma)


def download_maps(root: str | Path, url: str = MAPS_URL) -> Path:
    """Fetch and unpack the public pix2pix maps archive (1096 train / 1098 val pairs) into `root/maps`."""
    root = Path(root)
    dest = root / "maps"
    if (dest / "train").is_dir():
        return dest
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp:  # a failed or partial download leaves nothing behind
        archive = Path(tmp) / "maps.tar.gz"
        try:
            with urllib.request.urlopen(url, timeout=60) as r, open(archive, "wb") as f:
                total = int(r.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc="maps.tar.gz") as bar:
                    while chunk := r.read(1 << 20):
                        f.write(chunk)
                        bar.update(len(chunk))
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")  # "data" refuses absolute paths, links out and devices
        except (OSError, tarfile.TarError) as e:  # URLError and timeouts are OSErrors
            reason = "not a readable .tar.gz archive" if isinstance(e, tarfile.TarError) else getattr(e, "reason", None) or e
            raise DataError(f"could not download {url} ({reason}): fetch it yourself and unpack it so that {dest}/train "
                            "holds the pairs") from None
        unpacked = Path(tmp) / "maps"
        if not (unpacked / "train").is_dir():
            raise DataError(f"{url} did not contain maps/train")
        shutil.move(str(unpacked), dest)
    return dest
