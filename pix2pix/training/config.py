"""A training run's settings, each defined once: its default, its help and its command-line option live in
`TrainConfig`'s field; the training commands build their options from these fields, and a run records only
what differs from the defaults."""

from __future__ import annotations

import argparse
import dataclasses
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..options import COUNT, PERCENT, POSITIVE, WEIGHT, number

SCHEDULE, MODEL, RUN, DATA = "schedule (pix2pix paper: 100 + 100 epochs, batch 1)", "model", "run", "data and task"
MAPS, COLOUR = "maps", "colorizers"


CHECKPOINT = "checkpoint.pt"  # the file name of a run's checkpoint (`TrainConfig.checkpoint`)


class ConfigError(UserError, ValueError):
    """A run's settings that cannot work together (or with the model it starts from): the training commands report
    it in one line, like a bad option."""


def setting(default: Any, help: str, group: str = RUN, type: Callable | None = None, **option: Any) -> Any:
    """A field with its command-line option: `help` and `group` for argparse, `type` its range-checked parser;
    `option` passes on (choices, metavar, flag). Help None: a setting with no option."""
    meta = {"help": help, "group": group, "type": type, **option}
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class TrainConfig:
    """Everything a run depends on; stored in the checkpoint so `--resume` continues the same run."""

    task: str = setting("colorize", None)  # "maps" or "colorize": set by the command
    data: str = setting("data", "the data folder", DATA)
    out: str = setting("weights/model", "model folder to write; checkpoints and samples go to OUT/train", DATA)
    space: str = setting("lab", "lab: predict a*b* from L; rgb: predict RGB from gray", COLOUR, choices=["lab", "rgb"])
    artists: list[str] = setting([], 'artist name, e.g. "Claude Monet" or Monet (repeatable)', COLOUR, flag="--artist")
    direction: str = setting("AtoB", "AtoB: photo -> map; BtoA: map -> photo", MAPS, choices=["AtoB", "BtoA"])
    hints: bool = setting(False, "Lab: the model also takes colour hints (a*b* + mask beside L), simulated in training as "
                          "Zhang et al. (2017) do; with --init, an automatic model is widened with zero weights for them",
                          COLOUR)
    hint_inputs_only: bool = setting(False, "with --init of a hint model: train only its first convolution's weights for "
                                     "the hint channels, the rest frozen and run as the app runs it (L1 alone: "
                                     "--lambda-gan 0), so that it colours exactly as before without hints and learns to "
                                     "follow them better", COLOUR)
    tune_percent: int = setting(0, "keep P%% of the training images out of training, to compare candidate models on "
                                "(pix2pix.training.evaluate --tune-percent P)", COLOUR, PERCENT, metavar="P")
    scale: float | None = setting(None, "maps: ground scale to record: training pixels per pixel of the 600 px tiles "
                                  "(default: load size / tile width on disk)", MAPS, POSITIVE)
    palette: int = setting(10, "aerial -> map: colours of the map palette learnt for snapping (0: none)", MAPS, number(int, 0))
    epochs: int = setting(100, "epochs at the initial learning rate", SCHEDULE, number(int, 0))
    epochs_decay: int = setting(100, "further epochs with the rate decaying linearly to 0", SCHEDULE, number(int, 0))
    batch_size: int = setting(1, "images per step (per GPU under torchrun)", SCHEDULE, COUNT)
    lr: float = setting(2e-4, "Adam learning rate (betas BETA1, 0.999)", SCHEDULE, POSITIVE)
    beta1: float = setting(0.5, None)
    lambda_l1: float = setting(100.0, "weight of the L1 term next to the GAN term", SCHEDULE, WEIGHT)
    lambda_gan: float = setting(1.0, "weight of the GAN term (0: no discriminator, L1 only; about 3x faster)", SCHEDULE, WEIGHT)
    lambda_palette: float = setting(0.0, "aerial -> map: weight of a cross-entropy term that teaches each pixel its real "
                                    "palette colour (what --snap picks); needs the palette", MAPS, WEIGHT)
    lambda_smooth: float = setting(0.0, "Lab: weight of an edge-aware smoothness term on the predicted a*b* "
                                   "(pix2pix.training.losses.chroma_smoothness): colour changes where the gray's "
                                   "structure does, fewer patches of hue it draws no edge for", COLOUR, WEIGHT)
    ema: float = setting(0.0, "keep an exponential moving average of the generator's weights with this decay (e.g. 0.999) "
                         "and save it instead of the last weights (0: off)", SCHEDULE, number(float, 0, 1, below=True),
                         metavar="DECAY")
    init: str | None = setting(None, "fine-tune: start the generator from this model folder or Hub repo (its architecture "
                               "is kept)", SCHEDULE, metavar="MODEL")
    min_scale: float = setting(0.0, "zoom augmentation: each training window's side is a random fraction F..1 of the "
                               "loaded image, resized to --image-size (0: a fixed crop)", COLOUR, number(float, 0, 1),
                               metavar="F")
    limit: int | None = setting(None, "train on at most this many images (quick CPU runs)", SCHEDULE, COUNT)
    image_size: int = setting(256, "training crop; must be a multiple of 2**depth", MODEL, COUNT)
    load_size: int = setting(286, "images are resized to this, then randomly cropped", MODEL, COUNT)
    ngf: int = setting(64, "generator width", MODEL, COUNT)
    ndf: int = setting(64, "discriminator width", MODEL, COUNT)
    depth: int = setting(8, "U-Net down-sampling steps", MODEL, COUNT)
    norm: str = setting("batch", "normalisation layers", MODEL, choices=["batch", "instance"])
    upsample: str = setting("transposed", "the decoder's x2: the paper's transposed convolution, or resize (nearest x2 and "
                            "a 3x3 convolution: no lattice over flat inputs); with --init, a transposed model's kernels "
                            "are fitted into resize ones", MODEL, choices=["transposed", "resize"])
    eval_images: int = setting(64, None)
    seed: int = setting(0, "seed of the weights, the data order and the augmentation", RUN, int)
    device: str = setting("auto", "auto picks cuda, then mps, then cpu")
    amp: bool = setting(True, "train in fp32 instead of bf16 autocast (used on CUDA and CPUs with native bf16)", flag="--no-amp")
    channels_last: bool = setting(True, None)  # NHWC activations (CUDA only): what tensor cores want
    fused_adam: bool = setting(True, None)  # one fused kernel per optimizer step (CUDA only)
    compile: bool = setting(False, "torch.compile the networks (CUDA: faster after warm-up)")
    time_budget: float | None = setting(None, "minutes for the whole run: the schedule shrinks to fit", RUN, POSITIVE,
                                        metavar="MIN")
    checkpoint_every: float = setting(0.0, "seconds between checkpoints and sample grids (0: every epoch; the last always)", RUN,
                                      WEIGHT, metavar="SEC")
    resume: bool = setting(False, "continue from OUT/train/checkpoint.pt if present")
    replace: bool = setting(False, "replace the model OUT already holds when this run ends (without it, such a run is "
                            "refused before it starts, unless it continues that model: --init OUT, or --resume from "
                            "a checkpoint)")
    push_to_hub: str | None = setting(None, "push the trained model to this Hub repo (needs HF_TOKEN)", metavar="REPO")

    @property
    def total_epochs(self) -> int:
        return self.epochs + self.epochs_decay

    @property
    def checkpoint(self) -> Path:
        """Where the run's checkpoint lives (OUT/train/, beside its sample grids): what --resume continues."""
        return Path(self.out) / "train" / CHECKPOINT


FIELDS = {f.name: f for f in dataclasses.fields(TrainConfig)}
COMMON = [n for n, f in FIELDS.items() if f.metadata["help"] and f.metadata["group"] in (SCHEDULE, MODEL, RUN)]


def default_of(name: str) -> Any:
    f = FIELDS[name]
    return f.default_factory() if f.default is dataclasses.MISSING else f.default


def add_option(group: argparse._ActionsContainer, name: str, **override: Any) -> None:
    """The option of field `name`, as the field defines it (`override` changes what a command needs otherwise)."""
    meta = {k: v for k, v in FIELDS[name].metadata.items() if v is not None} | override
    flag, kind = meta.pop("flag", "--" + name.replace("_", "-")), meta.pop("type", None)
    default = meta.pop("default", default_of(name))
    meta.pop("group")
    if isinstance(default, bool):
        group.add_argument(flag, dest=name, action="store_false" if default else "store_true", **meta)
    elif isinstance(default, list):
        group.add_argument(flag, dest=name, action="append", **meta)
    else:
        group.add_argument(flag, dest=name, type=kind or str, default=default, **meta)


def add_options(parser: argparse.ArgumentParser, names: Iterable[str]) -> None:
    """Options for the fields `names`, in argument groups by the fields' groups."""
    groups: dict[str, argparse._ArgumentGroup] = {}
    for name in names:
        title = FIELDS[name].metadata["group"]
        add_option(groups.setdefault(title, parser.add_argument_group(title)), name)


def config_from_args(args: argparse.Namespace, **fixed: Any) -> TrainConfig:
    """The run's config: every field the command has an option for, then what the command fixes itself."""
    given = {name: getattr(args, name) for name in FIELDS if hasattr(args, name)}
    return TrainConfig(**(given | fixed))


def changed(cfg: TrainConfig, skip: Iterable[str] = ()) -> dict[str, Any]:
    """The settings that differ from the defaults: what a run records of how it was trained."""
    return {n: v for n, v in dataclasses.asdict(cfg).items() if n not in skip and v != default_of(n)}


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """The description as written (its examples keep their lines) and every option's default."""


class RecipeParser(argparse.ArgumentParser):
    """`@FILE` reads options from a recipe file (train/recipes/): words as a shell splits them, `#` starts a comment."""

    def convert_arg_line_to_args(self, arg_line: str) -> list[str]:
        return shlex.split(arg_line, comments=True)


def training_parser(prog: str, description: str, names: Iterable[str]) -> argparse.ArgumentParser:
    """A training command's parser: the options of the fields `names`, then those every run shares."""
    p = RecipeParser(prog=prog, description=description, formatter_class=HelpFormatter, fromfile_prefix_chars="@")
    add_options(p, [*names, *COMMON])
    return p
