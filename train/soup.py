"""Average the weights of several fine-tunes of one model into one (a uniform "model soup", Wortsman et al. 2022).

    python -m train.soup --out weights/claude-monet-lab runs/monet-l200 runs/monet-l300 runs/monet-l500

Fine-tunes that start from the same weights tend to stay in one basin of the loss, so their average is often a
little more accurate than each of them: an ensemble at the cost of one network. The models must share their
architecture and task (their config.json apart from the training facts), and should start from the same run (a
warning says when they do not); the soup keeps that config, and its training facts list each ingredient's under
`soup_of`. Score it like any model (python -m pix2pix.training.evaluate).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import torch

from pix2pix.errors import reports_user_errors
from pix2pix.hub import ModelError, Pix2PixGenerator, file_in_the_way, load_generator

SHARED = ("data", "train_images", "colorless_left_out", "tune_percent", "image_size", "load_size", "batch_size", "device", "date")
PER_RUN = ("lambda_l1", "lambda_gan", "ema", "schedule", "steps", "seconds_this_session", "final_losses")


def average(models: list[Pix2PixGenerator]) -> dict[str, torch.Tensor]:
    """The element-wise mean of the models' weights and BatchNorm statistics; integer counters are the first's."""
    states = [m.state_dict() for m in models]
    return {k: (sum(s[k].float() for s in states) / len(states)).to(v.dtype) if v.is_floating_point() else v
            for k, v in states[0].items()}  # fmt: skip


def one_start(infos: list[dict]) -> bool:
    """Whether every model was fine-tuned from the same run (or none was): the case a soup is meant for."""
    return len({json.dumps(i.get("fine_tuned_from"), sort_keys=True) for i in infos}) == 1


def soup_info(names: list[str], infos: list[dict], command: str) -> dict:
    """Training facts of the soup: what the ingredients share (from the first), each one's own, and the start they share."""
    first = infos[0]
    info = {k: first[k] for k in SHARED if k in first}
    keys = [Path(n).name for n in names]
    keys = keys if len(set(keys)) == len(keys) else names  # same-named folders in different places: keep the paths
    info["soup_of"] = {key: {k: i[k] for k in PER_RUN if k in i} for key, i in zip(keys, infos)}
    schedules = {i.get("schedule") for i in infos}
    each = f" of {schedules.pop()}" if len(schedules) == 1 and None not in schedules else ""
    info["schedule"] = f"the average of {len(names)} runs{each}"
    info["steps"] = sum(i.get("steps", 0) for i in infos)
    info["seconds_this_session"] = round(sum(i.get("seconds_this_session", 0) for i in infos), 1)
    if one_start(infos) and "fine_tuned_from" in first:
        info["fine_tuned_from"] = first["fine_tuned_from"]
    info["recipe"] = command
    return info


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m train.soup", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("models", nargs="+", help="model folders or Hub repo ids: fine-tunes of one model")
    p.add_argument("--out", required=True, help="model folder to write")
    args = p.parse_args(argv)
    if len(args.models) < 2:
        p.error("give at least two models to average")
    if blocker := file_in_the_way(args.out):
        p.error(f"--out {args.out}: {blocker} is a file, not a folder")
    models = [load_generator(m) for m in args.models]
    arch = models[0].architecture
    for name, m in zip(args.models[1:], models[1:]):
        if (other := m.architecture) != arch:
            differ = sorted(k for k in arch.keys() | other.keys() if arch.get(k) != other.get(k))
            raise ModelError(f"{name} differs from {args.models[0]} in {', '.join(differ)}: only fine-tunes of one model average")
    infos = [m.train_info for m in models]
    if not one_start(infos):
        print("warning: the models were not all fine-tuned from the same run; networks trained apart need not share a basin,"
              " and their average can lose what each learnt (score it before use)", file=sys.stderr)
    soup = models[0]
    soup.load_state_dict(average(models))
    soup.set_colour_gain(1.0)  # new weights: a gain fitted on one of the runs does not carry over
    command = shlex.join(["python", "-m", "train.soup", "--out", args.out, *args.models])
    soup.save(args.out, soup_info(args.models, infos, command))
    print(f"soup of {len(models)} models written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
