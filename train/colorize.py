"""Train a colorizer: on a painter's paintings (the "Best Artworks of All Time" layout) or on any tree of photos.

    python -m train.colorize --artist "Gustav Klimt"                  # Lab (default): into weights/gustav-klimt-lab
    python -m train.colorize --artist "Claude Monet" --space rgb       # gray in, RGB out
    python -m train.colorize --photos --data ../photos --out runs/photo-lab   # natural colours, from any photo tree
    python -m train.colorize @train/recipes/claude-monet-lab.args      # a shipped model's recipe (it replaces that model)
    python -m train.colorize --artist Dali --tune-percent 10 --keep-best   # save the epoch that scores best on the tune paintings
    python -m train.colorize @train/recipes/andy-warhol-lab.2.args    # a hint model's hint weights trained alone

Paintings: the data folder holds images/<Artist_Name>_<n>.jpg (any depth below images/) and optionally artists.csv;
a fixed 10% of each artist's paintings (chosen by file name) is held out for evaluation. Photos: every image below
the data folder; its train/ and heldout/ folders are the splits where it has both, else a fixed 5% is held out.
`--tune-percent` keeps a further share of the training images out, for choosing between candidate models.
A model already in --out is replaced only with --replace, or when the run continues it (--init OUT, or --resume
from a checkpoint).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from pix2pix.training.config import FIELDS, add_option, config_from_args, training_parser
from pix2pix.errors import reports_user_errors
from pix2pix.hub import weights_dir
from pix2pix.training.scoring import tune_judge
from pix2pix.training.trainer import train


def parser() -> argparse.ArgumentParser:
    p = training_parser("python -m train.colorize", __doc__, ["space", "hints", "hint_inputs_only", "tune_percent", "min_scale",
                                                                "lambda_smooth"])
    who = p.add_mutually_exclusive_group(required=True)
    add_option(who, "artists")
    who.add_argument("--photos", action="store_true", help="train on every colour image below --data (any folder tree)")
    add_option(
        p, "data", default="data/best-artworks", help="paintings folder (images/, artists.csv) or, with --photos, photo tree"
    )
    add_option(p, "out", default=None, help=FIELDS["out"].metadata["help"] + " (default weights/<artist>-<space>: the "
                 "app's folder, PIX2PIX_WEIGHTS or the shipped weights/, from any working folder)")
    p.add_argument("--keep-best", action="store_true", help="score the model on the tune paintings after every epoch "
                   "(needs --tune-percent) and save the best epoch's weights instead of the last: the most of the colour "
                   "targets met, then the closer palette (as python -m pix2pix.training.evaluate scores)")  # fmt: skip
    return p


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.keep_best and args.photos:
        p.error("--keep-best judges on tune paintings: it needs --artist")
    if args.keep_best and not args.tune_percent:
        p.error("--keep-best needs --tune-percent: the epochs are judged on paintings kept out of training")
    if args.keep_best and args.hint_inputs_only:
        p.error("--keep-best judges the colours without hints, which --hint-inputs-only leaves as they were")
    artists = [] if args.photos else args.artists
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(artists or ["photo"]).lower()).strip("-")
    out = args.out or str(weights_dir() / f"{slug}-{args.space}")
    judge = tune_judge(Path(args.data), artists, args.tune_percent) if args.keep_best else None
    train(config_from_args(args, task="colorize", out=out, artists=artists), judge)
    print(f"model written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
