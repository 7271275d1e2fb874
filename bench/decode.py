"""What reading a user's photo costs (`pix2pix.images.decode_image`, the app's first step): a phone-sized JPEG
without a colour profile, the same photo tagged Adobe RGB (converted to sRGB once downscaled to the app's 2,048 px),
and, for comparison, that conversion made at full size before the downscale. Then training's read of the same two
files (`read_squashed`, to the trainer's 286 px load size), which converts a profile once squashed as well.

    python -m bench.decode [--megapixels 12] [--runs 5]

The photo is the coffee test photo enlarged to --megapixels (4:3), so it compresses as a photo does; the profile is
the one the rocket test photo carries. Medians in ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import tempfile
from pathlib import Path

from PIL import Image

from bench.appserver import ROOT
from bench.timing import median_ms
from pix2pix.images import decode_image, in_srgb, read_squashed

LOAD = 286  # the trainer's load size


def photo_files(megapixels: float) -> tuple[bytes, bytes]:
    """The enlarged coffee photo as JPEG bytes, untagged and tagged Adobe RGB (1998)."""
    adobe_rgb = Image.open(ROOT / "tests" / "data" / "rocket.jpg").info["icc_profile"]
    w = round((megapixels * 1e6 * 4 / 3) ** 0.5)
    photo = Image.open(ROOT / "tests" / "data" / "coffee.png").convert("RGB").resize((w, w * 3 // 4), Image.Resampling.LANCZOS)
    files = []
    for icc in (None, adobe_rgb):
        buf = io.BytesIO()
        photo.save(buf, "JPEG", quality=90, **({"icc_profile": icc} if icc else {}))
        files.append(buf.getvalue())
    return files[0], files[1]


def converted_first(data: bytes) -> object:
    """The order before 2026-12-07: the whole photo converted from its profile, then decoded and downscaled."""
    return decode_image(in_srgb(Image.open(io.BytesIO(data)))[0])


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.decode", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--megapixels", type=float, default=12.0)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    plain, tagged = photo_files(args.megapixels)
    base = median_ms(lambda: decode_image(plain), args.runs)
    rows = [("no colour profile (baseline)", base), ("Adobe RGB, converted once downscaled (the app)",
            median_ms(lambda: decode_image(tagged), args.runs)),
            ("Adobe RGB, converted at full size first", median_ms(lambda: converted_first(tagged), args.runs))]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (("no colour profile", plain), ("Adobe RGB", tagged)):
            (path := Path(tmp) / f"{name}.jpg").write_bytes(data)
            rows.append((f"training's read to {LOAD} px, {name}", median_ms(lambda: read_squashed(path, LOAD), args.runs)))
    print(f"{os.cpu_count()} CPUs; {dt.date.today().isoformat()}; a {args.megapixels:g} MP JPEG, median of {args.runs}\n")
    print("| decoding | median ms | against the baseline |\n|---|---:|---:|")
    for name, ms in rows:
        print(f"| {name} | {ms:.0f} | {ms / base:.2f}x |")


if __name__ == "__main__":
    main()
