"""Pack the training data small enough to travel to a lent GPU machine (a 64 MiB limit), ready for gpu_session.sh.

    python -m bench.gpu_pack --paintings ../shared/data/paintings --maps ../shared/data/maps --out .gpu

Paintings keep their layout; those larger than 320 px are shrunk (the trainer squashes every painting to
286 px anyway). Each maps half is resized from 600 to 286 px, the trainer's load size, and the pair stored as
WebP (quality 80), so training on the packed tiles sees exactly the paper's scale: pass `--scale 0.4767`
(286 / 600) to train.maps to record it.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from PIL import Image
from tqdm import tqdm

MAPS_LOAD = 286


def pack_paintings(src: Path, dst: Path, max_side: int = 320) -> None:
    (dst / "images").mkdir(parents=True, exist_ok=True)
    shutil.copy(src / "artists.csv", dst / "artists.csv")
    for f in tqdm(sorted((src / "images").glob("*.jpg")), desc="paintings"):
        with Image.open(f) as im:
            if max(im.size) <= max_side:
                shutil.copy(f, dst / "images" / f.name)
                continue
            im.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            im.convert("RGB").save(dst / "images" / f.name, quality=90)


def pack_maps(src: Path, dst: Path, size: int = MAPS_LOAD) -> None:
    for split in ("train", "val"):
        (dst / split).mkdir(parents=True, exist_ok=True)
        for f in tqdm(sorted((src / split).glob("*.jpg")), desc=f"maps {split}"):
            with Image.open(f) as im:
                w, h = im.size
                halves = [im.crop((0, 0, w // 2, h)), im.crop((w // 2, 0, w, h))]
                out = Image.new("RGB", (2 * size, size))
                for i, half in enumerate(halves):
                    out.paste(half.convert("RGB").resize((size, size), Image.Resampling.BICUBIC), (i * size, 0))
                out.save((dst / split / f.name).with_suffix(".webp"), quality=80)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.gpu_pack", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--paintings", type=Path, required=True)
    p.add_argument("--maps", type=Path, required=True)
    p.add_argument("--out", type=Path, default=Path(".gpu"))
    args = p.parse_args()
    pack_paintings(args.paintings, args.out / "paintings")
    pack_maps(args.maps, args.out / "maps")


if __name__ == "__main__":
    main()
