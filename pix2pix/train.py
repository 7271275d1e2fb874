"""One trainer for maps, RGB colorization and Lab colorization (GAN + lambda * L1, the pix2pix recipe).

Fast where it matters: the dataset is decoded once and kept on the device, batches are augmented there,
CUDA runs use bf16 autocast, channels_last, fused Adam and (optionally) torch.compile; CPUs with native
bf16 use bf16 autocast too. Several GPUs: launch the same command with `torchrun --nproc_per_node N`,
which switches on DistributedDataParallel.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from huggingface_hub import get_token
from PIL import Image
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from .color import condition_to_rgb, output_to_rgb
from .data import MIN_CHROMA, ColourImages, DataError, ImageSet, Paintings, Photos, PairedImages, augment, center_crop
from .errors import UserError
from .hub import Judge, Pix2PixGenerator, PushError, file_in_the_way, hub_offline, load_generator
from .infer import bf16_supported
from .losses import palette_loss
from .models import PatchDiscriminator
from .snap import calibrate_snap, map_palette

CHECKPOINT = "checkpoint.pt"
RESUME_FIELDS = ("task", "space", "direction", "artists", "ngf", "ndf", "depth", "norm", "image_size")  # same to resume
RAW = "last"  # with --ema: the run's last (not averaged) generator is saved here, inside OUT/train


class ConfigError(UserError, ValueError):
    """A run's settings that cannot work together (or with the model it starts from): the training commands report
    it in one line, like a bad option."""


@dataclass
class TrainConfig:
    """Everything a run depends on; stored in the checkpoint so `--resume` continues the same run."""

    task: str  # "maps" or "colorize"
    data: str  # maps: folder with train/ (and val/); colorize: images/ (+ artists.csv) with artists, else any photo tree
    out: str  # model folder written at the end (weights/<name>); checkpoints and samples go to out/train
    space: str = "rgb"  # colorize: "lab" (L -> ab) or "rgb" (gray -> RGB); maps always "rgb"
    artists: list[str] = field(default_factory=list)
    direction: str = "AtoB"
    epochs: int = 100  # epochs at the initial learning rate ...
    epochs_decay: int = 100  # ... then this many with the rate falling linearly to zero
    batch_size: int = 1
    lr: float = 2e-4
    beta1: float = 0.5
    lambda_l1: float = 100.0
    lambda_gan: float = 1.0  # weight of the adversarial term; 0 drops the discriminator (and its cost) altogether
    lambda_palette: float = 0.0  # aerial -> map: weight of `palette_loss` (needs the model's palette)
    ema: float = 0.0  # decay of an exponential moving average of G's weights, which is then what is saved (0: off)
    init: str | None = None  # start the generator from this saved model (fine-tuning); its config is kept
    image_size: int = 256
    load_size: int = 286
    min_scale: float = 0.0  # zoom augmentation: windows of a random fraction min_scale..1 of the image (0: fixed crop)
    ngf: int = 64
    ndf: int = 64
    depth: int = 8
    norm: str = "batch"
    limit: int | None = None  # use at most this many training images (quick runs)
    tune_percent: int = 0  # colorize: keep this % of the training paintings out, to compare candidate models on
    eval_images: int = 64
    seed: int = 0
    device: str = "auto"
    amp: bool = True  # bf16 autocast on CUDA and on CPUs with native bf16 (about 2x on the paper model there)
    channels_last: bool = True  # NHWC activations (CUDA only): what tensor cores want
    fused_adam: bool = True  # one fused kernel per optimizer step (CUDA only)
    compile: bool = False
    time_budget: float | None = None  # minutes for the whole run: the schedule shrinks to fit (1:1 ratio kept)
    checkpoint_every: float = 0.0  # seconds between checkpoints and sample grids (0: every epoch); the last epoch always
    scale: float | None = None  # maps: ground scale to record (default load_size / width of one half on disk)
    palette: int = 10  # aerial -> map: colours of the palette learnt from the training maps (0: none)
    resume: bool = False
    push_to_hub: str | None = None

    @property
    def total_epochs(self) -> int:
        return self.epochs + self.epochs_decay


def pick_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    if name != "auto":
        device = torch.device(name)
        return torch.device("cuda", local_rank) if device.type == "cuda" and device.index is None else device
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def lr_factor(epoch: int, cfg: TrainConfig) -> float:
    """Constant for `epochs`, then linear decay to zero over `epochs_decay` (the pix2pix schedule)."""
    return 1.0 - max(0, epoch + 1 - cfg.epochs) / (cfg.epochs_decay + 1)


def load_datasets(cfg: TrainConfig) -> tuple[ImageSet, ImageSet | None]:
    """Training set decoded at `load_size` (for random crops) and a held-out set at `image_size`."""
    if cfg.task == "maps":
        train = PairedImages(cfg.data, "train", cfg.load_size, cfg.direction, limit=cfg.limit)
        try:
            val: ImageSet | None = PairedImages(cfg.data, "val", cfg.image_size, cfg.direction, limit=cfg.eval_images)
        except DataError:
            val = None
    elif cfg.task == "colorize":

        def images(split: str, size: int, limit: int | None, tune: int = 0) -> ColourImages:
            if cfg.artists:
                return Paintings(cfg.data, cfg.artists, split, size, cfg.space, limit=limit, tune_percent=tune)
            return Photos(cfg.data, split, size, cfg.space, limit=limit, tune_percent=tune)

        train = images("train", cfg.load_size, cfg.limit, cfg.tune_percent)
        try:
            val = images("val", cfg.image_size, cfg.eval_images)
        except DataError:
            val = None
    else:
        raise ConfigError(f"task must be maps or colorize, got {cfg.task!r}")
    return train, val


def model_role(cfg: TrainConfig) -> dict[str, str | None]:
    """The task, colour space and direction the run's generator is for (maps are RGB and have a direction)."""
    maps = cfg.task == "maps"
    return {"task": cfg.task, "space": "rgb" if maps else cfg.space, "direction": cfg.direction if maps else None}


def initial_generator(cfg: TrainConfig) -> Pix2PixGenerator:
    """The saved model a fine-tuning run starts from, checked against the run's task."""
    G = load_generator(cfg.init).train()
    want = model_role(cfg)
    have = {k: getattr(G, k) for k in want}
    if have != want:
        raise ConfigError(f"--init {cfg.init} was trained for {have}, not {want}")
    if cfg.image_size % 2**G.depth:
        raise ConfigError(f"--image-size {cfg.image_size} must be a multiple of {2**G.depth} for {cfg.init}")
    return G


def build_generator(cfg: TrainConfig, train: ImageSet) -> Pix2PixGenerator:
    maps = cfg.task == "maps"
    scale = (cfg.scale or cfg.load_size / train.source_width) if maps else 1.0
    if cfg.init:
        G = initial_generator(cfg)
        if abs(G.scale - scale) > 0.01 * G.scale:
            raise ConfigError(
                f"{cfg.init} learnt a ground scale of {G.scale:.4g}; this run's data gives {scale:.4g} (adjust --load-size)"
            )
        if not maps:  # a colorizer fine-tuned on other paintings now serves their artists, uncalibrated
            G.set_artist(", ".join(train.artists))
            G.set_colour_gain(1.0)
        return G
    x, y = train[0]
    palette = None
    if maps and cfg.direction == "AtoB" and cfg.palette > 0:
        palette = map_palette(train.images[:, 3:].cpu(), cfg.palette, cfg.seed)
    return Pix2PixGenerator(
        in_channels=x.shape[0],
        out_channels=y.shape[0],
        ngf=cfg.ngf,
        depth=cfg.depth,
        norm=cfg.norm,
        **model_role(cfg),
        artist=", ".join(getattr(train, "artists", [])) or None,
        image_size=cfg.image_size,
        scale=scale,
        palette=palette,
    )


def save_atomic(obj: object, path: Path) -> None:
    """Write to a temp file, fsync, then rename: a crash leaves either the old or the new file, never half."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise OSError(e.errno, f"could not write {path} ({e.strerror or e}); the previous file there is intact") from e
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Rows of RGB images in [0, 1] (each (N, 3, H, W)) side by side: input | generated | real."""
    grid = torch.cat([torch.cat(list(r), dim=2) for r in zip(*rows)], dim=1)  # (3, N*H, cols*W)
    Image.fromarray((grid.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)).save(path)


def check_config(cfg: TrainConfig) -> None:
    """Refuse settings that would fail (or silently do nothing) deep in a run, before any data is read."""
    if blocker := file_in_the_way(cfg.out):
        raise ConfigError(f"--out {cfg.out}: {blocker} is a file, not a folder")
    if cfg.total_epochs < 1 or min(cfg.epochs, cfg.epochs_decay) < 0:
        raise ConfigError(f"the schedule needs at least one epoch, got --epochs {cfg.epochs} --epochs-decay {cfg.epochs_decay}")
    if cfg.load_size < cfg.image_size:
        raise ConfigError(
            f"--load-size {cfg.load_size} must be at least --image-size {cfg.image_size}: crops are cut from the loaded images"
        )
    if not cfg.init and cfg.image_size % 2**cfg.depth:
        raise ConfigError(f"--image-size {cfg.image_size} must be a multiple of 2**depth = {2**cfg.depth} (--depth {cfg.depth})")
    if not 0 <= cfg.min_scale <= 1:
        raise ConfigError(f"--min-scale must be between 0 and 1, got {cfg.min_scale:g}")
    if cfg.min_scale and cfg.task == "maps":
        raise ConfigError("--min-scale is for colorizers: a maps model is trained and run at one ground scale")
    if cfg.push_to_hub and hub_offline():
        raise ConfigError(f"--push-to-hub {cfg.push_to_hub}: HF_HUB_OFFLINE is set, so the Hub cannot be reached")
    if cfg.push_to_hub and not get_token():  # found now, not after hours of training
        raise ConfigError(
            f"--push-to-hub {cfg.push_to_hub} needs a Hub token: set HF_TOKEN in the environment (or run `hf auth login`)"
        )


class Trainer:
    """Holds the networks, optimizers and RNG of one run; `fit()` runs it to the end."""

    def __init__(self, cfg: TrainConfig, judge: Judge | None = None) -> None:
        """`judge`: scores the delivered generator after every epoch (e.g. on the tune paintings:
        `evaluate.tune_judge`); the run then saves the weights of its best epoch, not of its last."""
        self.started = time.time()  # the time budget counts from here: decoding the data is part of the run
        check_config(cfg)
        self.cfg = cfg
        self.planned = (cfg.epochs, cfg.epochs_decay)  # the schedule asked for, before any time-budget shrinking
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = pick_device(cfg.device, self.local_rank)
        if self.world > 1 and not dist.is_initialized():
            backend = "nccl" if self.device.type == "cuda" else "gloo"
            dist.init_process_group(backend, rank=self.rank, world_size=self.world)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        torch.manual_seed(cfg.seed + self.rank)

        self.out = Path(cfg.out)
        self.run_dir = self.out / "train"
        self.train_set, self.val_set = load_datasets(cfg)
        self.colorless = len(getattr(self.train_set, "colorless", [])) + len(getattr(self.val_set, "colorless", []))
        if self.rank == 0 and self.colorless:
            tqdm.write(f"left out {self.colorless} images without colour (mean Lab chroma < {MIN_CHROMA})")
        self.images = self.train_set.images.to(self.device)  # the whole training set lives on the device

        self.G = build_generator(cfg, self.train_set).to(self.device)
        x, y = self.train_set[0]
        self.D = PatchDiscriminator(x.shape[0] + y.shape[0], cfg.ndf, norm=cfg.norm).to(self.device)
        self.palette: torch.Tensor | None = None
        if cfg.lambda_palette > 0:
            if not self.G.palette:
                raise ConfigError("--lambda-palette needs a palette: aerial -> map models learn one (--palette > 0)")
            self.palette = torch.tensor(self.G.palette, dtype=torch.float32, device=self.device)
        cuda = self.device.type == "cuda"
        self.amp = cfg.amp and (cuda or (self.device.type == "cpu" and bf16_supported()))  # elsewhere bf16 is slower
        self.channels_last = cuda and cfg.channels_last
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        # the averaged generator (when asked) is the one evaluated, sampled and saved; G keeps training
        self.G_ema: Pix2PixGenerator | None = copy.deepcopy(self.G).requires_grad_(False) if cfg.ema > 0 else None
        adam = dict(lr=cfg.lr, betas=(cfg.beta1, 0.999), fused=cuda and cfg.fused_adam)
        self.opt_G = torch.optim.Adam(self.G.parameters(), **adam)
        self.opt_D = torch.optim.Adam(self.D.parameters(), **adam)
        optimizers = (self.opt_G, self.opt_D) if cfg.lambda_gan > 0 else (self.opt_G,)  # no GAN term: D never steps
        self.sched = [torch.optim.lr_scheduler.LambdaLR(o, lambda e: lr_factor(e, cfg)) for o in optimizers]
        self.rng = torch.Generator().manual_seed(cfg.seed)  # data order + augmentation, identical on every rank
        self.epoch = 0
        self.step = 0
        self.judge = judge
        self.judged: list[dict] = []  # each epoch's scores by the judge
        self.best: dict | None = None  # the judge's best epoch so far: its key, number and weights

        # The modules the step runs: DDP-wrapped when distributed, compiled when asked.
        # broadcast_buffers=False: D runs twice before its backward (fake, then real); re-broadcasting BatchNorm
        # statistics in place between the two breaks autograd (torch 2.11). Each rank keeps its own statistics.
        ddp = dict(device_ids=[self.device] if cuda else None, broadcast_buffers=False)
        self.G_run: nn.Module = DDP(self.G, **ddp) if self.world > 1 else self.G
        self.D_run: nn.Module = DDP(self.D, **ddp) if self.world > 1 else self.D
        self.D_plain: nn.Module = self.D  # G's adversarial term: no gradient sync needed for D there
        if cfg.compile:
            self.G_run, self.D_run, self.D_plain = (torch.compile(m) for m in (self.G_run, self.D_run, self.D_plain))
        if self.rank == 0:  # only now: a run refused above (bad data, options or --init) leaves no folder behind
            self.run_dir.mkdir(parents=True, exist_ok=True)
        if cfg.resume and (self.run_dir / CHECKPOINT).exists():
            self.load_checkpoint(self.run_dir / CHECKPOINT)

    # --- one step ---------------------------------------------------------------------------------

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, torch.bfloat16, enabled=self.amp)

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """One D update (unless the GAN term is off) then one G update on a uint8 batch already on the device."""
        cond, real = self.train_set.to_pair(augment(batch, self.cfg.image_size, self.rng, self.cfg.min_scale))
        if self.channels_last:
            cond, real = cond.contiguous(memory_format=torch.channels_last), real.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            fake = self.G_run(cond)
        stats = self.discriminator_step(cond, real, fake) if self.cfg.lambda_gan > 0 else {}

        self.D.requires_grad_(False)
        self.opt_G.zero_grad(set_to_none=True)
        loss_l1 = (fake.float() - real).abs().mean()
        loss = self.cfg.lambda_l1 * loss_l1
        stats["L1"] = loss_l1.detach()
        if self.cfg.lambda_gan > 0:
            with self.autocast():
                pred = self.D_plain(cond, fake).float()
            loss_gan = F.binary_cross_entropy_with_logits(pred, torch.ones_like(pred))
            loss = loss + self.cfg.lambda_gan * loss_gan
            stats["G_gan"] = loss_gan.detach()
        if self.palette is not None:
            loss_palette = palette_loss(fake, real, self.palette)
            loss = loss + self.cfg.lambda_palette * loss_palette
            stats["palette"] = loss_palette.detach()
        loss.backward()
        self.opt_G.step()
        if self.G_ema is not None:
            self.update_ema()
        self.step += 1
        return stats

    @torch.no_grad()
    def update_ema(self) -> None:
        """G_ema moves towards G by 1 - decay; the decay ramps up over the first steps ((1 + t) / (10 + t)) so a
        fresh run's random start fades quickly. BatchNorm statistics are copied as they are."""
        decay = min(self.cfg.ema, (1 + self.step) / (10 + self.step))
        for e, p in zip(self.G_ema.parameters(), self.G.parameters()):
            e.lerp_(p, 1 - decay)
        for e, b in zip(self.G_ema.buffers(), self.G.buffers()):
            e.copy_(b)

    @property
    def G_out(self) -> Pix2PixGenerator:
        """The generator the run delivers: the averaged one when `ema` is on."""
        return self.G_ema if self.G_ema is not None else self.G

    def discriminator_step(self, cond: torch.Tensor, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """D learns to tell (condition, real) from (condition, generated) patches."""
        self.D.requires_grad_(True)
        self.opt_D.zero_grad(set_to_none=True)
        with self.autocast():
            pred_fake = self.D_run(cond, fake.detach()).float()
            pred_real = self.D_run(cond, real).float()
        loss_D = 0.5 * (
            F.binary_cross_entropy_with_logits(pred_fake, torch.zeros_like(pred_fake))
            + F.binary_cross_entropy_with_logits(pred_real, torch.ones_like(pred_real))
        )
        loss_D.backward()
        self.opt_D.step()
        return {"D": loss_D.detach()}

    # --- epochs -------------------------------------------------------------------------------------

    def epoch_batches(self) -> list[torch.Tensor]:
        """This rank's batches of indices for one epoch (full batches only: static shapes suit compile)."""
        n, bs = len(self.images), self.cfg.batch_size
        perm = torch.randperm(n, generator=self.rng)
        perm = perm[: max(self.world, n - n % self.world)][self.rank :: self.world]  # equal share per rank
        steps = max(1, len(perm) // bs)
        return [perm[i * bs : (i + 1) * bs] for i in range(steps)]

    def fit_schedule(self, epoch_seconds: float) -> None:
        """Fit the remaining epochs into `time_budget`, at the last epoch's pace, keeping the constant:decay ratio.

        While the rate is still constant the schedule may shrink or grow back (never past the planned one); once
        it decays, only the decay can be cut short. Keeps one epoch's time in reserve for evaluation and saving."""
        cfg = self.cfg
        left = cfg.time_budget * 60 - (time.time() - self.started) - max(10.0, epoch_seconds)
        total = min(sum(self.planned), self.epoch + max(0, int(left // max(epoch_seconds, 1e-6))))
        if self.epoch < cfg.epochs:
            cfg.epochs = max(self.epoch, min(self.planned[0], round(total * self.planned[0] / sum(self.planned))))
            cfg.epochs_decay = max(total - cfg.epochs, 0 if cfg.epochs > self.epoch else 1)
        elif total < cfg.total_epochs:
            cfg.epochs_decay = max(total, self.epoch + 1) - cfg.epochs

    def fit(self) -> Pix2PixGenerator:
        cfg, started = self.cfg, time.time()
        losses: dict[str, float] = {}
        if cfg.time_budget and self.world > 1 and self.rank == 0:
            tqdm.write("time budget ignored: ranks would have to agree on each change of schedule")
        last_saved = time.time()
        epoch = self.epoch
        while epoch < cfg.total_epochs:
            epoch_started = time.time()
            self.G.train(), self.D.train()
            batches = self.epoch_batches()
            sums: dict[str, torch.Tensor] = {}
            bar = tqdm(batches, desc=f"epoch {epoch + 1}/{cfg.total_epochs}", disable=self.rank != 0, leave=False)
            for idx in bar:
                stats = self.train_step(self.images[idx.to(self.device)])
                for k, v in stats.items():
                    sums[k] = sums.get(k, 0) + v
            losses = {k: v.item() / len(batches) for k, v in sums.items()}
            for s in self.sched:
                s.step()
            self.epoch = epoch = epoch + 1
            if self.rank == 0 and self.judge is not None:
                self.judge_epoch()  # before the pace is measured: judging is part of each epoch's cost
            if cfg.time_budget and self.world == 1:
                self.fit_schedule(time.time() - epoch_started)
            if self.rank == 0:
                tqdm.write(f"epoch {self.epoch}/{cfg.total_epochs}  " + "  ".join(f"{k} {v:.4f}" for k, v in losses.items()))
                if time.time() - last_saved >= cfg.checkpoint_every or self.epoch >= cfg.total_epochs:
                    self.save_samples()
                    self.save_checkpoint()
                    last_saved = time.time()
        if self.rank == 0:
            if self.best is not None and self.best["epoch"] != self.epoch:
                self.G_out.load_state_dict(self.best["G"])  # the judge's pick is what is evaluated, saved and pushed
            metrics = self.evaluate()
            info = {
                "data": cfg.data if cfg.task == "maps" else f"{Path(cfg.data).name}: {', '.join(self.train_set.artists)}",
                "train_images": len(self.images),
                "epochs": cfg.total_epochs,
                "schedule": f"{cfg.epochs} + {cfg.epochs_decay} epochs"
                + (
                    f" (planned {self.planned[0]} + {self.planned[1]}, fitted to a {cfg.time_budget:g} min budget)"
                    if (cfg.epochs, cfg.epochs_decay) != self.planned
                    else ""
                ),
                "batch_size": cfg.batch_size * self.world,
                "image_size": cfg.image_size,
                "load_size": cfg.load_size,
                **({"min_scale": cfg.min_scale} if cfg.min_scale else {}),
                "lambda_l1": cfg.lambda_l1,
                **({"lambda_gan": cfg.lambda_gan} if cfg.lambda_gan != 1 else {}),
                **({"lambda_palette": cfg.lambda_palette} if cfg.lambda_palette else {}),
                **({"ema": cfg.ema} if cfg.ema else {}),
                **({"tune_percent": cfg.tune_percent} if cfg.tune_percent else {}),
                **({"fine_tuned_from": self.fine_tuned_from()} if cfg.init else {}),
                **({"kept_epoch": self.best["epoch"], "judged": self.judged} if self.best is not None else {}),
                "colorless_left_out": self.colorless,
                "steps": self.step,
                "device": f"{self.world} x {torch.cuda.get_device_name(self.device)}"
                if self.device.type == "cuda"
                else f"{self.device} ({torch.get_num_threads()} threads)",
                "seconds_this_session": round(time.time() - started, 1),
                "final_losses": {k: round(v, 4) for k, v in losses.items()},
                "val": metrics,
                "date": dt.date.today().isoformat(),
            }
            if self.G_out.palette:  # a fine-tuned model's snap is refitted too: its outputs changed
                info["snap_calibration"] = calibrate_snap(self.G_out, self.train_set.files, device=self.device)
            self.G_out.save(self.out, train_info=info)
            if self.G_ema is not None:  # the last weights too, as a candidate to compare the average with
                self.G.save(
                    self.run_dir / RAW,
                    train_info={k: v for k, v in info.items() if k != "ema"}
                    | {"weights": f"the last ones (not the --ema {cfg.ema} average)"},
                )
            if cfg.push_to_hub:
                self.push(cfg.push_to_hub)
        return self.G_out

    def judge_epoch(self) -> None:
        """Score this epoch's generator; keep a copy of its weights while it is the best so far (ties: the earlier)."""
        key, scores = self.judge(self.G_out)
        self.judged.append({"epoch": self.epoch, **scores})
        tqdm.write(f"epoch {self.epoch} judged: " + "  ".join(f"{k} {v}" for k, v in scores.items()))
        if self.best is None or key < self.best["key"]:
            self.best = {
                "key": key,
                "epoch": self.epoch,
                "G": {k: v.detach().clone() for k, v in self.G_out.state_dict().items()},
            }

    def fine_tuned_from(self) -> dict:
        """The starting model's own training facts (without its scores, which no longer apply): G still carries
        them until `save` records this run's."""
        before = {k: v for k, v in self.G.train_info.items() if k not in ("heldout", "val", "final_losses")}
        return {"model": self.cfg.init, **before}

    def push(self, repo: str) -> None:
        """Upload the saved model (HF_TOKEN from the environment); a failure keeps the local copy and says where."""
        try:
            self.G_out.push_to_hub(repo, config=self.G_out.config)
        except Exception as e:  # offline, no token, no rights: the trained model is safe on disk either way
            raise PushError(f"the model is saved in {self.out}, but pushing it to the Hub repo {repo} failed: {e}") from e

    @torch.no_grad()
    def generate(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(condition, generated, real) as RGB in [0, 1] for a uint8 batch, G in eval mode."""
        G = self.G_out.eval()
        cond, real = self.val_or_train().to_pair(center_crop(batch.to(self.device), self.cfg.image_size))
        with self.autocast():
            fake = G(cond)
        space = G.space
        return condition_to_rgb(cond), output_to_rgb(fake, cond, space), output_to_rgb(real, cond, space)

    def val_or_train(self) -> ImageSet:
        return self.val_set if self.val_set is not None else self.train_set

    def save_samples(self, n: int = 4) -> None:
        rows = self.generate(self.val_or_train().images[:n])
        save_grid(list(rows), self.run_dir / f"samples_epoch{self.epoch:03d}.png")
        self.G.train()

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Held-out L1 (in [-1, 1] units of the target) and PSNR (dB) of the generated RGB against the real one."""
        data = self.val_or_train()
        l1, psnr = [], []
        for i in range(0, len(data), 16):
            _, fake, real = self.generate(data.images[i : i + 16])
            l1.append((fake - real).abs().mean((1, 2, 3)) * 2)
            mse = ((fake - real) ** 2).mean((1, 2, 3)).clamp(min=1e-10)
            psnr.append(10 * torch.log10(1 / mse))
        split = "val" if self.val_set is not None else "train (no held-out split found)"
        return {
            "split": split,
            "images": len(data),
            "l1_rgb": round(torch.cat(l1).mean().item(), 4),
            "psnr_db": round(torch.cat(psnr).mean().item(), 2),
        }

    # --- checkpoints -------------------------------------------------------------------------------

    def save_checkpoint(self) -> None:
        state = {
            "config": dataclasses.asdict(self.cfg),
            "epoch": self.epoch,
            "step": self.step,
            "G": self.G.state_dict(),
            **({"G_ema": self.G_ema.state_dict()} if self.G_ema is not None else {}),
            "D": self.D.state_dict(),
            **({"best": self.best, "judged": self.judged} if self.best is not None else {}),
            "opt_G": self.opt_G.state_dict(),
            "opt_D": self.opt_D.state_dict(),
            "sched": [s.state_dict() for s in self.sched],
            "schedule": [self.cfg.epochs, self.cfg.epochs_decay, *self.planned],
            "rng": self.rng.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(self.device)
            if self.device.type == "cuda"
            else torch.empty(0, dtype=torch.uint8),
        }
        save_atomic(state, self.run_dir / CHECKPOINT)

    def load_checkpoint(self, path: Path) -> None:
        state = torch.load(path, map_location=self.device, weights_only=True)  # never unpickles code
        saved = state.get("config", {})
        now = dataclasses.asdict(self.cfg)
        changed = [f"{k} {saved[k]!r} -> {now[k]!r}" for k in RESUME_FIELDS if k in saved and saved[k] != now[k]]

        def other_run(why: str) -> ConfigError:
            return ConfigError(
                f"--resume: {path} is from a run with other settings ({why}): resume with that run's "
                "options, or train into another --out"
            )

        if changed:
            raise other_run(", ".join(changed))
        try:
            self.G.load_state_dict(state["G"])
            if self.G_ema is not None:
                self.G_ema.load_state_dict(state.get("G_ema", state["G"]))  # a run that had no average starts it from G
            self.D.load_state_dict(state["D"])
        except RuntimeError as e:  # the networks' shapes differ (e.g. another --init)
            raise other_run(str(e).splitlines()[0]) from None
        if self.judge is not None and "best" in state:
            self.best, self.judged = state["best"], state["judged"]
        self.opt_G.load_state_dict(state["opt_G"])
        self.opt_D.load_state_dict(state["opt_D"])
        for s, sd in zip(self.sched, state["sched"]):
            s.load_state_dict(sd)
        self.rng.set_state(state["rng"].cpu())
        torch.set_rng_state(state["torch_rng"].cpu())
        if self.device.type == "cuda" and state["cuda_rng"].numel():
            torch.cuda.set_rng_state(state["cuda_rng"].cpu(), self.device)
        if "schedule" in state:  # a time budget may have changed the schedule
            self.cfg.epochs, self.cfg.epochs_decay, *planned = state["schedule"]
            self.planned = tuple(planned)
        self.epoch, self.step = state["epoch"], state["step"]
        if self.rank == 0:
            tqdm.write(f"resumed from {path} at epoch {self.epoch}, step {self.step}")


def train(cfg: TrainConfig, judge: Judge | None = None) -> Pix2PixGenerator:
    """Run (or resume) training as configured; returns the trained generator, also saved to `cfg.out`."""
    trainer = Trainer(cfg, judge)
    try:
        return trainer.fit()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
