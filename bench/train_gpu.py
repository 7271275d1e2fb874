"""Training throughput: the classic pix2pix recipe vs this trainer's fast path, same model, same run.

    python -m bench.train_gpu                      # CUDA: paper model (ngf=64, depth 8) at 256 px
    python -m bench.train_gpu --data data/maps     # real maps tiles instead of synthetic ones
    python -m bench.train_gpu --device cpu         # no GPU: a small model at 64 px (a smoke run, not a result)

Rows, each a fresh `Trainer` with the same seed, timed over --steps after --warmup steps:
  1. classic: every image decoded from disk each step by a DataLoader (4 workers, as in the reference
     code, fewer on smaller machines), batch 1, fp32 (TF32 matmuls on CUDA), NCHW, foreach Adam;
  2. the same, but the dataset decoded once and kept on the device (batches augmented there);
  3. the fast path: device-resident data, --batch images a step, bf16 autocast (CUDA, or a CPU with native
     bf16), and on CUDA channels_last and fused Adam;
  4. the fast path under torch.compile (CUDA by default; --compile / --no-compile to choose).
Achieved TFLOP/s uses the FLOPs counted by torch's FlopCounterMode for one whole G+D step. The projection
is the paper's Maps schedule (1096 pairs x 200 epochs = 219,200 images) at the row's images/s.
Without --data the images are synthetic 1200x600 JPEGs (the maps tiles' size) written to a temp folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from bench.infer_cpu import peak_rss_mb
from pix2pix.training.data import ImageSet
from pix2pix.training.config import TrainConfig
from pix2pix.training.trainer import Trainer

PAPER_IMAGES = 1096 * 200  # the Maps recipe: 1096 training pairs, 100 + 100 epochs
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100 PCIe": 756.0, "H100": 989.0, "A100": 312.0, "L4": 121.0}  # dense, datasheets


class DiskImages(torch.utils.data.Dataset):
    """The classic input pipeline: open, decode and resize one file per item, every time it is asked for."""

    def __init__(self, images: ImageSet, size: int) -> None:
        self.images, self.size = images, size

    def __len__(self) -> int:
        return len(self.images.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self.images.decode_file(self.images.files[i], self.size)).permute(2, 0, 1)


def synthetic_maps(folder: Path, n: int, seed: int = 0) -> Path:
    """`n` smooth random 1200x600 A|B JPEGs in the maps layout (JPEG decode cost like the real tiles)."""
    rng = np.random.default_rng(seed)
    (folder / "train").mkdir(parents=True)
    for i in range(n):
        small = rng.integers(0, 256, (24, 48, 3), dtype=np.uint8)
        Image.fromarray(small).resize((1200, 600), Image.Resampling.BICUBIC).save(folder / "train" / f"{i}.jpg", quality=90)
    return folder


def peak_tflops(device: torch.device, override: float | None) -> float | None:
    if override or device.type != "cuda":
        return override
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)


def flops_per_image(cfg: TrainConfig) -> float:
    """Forward + backward FLOPs of one full G+D training step on one image (fp32, counted, not estimated)."""
    trainer = Trainer(dataclasses.replace(cfg, batch_size=1, amp=False, compile=False))
    with FlopCounterMode(display=False) as counter:
        trainer.train_step(trainer.images[:1])
    return float(counter.get_total_flops())


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return peak_rss_mb()


def describe(trainer: Trainer, from_disk: bool, workers: int) -> str:
    """What the row actually ran (CUDA-only features are off on other devices, and the label says so)."""
    cfg, cuda = trainer.cfg, trainer.device.type == "cuda"
    parts = [f"disk decode per step ({workers} workers)" if from_disk else "device-resident data", f"batch {cfg.batch_size}"]
    parts.append("bf16 autocast" if trainer.amp else "fp32")
    if trainer.channels_last:
        parts.append("channels_last")
    if cuda and cfg.fused_adam:
        parts.append("fused Adam")
    if cfg.compile:
        parts.append("torch.compile")
    return ", ".join(parts)


def images_per_second(trainer: Trainer, steps: int, warmup: int, from_disk: bool, workers: int) -> float:
    """Run warm-up steps, then time `steps` steps (device synchronised) and return images/s."""
    cfg, device = trainer.cfg, trainer.device
    if from_disk:
        loader = torch.utils.data.DataLoader(
            DiskImages(trainer.train_set, cfg.load_size),
            batch_size=cfg.batch_size,
            shuffle=True,
            num_workers=workers,
            pin_memory=device.type == "cuda",
            persistent_workers=workers > 0,
            drop_last=True,
        )

        def batches():
            while True:
                for b in loader:
                    yield b.to(device, non_blocking=True)
    else:

        def batches():
            while True:
                for idx in trainer.epoch_batches():
                    yield trainer.images[idx.to(device)]

    it = batches()
    for _ in range(warmup):
        trainer.train_step(next(it))
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step(next(it))
    sync(device)
    return steps * cfg.batch_size / (time.perf_counter() - start)


def profile(cfg: TrainConfig, warmup: int, workers: int, steps: int = 5, rows: int = 15) -> str:
    """torch.profiler over a few fast-path steps: the operators that take the most device (or CPU) time."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    trainer = Trainer(cfg)
    images_per_second(trainer, 0, warmup, False, workers)  # warm up cuDNN's algorithm search first
    cuda = trainer.device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    with torch_profile(activities=activities) as prof:
        images_per_second(trainer, steps, 0, False, workers)
    key = "self_cuda_time_total" if cuda else "self_cpu_time_total"
    table = prof.key_averages().table(sort_by=key, row_limit=rows)
    return f"Profile of {steps} fast-path steps, top {rows} operators by {key}:\n\n```\n" + table + "\n```"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.train_gpu", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto", help="auto: cuda when available, else cpu")
    p.add_argument("--data", help="a maps-layout folder (train/*.jpg); default: synthetic tiles in a temp folder")
    p.add_argument("--images", type=int, default=64, help="training images to use (synthetic ones to write)")
    p.add_argument("--steps", type=int, help="timed steps per row (default 50 on CUDA, 4 on CPU)")
    p.add_argument("--warmup", type=int, help="untimed steps first (default 10 on CUDA, 1 on CPU)")
    p.add_argument("--batch", type=int, help="fast-path batch size (default 16 on CUDA, 4 on CPU)")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1), help="DataLoader workers of the classic row")
    p.add_argument("--image-size", type=int, help="training crop (default 256 on CUDA, 64 on CPU)")
    p.add_argument("--ngf", type=int, help="generator and discriminator width (default 64 on CUDA, 16 on CPU)")
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, help="add a torch.compile row (default: on CUDA)")
    p.add_argument("--peak-tflops", type=float, help="the card's dense bf16 peak, if not in the built-in list")
    p.add_argument("--profile", action="store_true", help="then profile a few fast-path steps: where the time goes")
    return p.parse_args()


def table_rows(base: TrainConfig, fast: TrainConfig, compile_row: bool) -> list[tuple[TrainConfig, bool]]:
    """The rows (a config, and whether its images are decoded from disk each step): the classic recipe from disk, the
    same with the data kept on the device, the fast path, and the fast path compiled."""
    classic = dataclasses.replace(base, batch_size=1, amp=False, channels_last=False, fused_adam=False)
    compiled = [(dataclasses.replace(fast, compile=True), False)] if compile_row else []
    return [(classic, True), (classic, False), (fast, False), *compiled]


def timed_table(rows: list[tuple[TrainConfig, bool]], flops: float, peak: float | None, steps: int, warmup: int,
                workers: int) -> None:
    """Each row timed with a fresh `Trainer`, printed as a Markdown table as soon as it is measured."""
    dev = torch.device(rows[0][0].device)
    print("| path | images/s | speed-up | TFLOP/s | % of peak | peak mem MB | paper Maps recipe (219,200 images) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    baseline = None
    for cfg, from_disk in rows:
        if dev.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(dev)
        trainer = Trainer(cfg)
        ips = images_per_second(trainer, steps, warmup, from_disk, workers)
        baseline = baseline or ips
        tflops = flops * ips / 1e12
        share = f"{100 * tflops / peak:.1f}%" if peak else "n/a"
        minutes = PAPER_IMAGES / ips / 60
        print(f"| {describe(trainer, from_disk, workers)} | {ips:.1f} | {ips / baseline:.2f}x | {tflops:.2f} | {share} "
              f"| {peak_memory_mb(dev):.0f} | {minutes:.1f} min |", flush=True)  # fmt: skip
        del trainer
        gc.collect()


def main() -> None:
    args = parse_args()
    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = "cuda" if cuda else args.device if args.device != "auto" else "cpu"
    size = args.image_size or (256 if cuda else 64)
    ngf = args.ngf or (64 if cuda else 16)
    steps, warmup = args.steps or (50 if cuda else 4), args.warmup if args.warmup is not None else (10 if cuda else 1)
    batch = args.batch or (16 if cuda else 4)
    compile_row = args.compile if args.compile is not None else cuda

    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or str(synthetic_maps(Path(tmp) / "maps", args.images))
        base = TrainConfig(
            task="maps", data=data, out=str(Path(tmp) / "out"), image_size=size, load_size=size * 286 // 256,
            ngf=ngf, ndf=ngf, depth=min(8, size.bit_length() - 1), limit=args.images, device=device, eval_images=1,
        )  # fmt: skip
        flops = flops_per_image(base)
        dev = torch.device(device)
        peak = peak_tflops(dev, args.peak_tflops)
        cpu = f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
        hardware = torch.cuda.get_device_name(dev) if cuda else cpu
        print(f"{hardware}; torch {torch.__version__}; {dt.date.today().isoformat()}")
        print(f"model: U-Net ngf={ngf} depth={base.depth} + PatchGAN ndf={ngf}, {size} px crops of {base.load_size} px images, "
              f"{flops / 1e9:.1f} GFLOP per image per G+D step (counted); {steps} timed steps after {warmup} warm-up; "
              f"bf16 peak {f'{peak:.0f} TFLOP/s' if peak else 'unknown'}\n")  # fmt: skip
        fast = dataclasses.replace(base, batch_size=batch)
        timed_table(table_rows(base, fast, compile_row), flops, peak, steps, warmup, args.workers)
        if args.profile:
            print("\n" + profile(fast, warmup, args.workers))


if __name__ == "__main__":
    main()
