"""Train every model the app ships, one process per model, all sharing this machine (a GPU or the CPU).

    python -m train.all --paintings data/best-artworks --maps data/maps --out runs/models   # the paper recipe, all nine
    python -m train.all --only titian-lab titian-rgb --time-budget 30 --colorize-args "--ngf 32 --image-size 128"

Each model trains with `train.colorize` or `train.maps` into OUT/<name>; its log goes to LOG_DIR/<name>.log.
Models run at once (--parallel): a GPU interleaves their kernels, and a time budget (minutes per model)
shrinks each schedule to fit. Options after the model lists reach every trainer of that kind unchanged.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch

from pix2pix.hub import WEIGHTS_FILE, weights_dir
from pix2pix.options import COUNT, POSITIVE

ARTISTS = ["Claude Monet", "Pablo Picasso", "Titian", "Andy Warhol", "Salvador Dali", "Kazimir Malevich"]
MODELS: dict[str, tuple[str, list[str]]] = {
    **{f"{a.lower().replace(' ', '-')}-lab": ("colorize", ["--artist", a, "--space", "lab"]) for a in ARTISTS},
    "titian-rgb": ("colorize", ["--artist", "Titian", "--space", "rgb"]),
    "maps-aerial2map": ("maps", ["--direction", "AtoB"]),
    "maps-map2aerial": ("maps", ["--direction", "BtoA"]),
}


def command(name: str, args: argparse.Namespace) -> list[str]:
    kind, own = MODELS[name]
    data, extra = (args.paintings, args.colorize_args) if kind == "colorize" else (args.maps, args.maps_args)
    cmd = [sys.executable, "-m", f"train.{kind}", *own, "--data", data, "--out", str(Path(args.out) / name)]
    if args.time_budget:
        cmd += ["--time-budget", str(args.time_budget)]
    if args.replace:
        cmd.append("--replace")
    return cmd + shlex.split(extra)


def held(names: list[str], out: str) -> list[str]:
    """The models of `names` that OUT already holds: refused unless --replace, before hours of training are spent."""
    return [name for name in names if (Path(out) / name / WEIGHTS_FILE).is_file()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.all", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--paintings", default="data/best-artworks", help="folder with images/<Artist_Name>_<n>.jpg")
    p.add_argument("--maps", default="data/maps", help="folder with train/ and val/ of the maps pairs")
    p.add_argument("--out", type=Path, default=weights_dir(),
                   help="where the model folders go (default: the app's folder, PIX2PIX_WEIGHTS or the shipped weights/)")
    p.add_argument("--only", nargs="+", choices=list(MODELS), help="train these models only (default: all)")
    p.add_argument("--parallel", type=COUNT, help="models trained at once (default: all on CUDA, 1 on CPU)")
    p.add_argument("--time-budget", type=POSITIVE, help="minutes per model; each schedule shrinks to fit")
    p.add_argument("--colorize-args", default="", help='extra options for every colorizer, e.g. "--ngf 32 --batch-size 16"')
    p.add_argument("--maps-args", default="", help="extra options for both maps models")
    p.add_argument("--log-dir", default="runs/logs", help="one log file per model")
    p.add_argument("--replace", action="store_true", help="replace the models OUT already holds (the shipped ones in "
                   "weights/, by default) when their runs end; without it, such runs are refused before any starts")
    args = p.parse_args(argv)

    names = args.only or list(MODELS)
    if (kept := held(names, args.out)) and not args.replace:
        p.error(f"{args.out} already holds {', '.join(kept)}, which these runs would replace when they end: "
                "give another --out, or --replace")
    parallel = args.parallel or (len(names) if torch.cuda.is_available() else 1)
    threads = max(1, (os.cpu_count() or 1) // parallel)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
    Path(args.log_dir).mkdir(parents=True, exist_ok=True)

    waiting, running, results = list(names), {}, {}
    while waiting or running:
        while waiting and len(running) < parallel:
            name = waiting.pop(0)
            log = open(Path(args.log_dir) / f"{name}.log", "w")
            print(f"start {name}: {shlex.join(command(name, args))}", flush=True)
            proc = subprocess.Popen(command(name, args), stdout=log, stderr=subprocess.STDOUT, env=env)
            running[name] = (proc, log, time.time())
        time.sleep(1)
        for name, (proc, log, started) in list(running.items()):
            if proc.poll() is not None:
                log.close()
                results[name] = (proc.returncode, time.time() - started)
                print(f"{'done' if proc.returncode == 0 else 'FAILED'} {name} in {results[name][1] / 60:.1f} min", flush=True)
                del running[name]

    print("\n| model | exit | minutes |\n|---|---:|---:|")
    for name in names:
        print(f"| {name} | {results[name][0]} | {results[name][1] / 60:.1f} |")
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
