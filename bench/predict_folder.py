"""Folder throughput of the command line: `predict_many` (one model load, every file) vs the single-image path
(`gen_and_print`, which loads the model for each file) called in a loop, on the same photos.

    python -m bench.predict_folder                         # 24 photos of 512 px, weights/titian-lab
    python -m bench.predict_folder --model weights/maps-aerial2map --images 8

The photos are the test photos (tests/data) resized so their longer side is --size, repeated to --images.
Both paths write the generated image and the side-by-side figure of each photo, as the CLI does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from bench.appserver import ROOT
from pix2pix.infer import Translator
from pix2pix.predict import gen_and_print, predict_many


def make_photos(folder: Path, count: int, size: int) -> list[Path]:
    sources = sorted((ROOT / "tests" / "data").glob("*.[pj][np]g"))
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as im:
            im = im.convert("RGB")
            scale = size / max(im.size)
            im = im.resize((round(im.width * scale), round(im.height * scale)), Image.Resampling.BICUBIC)
            paths.append(folder / f"photo{i:03d}.jpg")
            im.save(paths[-1], quality=92)
    return paths


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.predict_folder", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=str(ROOT / "weights" / "titian-lab"))
    p.add_argument("--images", type=int, default=24)
    p.add_argument("--size", type=int, default=512, help="longer side of each photo")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        photos = make_photos(Path(tmp) / "in", args.images, args.size)
        start = time.perf_counter()
        for i, photo in enumerate(photos):
            gen_and_print(args.model, photo, Path(tmp) / "loop" / f"{i}.png")
        loop_s = time.perf_counter() - start
        start = time.perf_counter()
        summary = predict_many(Translator.load(args.model, fast=True), [Path(tmp) / "in"], Path(tmp) / "folder")
        folder_s = time.perf_counter() - start
        assert len(summary.written) == len(photos) and not summary.skipped
    print(f"{os.cpu_count()} CPUs, {torch.get_num_threads()} threads; torch {torch.__version__}; {dt.date.today().isoformat()}")
    print(f"model {Path(args.model).name}; {args.images} photos, longer side {args.size} px\n")
    print("| path | seconds | images/s | speed-up |\n|---|---:|---:|---:|")
    print(
        "| single-image path in a loop (`gen_and_print`, model loaded per photo) "
        f"| {loop_s:.2f} | {len(photos) / loop_s:.2f} | 1.00x |"
    )
    print(
        "| folder run (`python -m pix2pix.predict DIR`, model loaded once) "
        f"| {folder_s:.2f} | {len(photos) / folder_s:.2f} | {loop_s / folder_s:.2f}x |"
    )


if __name__ == "__main__":
    main()
