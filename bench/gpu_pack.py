"""Pack the training data small enough to travel to a lent GPU machine (a 64 MiB limit), ready for gpu_session.sh.

    python -m bench.gpu_pack --paintings ../shared/data/paintings --maps ../shared/data/maps --out .gpu
    python -m bench.gpu_pack --paintings ../shared/data/paintings --artist Monet --artist Titian --out .gpu

Paintings keep their names (the splits are drawn from them) and their layout; each is squashed to 286 x 286 px
as the trainer would (so it decodes them unchanged), and the held-out ones, which no training reads, stay
behind. Each maps half is resized from 600 to 286 px, the trainer's load size, and the pair stored as WebP
(quality 80), so training on the packed tiles sees exactly the paper's scale: pass `--scale 0.4767` (286 / 600)
to train.maps to record it.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from pix2pix.images import read_squashed
from pix2pix.training.data import painting_files, read_pair_squashed

MAPS_LOAD = 286
LOAD = 286  # the trainer's --load-size: it squashes every painting to LOAD x LOAD before cropping


def pack_paintings(src: Path, dst: Path, artists: list[str] | None = None, size: int = LOAD) -> None:
    """The training paintings of `artists` (default all), squashed to size x size with the trainer's resampling."""
    (dst / "images").mkdir(parents=True, exist_ok=True)
    if (src / "artists.csv").exists():
        shutil.copy(src / "artists.csv", dst / "artists.csv")
    _, files = painting_files(src, artists, "train")
    for f in tqdm(files, desc="paintings"):
        Image.fromarray(read_squashed(f, size)).save(dst / "images" / f.name, quality=90)


def pack_maps(src: Path, dst: Path, size: int = MAPS_LOAD) -> None:
    for split in ("train", "val"):
        (dst / split).mkdir(parents=True, exist_ok=True)
        for f in tqdm(sorted((src / split).glob("*.jpg")), desc=f"maps {split}"):
            pair = read_pair_squashed(f, size)  # A and B side by side again, as the "AB" layout stores them
            Image.fromarray(np.concatenate([pair[..., :3], pair[..., 3:]], axis=1)).save(
                (dst / split / f.name).with_suffix(".webp"), quality=80)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.gpu_pack", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--paintings", type=Path, help="the paintings folder (images/ + artists.csv)")
    p.add_argument("--artist", action="append", help="pack only these artists' paintings (repeatable; default all)")
    p.add_argument("--maps", type=Path, help="the maps folder (train/ + val/)")
    p.add_argument("--out", type=Path, default=Path(".gpu"))
    args = p.parse_args()
    if not (args.paintings or args.maps):
        p.error("give --paintings, --maps or both")
    if args.paintings:
        pack_paintings(args.paintings, args.out / "paintings", args.artist)
    if args.maps:
        pack_maps(args.maps, args.out / "maps")


if __name__ == "__main__":
    main()
