"""The test photos through every installed colorizer, one labelled row per model: the figure a user looks at.

    python -m pix2pix.training.showcase --weights weights --out docs/showcase.jpg

Rows: the original photos, their grayscale (what every model sees), then each colorizer as the app runs it
(`Translator`, colour strength 1); columns: the photos. Look at it before believing any number.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from ..card import short_name
from ..errors import reports_user_errors
from ..hub import ModelError
from ..images import image_files, load_image, side_by_side
from ..registry import Registry

PHOTOS = Path(__file__).parents[2] / "tests" / "data"
DEFAULT_PHOTOS = ("chelsea.png", "coffee.png", "rocket.jpg", "astronaut.jpg")
HEIGHT = 200  # px per row


def rows_of(registry: Registry, photos: list[Path]) -> list[tuple[str, list[Image.Image]]]:
    """(label, one image per photo) for the originals, their grayscale and every colorizer, photo model first."""
    entries = registry.colorizers()  # the natural-colour model first, as in the app's menu
    if not entries:
        raise ModelError(f"no colorizer in {registry.weights_dir}")
    inputs = [load_image(p)[0] for p in photos]
    results = [[registry.translator(e)(rgb) for rgb in inputs] for e in entries]
    rows = [("original", [r.original for r in results[0]]), ("grayscale (the input)", [r.gray for r in results[0]])]
    return rows + [(short_name(e.config), [r.generated for r in rs]) for e, rs in zip(entries, results)]


def figure(rows: list[tuple[str, list[Image.Image]]]) -> Image.Image:
    """One strip per row, its label over its first panel, stacked."""
    strips = [side_by_side([(label if i == 0 else "", im) for i, im in enumerate(images)], HEIGHT) for label, images in rows]
    out = Image.new("RGB", (max(s.width for s in strips), sum(s.height for s in strips)), "white")
    y = 0
    for s in strips:
        out.paste(s, (0, y))
        y += s.height
    return out


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.training.showcase", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--weights", default="weights", help="the folder of model folders")
    p.add_argument("--photos", type=Path, nargs="*", help=f"photos to colour (default: {', '.join(DEFAULT_PHOTOS)}, tests/data)")
    p.add_argument("--out", type=Path, default=Path("docs/showcase.jpg"), help="the figure to write (.jpg or .png)")
    args = p.parse_args(argv)
    photos = args.photos or [PHOTOS / name for name in DEFAULT_PHOTOS]
    photos = [f for p in photos for f in (image_files(p) if p.is_dir() else [p])]
    fig = figure(rows_of(Registry(args.weights, hub_repos=[]), photos))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.save(args.out, quality=88) if args.out.suffix.lower() in (".jpg", ".jpeg") else fig.save(args.out)
    print(f"{args.out}: {len(photos)} photos, {fig.width}x{fig.height} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
