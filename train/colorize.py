"""Train a per-artist colorization model on paintings (the "Best Artworks of All Time" layout).

    python -m train.colorize --artist "Claude Monet"                  # Lab: L in, a*b* out (default)
    python -m train.colorize --artist "Claude Monet" --space rgb       # gray in, RGB out
    python -m train.colorize --photos --data ../photos --out weights/photo-lab   # natural colours, from any photo tree
    python -m train.colorize --artist Monet --artist Renoir --out weights/impressionists-lab
    python -m train.colorize --artist Dali --tune-percent 10 --keep-best   # save the epoch that scores best on the tune paintings

The data folder holds images/<Artist_Name>_<n>.jpg (any depth below images/) and optionally artists.csv.
A fixed 10% of each artist's paintings (chosen by file name) is held out for evaluation; `--tune-percent`
keeps a further share of the rest out, for choosing between candidate models.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from pix2pix.cli import config_from_args, training_parser
from pix2pix.errors import reports_user_errors
from pix2pix.evaluate import tune_judge
from pix2pix.options import PERCENT, number
from pix2pix.train import train


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = training_parser("python -m train.colorize", __doc__)
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--artist", action="append", help='artist name, e.g. "Claude Monet" or Monet (repeatable)')
    who.add_argument(
        "--photos",
        action="store_true",
        help="train on every colour image below --data (any folder tree; its "
        "train/ and heldout/ folders are the splits where it has both, else a fixed 5%% is held out)",
    )
    p.add_argument("--space", choices=["lab", "rgb"], default="lab", help="lab: predict a*b* from L; rgb: predict RGB from gray")
    p.add_argument("--data", default="data/best-artworks", help="folder with images/ (and artists.csv)")
    p.add_argument("--out", help="model folder to write (default weights/<artist>-<space>)")
    p.add_argument(
        "--tune-percent",
        type=PERCENT,
        default=0,
        metavar="P",
        help="keep P%% of the training paintings out of "
        "training, to compare candidate models on (python -m pix2pix.evaluate --tune-percent P) without the held-out ones",
    )
    p.add_argument(
        "--keep-best",
        action="store_true",
        help="score the model on the tune paintings after every epoch "
        "(needs --tune-percent) and save the best epoch's weights instead of the last: the most of the five targets "
        "met against the gray and mean a*b* baselines, then the lower CIEDE2000 (as python -m pix2pix.evaluate scores)",
    )
    p.add_argument(
        "--min-scale",
        type=number(float, 0, 1),
        default=0.0,
        metavar="F",
        help="zoom augmentation: each training window's "
        "side is a random fraction F..1 of the loaded painting, resized to --image-size (0: pix2pix's fixed crop)",
    )
    args = p.parse_args(argv)
    if args.keep_best and args.photos:
        p.error("--keep-best judges on tune paintings: it needs --artist")
    if args.keep_best and not args.tune_percent:
        p.error("--keep-best needs --tune-percent: the epochs are judged on paintings kept out of training")
    artists = [] if args.photos else args.artist
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(artists or ["photo"]).lower()).strip("-")
    out = args.out or f"weights/{slug}-{args.space}"
    train(
        config_from_args(
            args,
            task="colorize",
            data=args.data,
            out=out,
            space=args.space,
            artists=artists,
            tune_percent=args.tune_percent,
            min_scale=args.min_scale,
        ),
        tune_judge(Path(args.data), args.artist, args.tune_percent) if args.keep_best else None,
    )
    print(f"model written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
