"""The test photos through every installed colorizer, one labelled row per model: the figure a user looks at.

    python -m pix2pix.training.showcase --weights weights --out docs/showcase.jpg
    python -m pix2pix.training.showcase --hints --out docs/hints.jpg

Rows: the original photos, their grayscale (what every model sees), then each colorizer as the app runs it
(`Translator`, colour strength 1); columns: the photos. Look at it before believing any number. With `--hints`:
one photo, a few brush strokes on its gray, and each colorizer that takes hints without and with them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image

from ..card import short_name
from ..errors import reports_user_errors
from ..hints import stroke_layer
from ..hub import ModelError, weights_dir
from ..images import image_files, load_image, side_by_side
from ..registry import Registry

PHOTOS = Path(__file__).parents[2] / "tests" / "data"
DEFAULT_PHOTOS = ("chelsea.png", "coffee.png", "rocket.jpg", "astronaut.jpg")
HEIGHT = 200  # px per row
HINT_PHOTO = "coffee.png"
# what a user might paint on the coffee photo: the saucer and the cup red-brown, the coffee light brown, the table
# brown, the spoon left alone (colour, radius, [(x0, y0), (x1, y1)]), each 9 px wide
STROKES = [("#a0281e", 4, [(110, 230), (150, 320)]), ("#a0281e", 4, [(420, 180), (455, 260)]),
           ("#a0281e", 4, [(230, 370), (330, 375)]), ("#a0281e", 4, [(200, 150), (215, 210)]),
           ("#c08a5a", 4, [(250, 140), (320, 150)]), ("#7a4a2a", 4, [(30, 120), (60, 60)]),
           ("#7a4a2a", 4, [(520, 40), (580, 110)]), ("#7a4a2a", 4, [(480, 330), (560, 380)])]  # fmt: skip


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


def hint_rows(registry: Registry, photo: Path) -> list[tuple[str, list[Image.Image]]]:
    """The photo and the strokes on its gray, then each Lab colorizer (all follow hints): without them, with them."""
    entries = [e for e in registry.colorizers() if registry.translator(e).follows_hints]
    if not entries:
        raise ModelError(f"no colorizer in {registry.weights_dir} follows colour hints (the Lab colorizers do)")
    rgb = load_image(photo)[0]
    first = registry.translator(entries[0])(rgb)
    hints = stroke_layer(STROKES, rgb.shape[:2], rgb.shape[:2])  # painted as the app's brush paints them
    painted = Image.alpha_composite(first.gray.convert("RGBA"), Image.fromarray(hints, "RGBA")).convert("RGB")
    rows = [("original | the strokes on its gray", [first.original, painted])]
    for e in entries:
        t = registry.translator(e)
        rows.append((f"{short_name(e.config)}: without | with hints", [t(rgb).generated, t(rgb, hints=hints).generated]))
    return rows


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pix2pix.training.showcase", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--weights", type=Path, default=weights_dir(), help="the folder of model folders (default: the shipped "
                   "weights/)")
    p.add_argument("--photos", type=Path, nargs="*", help=f"photos to colour (default: {', '.join(DEFAULT_PHOTOS)}, tests/data)")
    p.add_argument("--out", type=Path, help="the figure to write (.jpg or .png; default docs/showcase.jpg, with --hints "
                   "docs/hints.jpg)")
    p.add_argument("--hints", action="store_true", help=f"the colour-hint figure instead: {HINT_PHOTO} with a few strokes")
    args = p.parse_args(argv)
    args.out = args.out or Path("docs/hints.jpg" if args.hints else "docs/showcase.jpg")
    photos = args.photos or [PHOTOS / name for name in ([HINT_PHOTO] if args.hints else DEFAULT_PHOTOS)]
    photos = [f for p in photos for f in (image_files(p) if p.is_dir() else [p])]
    registry = Registry(args.weights, hub_repos=[])
    fig = figure(hint_rows(registry, photos[0]) if args.hints else rows_of(registry, photos))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.save(args.out, quality=88) if args.out.suffix.lower() in (".jpg", ".jpeg") else fig.save(args.out)
    print(f"{args.out}: {len(photos)} photos, {fig.width}x{fig.height} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
