"""CPU inference latency of the paper-sized generator (ngf=64, depth=8), plain eager vs faster paths.

    python -m bench.infer_cpu [--runs 10] [--threads N]

Prints one table: median latency over --runs after a warm-up, speed-up vs the fp32 eager baseline of the
same run, max |output - baseline|, and the process's peak RSS after each row. Then a second table: what colour
hints cost, the shipped colorizers' size (ngf 16, depth 7, 128 px) colouring a 600x400 photo as the app does,
without and with hints (the automatic model's only spread after it), and as a hint model without and with hints,
also with a colour transfer (Monet's and Titian's models carry one) and as an automatic model with a hint adapter
(Picasso's and Malevich's: the adapter runs only when hints are given). The test photo of a coffee cup (how far hints
spread depends on the photo's structure); random weights and a transfer fitted on random colours: latency does not
depend on their values.
"""

from __future__ import annotations

import argparse
import copy
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

import numpy as np
from PIL import Image

from pix2pix.color import cv_lab_to_rgb
from pix2pix.hints import sampled_hints
from pix2pix.hub import Pix2PixGenerator
from pix2pix.infer import Translator
from pix2pix.transfer import ColourTransfer


def median_ms(fn: Callable[[], torch.Tensor], runs: int) -> tuple[float, torch.Tensor]:
    out = fn()  # warm-up
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def paths(model: Pix2PixGenerator) -> dict[str, Callable[[Callable[[Translator], torch.Tensor]], torch.Tensor]]:
    """Each path runs a workload (a function of a Translator) its own way; the last is what the app runs."""
    plain = Translator(model)
    cl = Translator(copy.deepcopy(model).to(memory_format=torch.channels_last))
    app = Translator(copy.deepcopy(model), fast=True)

    def eager(work):
        with torch.no_grad():
            return work(plain)

    def inference(work, t):
        with torch.inference_mode():
            return work(t)

    app_name = "app: Translator(fast=True) = bf16 weights + channels_last"
    if not app.bf16:
        app_name = "app: Translator(fast=True) (no native bf16 here: fp32)"
    return {"fp32 eager (baseline)": eager, "inference_mode + channels_last": lambda w: inference(w, cl),
            app_name: lambda w: inference(w, app)}


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.infer_cpu", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    maps = Pix2PixGenerator(3, 3, task="maps", image_size=256).eval()
    lab = Pix2PixGenerator(1, 2, task="colorize", space="lab", artist="bench", image_size=256).eval()
    x256 = torch.rand(1, 3, 256, 256) * 2 - 1
    x1024 = torch.rand(1, 3, 1024, 1024) * 2 - 1
    x2048 = torch.rand(1, 3, 2048, 2048)
    workloads = {
        "256x256 single": (maps, lambda t: t.net(x256)),
        "1024x1024 aerial (tiled)": (maps, lambda t: t.translate_map(x1024)),
        "2048x2048 colorize (Lab, full-res)": (lab, lambda t: cv_lab_to_rgb(t.colorize_lab(x2048))),
    }
    print(f"torch {torch.__version__}, {args.threads} threads, median of {args.runs} runs\n")
    print("| workload | path | median ms | speed-up | max abs diff | peak RSS MB |")
    print("|---|---|---:|---:|---:|---:|")
    for wname, (model, work) in workloads.items():
        base_ms, base_out = None, None
        for pname, run in paths(model).items():
            ms, out = median_ms(lambda run=run, work=work: run(work), args.runs)
            if base_ms is None:
                base_ms, base_out = ms, out
            diff = (out.float() - base_out.float()).abs().max().item()
            print(f"| {wname} | {pname} | {ms:.1f} | {base_ms / ms:.2f}x | {diff:.2e} | {peak_rss_mb():.0f} |", flush=True)
    hint_costs(max(args.runs, 50))


def hint_costs(runs: int) -> None:
    """The app's Lab colorizer on the 600x400 coffee photo: the automatic model against a hint model, no hints and 100,
    without and with a colour transfer, and against an automatic model with a hint adapter.

    The rows are timed in turns, one call each per round, so that a drift of the machine's speed during the
    bench (another process, the CPU's clock) falls on every row alike instead of on whichever row ran last."""
    torch.manual_seed(0)
    shipped = dict(ngf=16, depth=7, task="colorize", space="lab", image_size=128)
    photo = np.asarray(Image.open(Path(__file__).parents[1] / "tests" / "data" / "coffee.png").convert("RGB"))
    hints = sampled_hints(photo, 100, np.random.default_rng(0))
    auto = Translator(Pix2PixGenerator(1, 2, **shipped), fast=True)
    hinted = Translator(Pix2PixGenerator(4, 2, **shipped), fast=True)
    rng = np.random.default_rng(0)
    transfer = ColourTransfer.fit(rng.normal(0, 10, (30000, 2)), rng.normal(10, 20, (30000, 2)), strength=0.75)
    mapped = Translator(Pix2PixGenerator(4, 2, **shipped, colour_transfer=transfer.to_config()), fast=True)
    adapter = dict(ngf=16, depth=7, image_size=128, upsample="resize")
    adapted = Translator(Pix2PixGenerator(1, 2, **shipped, hint_adapter=adapter), fast=True)
    rows = {"automatic model (L in)": lambda: auto(photo), "automatic model, 100 hints (spread after it)":
            lambda: auto(photo, hints=hints), "hint model, no hints": lambda: hinted(photo),
            "hint model, 100 hints": lambda: hinted(photo, hints=hints),
            "hint model with a colour transfer, no hints": lambda: mapped(photo),
            "hint model with a colour transfer, 100 hints": lambda: mapped(photo, hints=hints),
            "automatic model with a hint adapter, no hints": lambda: adapted(photo),
            "automatic model with a hint adapter, 100 hints": lambda: adapted(photo, hints=hints)}  # fmt: skip
    with torch.inference_mode():
        times = interleaved_ms(list(rows.values()), runs)
    print(f"\n| colour hints, the 600x400 coffee photo through Translator(fast=True), {runs} rounds | median ms"
          " | vs the automatic model |")
    print("|---|---:|---:|")
    base = statistics.median(times[0])
    for name, row in zip(rows, times):
        ms = statistics.median(row)
        print(f"| {name} | {ms:.1f} | {ms / base - 1:+.0%} |", flush=True)


def interleaved_ms(fns: list[Callable[[], object]], rounds: int) -> list[list[float]]:
    """Each function's times in ms, after three warm-up calls each, timed in turns."""
    for fn in fns:
        for _ in range(3):
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(rounds):
        for fn, row in zip(fns, times):
            t = time.perf_counter()
            fn()
            row.append((time.perf_counter() - t) * 1000)
    return times

if __name__ == "__main__":
    main()
