"""Train a hint adapter (`pix2pix.models.HintAdapter`) for a Lab colorizer: a network that repaints its colours with
colour hints, for a colorizer whose network takes none or follows them little.

    python -m pix2pix.training.fit_adapter weights/pablo-picasso-lab --init weights/photo-lab \
        --photos ../photos --data ../shared/data/paintings [--write]
    python -m pix2pix.training.fit_adapter @train/recipes/pablo-picasso-lab.adapter.args   # the shipped one

The adapter starts from a hint model's network (`--init`: the natural-colour model, which learnt hints from 66,000
photos), widened with zero weights for the colorizer's own a*b*. It learns, with simulated hints (as Zhang et al.
train), to repaint what the colorizer paints towards the real colours: L1 to the real a*b* where an image got hints, to
the colours it was given where it got none. Its images are training photos and the other painters' training paintings
(tune splits left out) with the colorizer's colours, far from the real ones, so that the hints have to be followed;
and the same photos again with the starting hint model's own colours, close to the real ones, so that colours the
hints agree with are kept. The colorizer's own paintings are left out, since it learnt them. Without hints the adapter
is not run, so the colorizer colours exactly as before. With --write the adapter is stored with the model (its weights in
model.safetensors, its settings in config.json) and its recipe in the card.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..color import mean_chroma, normalize_lab, rgb_to_lab
from ..errors import reports_user_errors
from ..hints import simulated_hints
from ..hub import ModelError, Pix2PixGenerator, load_generator
from ..images import ImageError, load_image
from ..infer import Translator, to_tensor
from ..models import HintAdapter
from ..options import COUNT, PERCENT
from .config import RecipeParser
from .data import MIN_CHROMA, painting_files, photo_files, spread
from .setup import zero_widened

MAX_SIDE = 512  # images are decoded no larger: the colorizers see them at 128 or 256 px


def adapter_from(hint_model: Pix2PixGenerator) -> tuple[HintAdapter, dict]:
    """An adapter with a hint model's weights, its first convolution widened with zero weights for the colorizer's
    own a*b*: before training it paints what the hint model paints."""
    if not hint_model.takes_hints:
        raise ModelError("--init must be a hint model (a Lab colorizer whose network takes hints)")
    c = hint_model.config
    settings = {k: c[k] for k in ("ngf", "depth", "norm", "dropout", "upsample")} | {"image_size": c["image_size"]}
    adapter = HintAdapter(**settings)
    state = hint_model.state_dict()
    state["down.0.0.weight"] = zero_widened(state["down.0.0.weight"], 2)
    adapter.load_state_dict({k: v for k, v in state.items() if not k.startswith("adapter.")})
    return adapter.float(), settings


def decoded(path: Path) -> np.ndarray | None:
    """A training image as the app reads a user's (upright, in sRGB, at most MAX_SIDE), or None if it cannot be read."""
    try:
        return load_image(path, MAX_SIDE)[0]
    except ImageError:
        return None


@torch.inference_mode()
def examples(colorizer: Translator, files: list[Path], size: int) -> dict[str, torch.Tensor]:
    """Each colour image's L, real a*b* and the colorizer's own a*b*, at `size` in the networks' scale (fp16)."""
    out: dict[str, list[torch.Tensor]] = {"L": [], "real": [], "own": []}
    s = colorizer.model.image_size
    for path in tqdm(files, desc="the colorizer's colours", leave=False):
        rgb = decoded(path)
        if rgb is None or mean_chroma(rgb) < MIN_CHROMA:
            continue
        x = to_tensor(rgb)
        big = F.interpolate(x, size=(s, s), mode="bilinear", antialias=True, align_corners=False)
        small = F.interpolate(x, size=(size, size), mode="bilinear", antialias=True, align_corners=False)
        own = F.interpolate(colorizer.painted(colorizer.model.kind.condition(big)), size=(size, size), mode="area")
        L, ab = normalize_lab(rgb_to_lab(small))
        for key, t in zip(("L", "real", "own"), (L, ab, own)):
            out[key].append(t.half())
    return {k: torch.cat(v) for k, v in out.items()}


def fit(adapter: HintAdapter, data: dict[str, torch.Tensor], steps: int, lr: float, batch: int, seed: int) -> float:
    """Train in place, run as the app runs it (BatchNorm on its running statistics, no dropout); the last loss."""
    adapter.eval()
    opt = torch.optim.Adam(adapter.parameters(), lr=lr, betas=(0.5, 0.999))
    generator, n, loss = torch.Generator().manual_seed(seed), len(data["L"]), torch.zeros(())
    for _ in tqdm(range(steps), desc="hint adapter", leave=False):
        idx = torch.randint(0, n, (batch,), generator=generator)
        L, real, own = (data[k][idx].float() for k in ("L", "real", "own"))
        if torch.rand(1, generator=generator).item() < 0.5:
            L, real, own = L.flip(-1), real.flip(-1), own.flip(-1)
        hints = simulated_hints(real, generator)
        given = (hints[:, 2:].flatten(1).amax(1) > 0).float()[:, None, None, None]
        target = given * real + (1 - given) * own
        loss = (adapter.repaint(L, hints[:, :2], hints[:, 2:], own) - target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return loss.item()


def training_files(args: argparse.Namespace, artist: str) -> tuple[list[Path], list[Path]]:
    """Training photos (spread over the tree) and the other painters' training paintings, tune splits left out."""
    photos = spread(photo_files(args.photos, "train"), args.photo_count)
    others = [a for a in painting_files(args.data, None, "all")[0] if a != artist]
    return photos, painting_files(args.data, others, "train", tune_percent=args.tune_percent)[1]


def parser() -> RecipeParser:
    """The command's options; `@FILE` reads them from a recipe (train/recipes/*.adapter.args)."""
    p = RecipeParser(prog="python -m pix2pix.training.fit_adapter", description=__doc__, fromfile_prefix_chars="@",
                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("model", type=Path, help="a Lab colorizer folder (its network's own hint channels, if any, go unused)")
    p.add_argument("--init", type=Path, required=True, help="the hint model the adapter starts from")
    p.add_argument("--photos", type=Path, required=True, help="the photo tree")
    p.add_argument("--data", type=Path, required=True, help="the paintings folder")
    p.add_argument("--photo-count", type=COUNT, default=6000, help="training photos used (spread over the tree)")
    p.add_argument("--tune-percent", type=PERCENT, default=10, help="the paintings' tune split, left out")
    p.add_argument("--steps", type=COUNT, default=3000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=COUNT, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--write", action="store_true", help="store the adapter with the model (weights, config, card)")
    return p


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    G = load_generator(args.model)
    if G.task != "colorize" or G.space != "lab":
        raise ModelError(f"{args.model} is not a Lab colorizer")
    init = load_generator(args.init)
    adapter, settings = adapter_from(init)  # a copy of its weights: the hint model itself stays as loaded
    start = time.time()
    photos, paintings = training_files(args, G.artist)
    far = examples(Translator(G), photos + paintings, settings["image_size"])
    near = examples(Translator(init), photos, settings["image_size"])
    data = {k: torch.cat([far[k], near[k]]) for k in far}
    loss = fit(adapter, data, args.steps, args.lr, args.batch_size, args.seed)
    facts = {"init": str(args.init), "photos": len(photos), "paintings": f"{len(paintings)} of the other painters'",
             "examples": f"{len(far['L'])} with its colours, {len(near['L'])} with the hint model's",
             "steps": args.steps, "batch_size": args.batch_size, "lr": args.lr,
             "seed": args.seed, "final_l1": round(loss, 4), "minutes": round((time.time() - start) / 60, 1),
             "date": date.today().isoformat()}  # fmt: skip
    print(f"hint adapter trained: {facts}")
    if args.write:
        G.set_hint_adapter(adapter.eval(), settings)
        G.save(args.model, G.train_info | {"hint_adapter": facts})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
