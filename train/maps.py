"""Train pix2pix on the maps set: aerial photo -> map (AtoB) or map -> aerial photo (BtoA).

    python -m train.maps --download --out runs/aerial2map   # fetch data/maps (about 250 MB), train photo -> map
    python -m train.maps --direction BtoA --out runs/map2aerial
    torchrun --nproc_per_node 4 -m train.maps --batch-size 16 --out runs/aerial2map   # several GPUs
    python -m train.maps --init weights/maps-aerial2map --lambda-gan 0 --lambda-palette 1 --lr 1e-4 \\
        --epochs 4 --epochs-decay 8 --batch-size 4 --out weights/maps-aerial2map-ft
    python -m train.maps --calibrate weights/maps-aerial2map --data ../shared/data/maps

The fourth line fine-tunes a trained aerial -> map model (its architecture, scale and palette are kept) with a
palette cross-entropy instead of the GAN term, so that snapping to the palette picks the right colours. The last
re-learns a trained model's palette and refits how it snaps (a bias per colour, a majority window) on training
pairs, in place and without training: every aerial -> map run also does this at its end.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pix2pix.training.config import FIELDS, ConfigError, add_option, config_from_args, training_parser
from pix2pix.training.data import download_maps
from pix2pix.errors import reports_user_errors
from pix2pix.hub import weights_dir
from pix2pix.training.snap import recalibrate
from pix2pix.training.trainer import train


def parser() -> argparse.ArgumentParser:
    p = training_parser("python -m train.maps", __doc__, ["direction", "scale", "palette", "lambda_palette"])
    add_option(p, "data", default="data/maps", help="folder holding train/ and val/ of side-by-side A|B JPGs")
    add_option(p, "out", default=None, help=FIELDS["out"].metadata["help"] + " (default weights/maps-aerial2map or "
                 "-map2aerial in the app's folder: PIX2PIX_WEIGHTS or the shipped weights/)")
    p.add_argument("--download", action="store_true", help="download the public maps archive into the parent of --data first")
    p.add_argument("--calibrate", metavar="MODEL", help="AtoB: only re-learn MODEL's palette (--palette colours) and refit "
                   "its snapping on the training pairs of --data, then save MODEL in place")  # fmt: skip
    return p


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.calibrate and args.palette < 1:  # before any download
        raise ConfigError(f"--calibrate needs a palette of at least one colour, got --palette {args.palette}")
    data = args.data
    if args.download:
        data = str(download_maps(Path(args.data).parent))
    if args.calibrate:
        recalibrate(args.calibrate, data, args.palette)
        print(f"palette snap refitted and saved in {args.calibrate}; re-run pix2pix.training.evaluate --write for its scores")
        return 0
    out = args.out or str(weights_dir() / f"maps-{'aerial2map' if args.direction == 'AtoB' else 'map2aerial'}")
    train(config_from_args(args, task="maps", data=data, out=out, space="rgb"))
    print(f"model written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
