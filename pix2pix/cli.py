"""Command-line options shared by the `train/` entry points, mapped onto `TrainConfig`."""

from __future__ import annotations

import argparse

from .options import COUNT, POSITIVE, WEIGHT, number
from .train import TrainConfig


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written (its examples keep their lines) and every option's default."""


def training_parser(prog: str, description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)
    g = p.add_argument_group("schedule (pix2pix paper: 100 + 100 epochs, batch 1)")
    g.add_argument("--epochs", type=number(int, 0), default=100, help="epochs at the initial learning rate")
    g.add_argument("--epochs-decay", type=number(int, 0), default=100, help="further epochs with the rate decaying linearly to 0")
    g.add_argument("--batch-size", type=COUNT, default=1, help="images per step (per GPU under torchrun)")
    g.add_argument("--lr", type=POSITIVE, default=2e-4, help="Adam learning rate (betas 0.5, 0.999)")
    g.add_argument("--lambda-l1", type=WEIGHT, default=100.0, help="weight of the L1 term next to the GAN term")
    g.add_argument(
        "--lambda-gan", type=WEIGHT, default=1.0, help="weight of the GAN term (0: no discriminator, L1 only; about 3x faster)"
    )
    g.add_argument(
        "--ema",
        type=number(float, 0, 1, below=True),
        default=0.0,
        metavar="DECAY",
        help="keep an exponential moving average of the "
        "generator's weights with this decay (e.g. 0.999) and save it instead of the last weights (0: off)",
    )
    g.add_argument(
        "--init",
        metavar="MODEL",
        help="fine-tune: start the generator from this model folder or Hub repo (its architecture is kept)",
    )
    g.add_argument("--limit", type=COUNT, help="train on at most this many images (quick CPU runs)")
    m = p.add_argument_group("model")
    m.add_argument("--image-size", type=COUNT, default=256, help="training crop; must be a multiple of 2**depth")
    m.add_argument("--load-size", type=COUNT, default=286, help="images are resized to this, then randomly cropped")
    m.add_argument("--ngf", type=COUNT, default=64, help="generator width")
    m.add_argument("--ndf", type=COUNT, default=64, help="discriminator width")
    m.add_argument("--depth", type=COUNT, default=8, help="U-Net down-sampling steps")
    m.add_argument("--norm", choices=["batch", "instance"], default="batch")
    r = p.add_argument_group("run")
    r.add_argument("--device", default="auto", help="auto picks cuda, then mps, then cpu")
    r.add_argument(
        "--no-amp", action="store_true", help="train in fp32 instead of bf16 autocast (used on CUDA and on CPUs with native bf16)"
    )
    r.add_argument("--compile", action="store_true", help="torch.compile the networks (CUDA: faster after warm-up)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--time-budget", type=POSITIVE, metavar="MIN", help="minutes for the whole run: the schedule shrinks to fit")
    r.add_argument(
        "--checkpoint-every",
        type=WEIGHT,
        default=0.0,
        metavar="SEC",
        help="seconds between checkpoints and sample grids (0: every epoch; the last epoch always)",
    )
    r.add_argument("--resume", action="store_true", help="continue from OUT/train/checkpoint.pt if present")
    r.add_argument("--push-to-hub", metavar="REPO", help="push the trained model to this Hub repo (needs HF_TOKEN)")
    return p


def config_from_args(args: argparse.Namespace, **task: object) -> TrainConfig:
    return TrainConfig(
        **task,
        epochs=args.epochs,
        epochs_decay=args.epochs_decay,
        batch_size=args.batch_size,
        lr=args.lr,
        lambda_l1=args.lambda_l1,
        lambda_gan=args.lambda_gan,
        ema=args.ema,
        init=args.init,
        limit=args.limit,
        image_size=args.image_size,
        load_size=args.load_size,
        ngf=args.ngf,
        ndf=args.ndf,
        depth=args.depth,
        norm=args.norm,
        device=args.device,
        amp=not args.no_amp,
        compile=args.compile,
        time_budget=args.time_budget,
        checkpoint_every=args.checkpoint_every,
        seed=args.seed,
        resume=args.resume,
        push_to_hub=args.push_to_hub,
    )
