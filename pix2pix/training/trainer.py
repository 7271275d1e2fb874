"""One trainer for every kind of model (GAN + lambda * L1, the pix2pix recipe): the step, the epoch loop with its
checkpoints, and the record the saved model carries.

Fast where it matters: the dataset is decoded once and kept on the device, batches are augmented there,
CUDA runs use bf16 autocast, channels_last, fused Adam and (optionally) torch.compile; CPUs with native
bf16 use bf16 autocast too. Several GPUs: launch the same command with `torchrun --nproc_per_node N`,
which switches on DistributedDataParallel. What the run is set up from lives in `setup`, the discriminator in
`critic`, checkpoints in `checkpoint`.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import os
import time
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from tqdm import tqdm

from .checkpoint import load_checkpoint, save_checkpoint
from .config import ConfigError, TrainConfig, changed
from .critic import Critic
from ..card import PHOTO_ARTIST
from .data import MIN_CHROMA, ImageSet, augment, center_crop
from ..hub import Judge, Pix2PixGenerator, PushError
from ..infer import bf16_supported
from ..push import push
from .losses import chroma_smoothness, palette_loss
from .setup import build_generator, check_config, hint_input_weights, load_datasets, lr_factor, pick_device
from .snap import calibrate_snap

RAW = "last"  # with --ema: the run's last (not averaged) generator is saved here, inside OUT/train
NOT_RECORDED = (
    "task",
    "data",
    "out",
    "artists",
    "init",
    "device",
    "resume",
    "replace",
    "push_to_hub",
    "checkpoint_every",
    "epochs",
    "epochs_decay",
    "time_budget",
    "compile",
    "batch_size",
)  # facts of the run, recorded as such, or no recipe


def save_grid(rows: list[torch.Tensor], path: Path) -> None:
    """Rows of RGB images in [0, 1] (each (N, 3, H, W)) side by side: input | generated | real."""
    grid = torch.cat([torch.cat(list(r), dim=2) for r in zip(*rows)], dim=1)  # (3, N*H, cols*W)
    Image.fromarray((grid.permute(1, 2, 0).cpu().numpy() * 255 + 0.5).astype(np.uint8)).save(path)


def spoken(seconds: float) -> str:
    """A duration as people say it (40 s, 12 min, 3 h 10 min): a long run's remaining time at a glance."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds // 3600:.0f} h {seconds % 3600 // 60:.0f} min"


class Trainer:
    """Holds the networks, optimizers and RNG of one run; `fit()` runs it to the end."""

    def __init__(self, cfg: TrainConfig, judge: Judge | None = None) -> None:
        """`judge`: scores the delivered generator after every epoch (e.g. on the tune paintings:
        `scoring.tune_judge`); the run then saves the weights of its best epoch, not of its last."""
        self.started = time.time()  # the time budget counts from here: decoding the data is part of the run
        check_config(cfg)
        self.cfg, self.judge = cfg, judge
        self.planned = (cfg.epochs, cfg.epochs_decay)  # the schedule asked for, before any time-budget shrinking
        self.setup_device()
        self.out, self.run_dir = Path(cfg.out), cfg.checkpoint.parent
        self.train_set, self.val_set = load_datasets(cfg)
        self.colorless = len(getattr(self.train_set, "colorless", [])) + len(getattr(self.val_set, "colorless", []))
        if self.rank == 0 and self.colorless:
            tqdm.write(f"left out {self.colorless} images without colour (mean Lab chroma < {MIN_CHROMA})")
        self.unreadable = self.train_set.unreadable + getattr(self.val_set, "unreadable", [])  # no val split: None
        if self.rank == 0 and self.unreadable:
            more = f"; and {len(self.unreadable) - 3} more" if len(self.unreadable) > 3 else ""
            tqdm.write(f"left out {len(self.unreadable)} files that could not be read: {'; '.join(self.unreadable[:3])}{more}")
        self.images = self.train_set.images.to(self.device)  # the whole training set lives on the device
        self.build_networks()
        self.epoch = self.step = 0
        self.judged: list[dict] = []  # each epoch's scores by the judge
        self.best: dict | None = None  # the judge's best epoch so far: its key, number and weights
        if self.rank == 0:  # only now: a run refused above (bad data, options or --init) leaves no folder behind
            self.run_dir.mkdir(parents=True, exist_ok=True)
        self.checkpointed: int | None = None  # the epoch the run's checkpoint holds
        if cfg.resume and cfg.checkpoint.exists():
            load_checkpoint(self, cfg.checkpoint)
            self.checkpointed = self.epoch

    def setup_device(self) -> None:
        """The device, this process's place among several (torchrun), bf16 and memory layout, and the seeds."""
        cfg = self.cfg
        self.world, self.rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
        self.device = pick_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
        cuda = self.device.type == "cuda"
        if self.world > 1 and not dist.is_initialized():
            dist.init_process_group("nccl" if cuda else "gloo", rank=self.rank, world_size=self.world)
        if cuda:
            torch.cuda.set_device(self.device)
            torch.backends.cudnn.benchmark = True
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        self.amp = cfg.amp and (cuda or (self.device.type == "cpu" and bf16_supported()))  # elsewhere bf16 is slower
        self.channels_last = cuda and cfg.channels_last
        torch.manual_seed(cfg.seed + self.rank)
        self.rng = torch.Generator().manual_seed(cfg.seed)  # data order + augmentation, identical on every rank

    def build_networks(self) -> None:
        """G (and its average, when asked), the critic, their optimizers and learning-rate schedules."""
        cfg, cuda = self.cfg, self.device.type == "cuda"
        self.G = build_generator(cfg, self.train_set).to(self.device)
        self.palette = self.palette_target()
        adam = functools.partial(torch.optim.Adam, lr=cfg.lr, betas=(cfg.beta1, 0.999), fused=cuda and cfg.fused_adam)
        ddp = dict(device_ids=[self.device] if cuda else None, broadcast_buffers=False) if self.world > 1 else None
        kind = self.G.kind
        self.critic = Critic(
            kind.in_channels + kind.out_channels, cfg.ndf, cfg.norm, self.device, adam, ddp, cfg.compile, self.autocast
        )
        if self.channels_last:
            self.G.to(memory_format=torch.channels_last)
            self.critic.net.to(memory_format=torch.channels_last)
        # the averaged generator (when asked) is the one evaluated, sampled and saved; G keeps training
        self.G_ema: Pix2PixGenerator | None = copy.deepcopy(self.G).requires_grad_(False) if cfg.ema > 0 else None
        self.opt_G = adam([hint_input_weights(self.G)] if cfg.hint_inputs_only else self.G.parameters())
        optimizers = (self.opt_G, self.critic.opt) if cfg.lambda_gan > 0 else (self.opt_G,)  # no GAN term: D never steps
        self.sched = [torch.optim.lr_scheduler.LambdaLR(o, lambda e: lr_factor(e, cfg)) for o in optimizers]
        self.G_run: nn.Module = DDP(self.G, **ddp) if ddp is not None else self.G
        if cfg.compile:
            self.G_run = torch.compile(self.G_run)

    def palette_target(self) -> torch.Tensor | None:
        """The map palette the palette loss teaches (with --lambda-palette), on the device."""
        if self.cfg.lambda_palette <= 0:
            return None
        if not self.G.palette:
            raise ConfigError("--lambda-palette needs a palette: aerial -> map models learn one (--palette > 0)")
        return torch.tensor(self.G.palette, dtype=torch.float32, device=self.device)

    # --- one step ---------------------------------------------------------------------------------

    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device.type, torch.bfloat16, enabled=self.amp)

    def train_step(self, batch: torch.Tensor) -> dict[str, torch.Tensor]:
        """One D update (unless the GAN term is off) then one G update on a uint8 batch already on the device."""
        cfg = self.cfg
        cond, real = self.G.kind.pair(augment(batch, cfg.image_size, self.rng, cfg.min_scale), self.rng)
        if self.channels_last:
            cond, real = cond.contiguous(memory_format=torch.channels_last), real.contiguous(memory_format=torch.channels_last)
        with self.autocast():
            fake = self.G_run(cond)
        stats = self.critic.step(cond, real, fake) if cfg.lambda_gan > 0 else {}
        self.opt_G.zero_grad(set_to_none=True)
        terms = {"L1": ((fake.float() - real).abs().mean(), cfg.lambda_l1)}
        if cfg.lambda_gan > 0:
            terms["G_gan"] = (self.critic.fooled(cond, fake), cfg.lambda_gan)
        if self.palette is not None:
            terms["palette"] = (palette_loss(fake, real, self.palette), cfg.lambda_palette)
        if cfg.lambda_smooth > 0:
            terms["smooth"] = (chroma_smoothness(cond, fake), cfg.lambda_smooth)
        sum(weight * loss for loss, weight in terms.values()).backward()
        self.opt_G.step()
        if self.G_ema is not None:
            self.update_ema()
        self.step += 1
        return stats | {name: loss.detach() for name, (loss, _) in terms.items()}

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

    # --- epochs -------------------------------------------------------------------------------------

    def train_mode(self) -> None:
        """Dropout and batch statistics on, but for a run that trains hint weights alone: its frozen network runs as
        the app runs it, so that its colours without hints stay exactly as they were."""
        self.G.train(not self.cfg.hint_inputs_only)
        self.critic.net.train()

    def epoch_batches(self) -> list[torch.Tensor]:
        """This rank's batches of indices for one epoch (full batches only: static shapes suit compile)."""
        n, bs = len(self.images), self.cfg.batch_size
        perm = torch.randperm(n, generator=self.rng)
        perm = perm[: max(self.world, n - n % self.world)][self.rank :: self.world]  # equal share per rank
        steps = max(1, len(perm) // bs)
        return [perm[i * bs : (i + 1) * bs] for i in range(steps)]

    def run_epoch(self) -> dict[str, float]:
        """One pass over the training set; the mean of each loss term (one sync with the device, at the end)."""
        self.train_mode()
        batches, sums = self.epoch_batches(), {}
        bar = tqdm(batches, desc=f"epoch {self.epoch + 1}/{self.cfg.total_epochs}", disable=self.rank != 0, leave=False)
        for idx in bar:
            for k, v in self.train_step(self.images[idx.to(self.device)]).items():
                sums[k] = sums.get(k, 0) + v
        for s in self.sched:
            s.step()
        self.epoch += 1
        return {k: v.item() / len(batches) for k, v in sums.items()}

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

    def plan(self) -> str:
        """The run in one line, said before its first step: what it trains on, for how long, and where it goes."""
        cfg, steps = self.cfg, max(1, len(self.images) // self.world // self.cfg.batch_size)
        budget = f", shrunk to fit {cfg.time_budget:g} min" if cfg.time_budget and self.world == 1 else ""
        start = f", from epoch {self.epoch + 1}" if self.epoch else ""
        return (f"training on {len(self.images)} images into {self.out}: {cfg.epochs} + {cfg.epochs_decay} epochs of "
                f"{steps} steps of {cfg.batch_size}{budget}{start}")

    def fit(self) -> Pix2PixGenerator:
        """Train to the end of the schedule (judging, re-planning and checkpointing after each epoch), then deliver."""
        cfg, started, losses, first = self.cfg, time.time(), {}, self.epoch
        if self.rank == 0:
            tqdm.write(self.plan())
        if cfg.time_budget and self.world > 1 and self.rank == 0:
            tqdm.write("time budget ignored: ranks would have to agree on each change of schedule")
        last_saved = time.time()
        while self.epoch < cfg.total_epochs:
            epoch_started = time.time()
            losses = self.run_epoch()
            if self.rank == 0 and self.judge is not None:
                self.judge_epoch()  # before the pace is measured: judging is part of each epoch's cost
            if cfg.time_budget and self.world == 1:
                self.fit_schedule(time.time() - epoch_started)
            if self.rank == 0:
                left = (time.time() - started) / (self.epoch - first) * (cfg.total_epochs - self.epoch)
                tqdm.write(f"epoch {self.epoch}/{cfg.total_epochs}  " + "  ".join(f"{k} {v:.4f}" for k, v in losses.items())
                           + (f"  (about {spoken(max(left, 1))} left)" if self.epoch < cfg.total_epochs else ""))
                if time.time() - last_saved >= cfg.checkpoint_every or self.epoch >= cfg.total_epochs:
                    self.save_samples()
                    save_checkpoint(self)
                    self.checkpointed = self.epoch
                    last_saved = time.time()
        if self.rank == 0:
            self.deliver(losses, time.time() - started)
        return self.G_out

    def judge_epoch(self) -> None:
        """Score this epoch's generator; keep a copy of its weights while it is the best so far (ties: the earlier)."""
        key, scores = self.judge(self.G_out)
        self.judged.append({"epoch": self.epoch, **scores})
        tqdm.write(f"epoch {self.epoch} judged: " + "  ".join(f"{k} {v}" for k, v in scores.items()))
        if self.best is None or key < self.best["key"]:
            weights = {k: v.detach().clone() for k, v in self.G_out.state_dict().items()}
            self.best = {"key": key, "epoch": self.epoch, "G": weights}

    def resume_note(self) -> str:
        """What a stopped run kept, and how to go on from it."""
        if self.checkpointed is None:
            return "no epoch had finished, so nothing was kept"
        return (f"{self.cfg.checkpoint} holds the run after epoch {self.checkpointed}: the same command with "
                "--resume continues it")

    # --- the end: the model saved with its record ----------------------------------------------------

    def deliver(self, losses: dict[str, float], seconds: float) -> None:
        """Save the judge's pick (or the last weights) with the run's record; push it when asked."""
        if self.best is not None and self.best["epoch"] != self.epoch:
            self.G_out.load_state_dict(self.best["G"])  # the judge's pick is what is evaluated, saved and pushed
        info = self.record(losses, seconds)
        if self.G_out.palette:  # a fine-tuned model's snap is refitted too: its outputs changed
            info["snap_calibration"] = calibrate_snap(self.G_out, self.train_set.files, device=self.device)
        self.G_out.save(self.out, train_info=info)
        if self.G_ema is not None:  # the last weights too, as a candidate to compare the average with
            last = {"weights": f"the last ones (not the --ema {self.cfg.ema} average)"}
            self.G.save(self.run_dir / RAW, train_info={k: v for k, v in info.items() if k != "ema"} | last)
        if self.cfg.push_to_hub:
            self.push(self.cfg.push_to_hub)

    def record(self, losses: dict[str, float], seconds: float) -> dict:
        """What the saved model carries about its training: the facts of the run, then every setting that differs
        from the defaults (`config.changed`): the run's recipe, each setting in one place."""
        cfg = self.cfg
        planned = f" (planned {self.planned[0]} + {self.planned[1]}, fitted to a {cfg.time_budget or 0:g} min budget)"
        cuda = self.device.type == "cuda"
        facts = {
            "data": self.data_name(),
            "train_images": len(self.images),
            "epochs": cfg.total_epochs,
            "schedule": f"{cfg.epochs} + {cfg.epochs_decay} epochs"
            + (planned if (cfg.epochs, cfg.epochs_decay) != self.planned else ""),
            "batch_size": cfg.batch_size * self.world,
            **({"fine_tuned_from": self.fine_tuned_from()} if cfg.init else {}),
            **self.kept_transfer(),
            **({"kept_epoch": self.best["epoch"], "judged": self.judged} if self.best is not None else {}),
            "colorless_left_out": self.colorless,
            **({"unreadable_left_out": len(self.unreadable)} if self.unreadable else {}),
            "steps": self.step,
            "device": f"{self.world} x {torch.cuda.get_device_name(self.device)}"
            if cuda
            else f"cpu ({torch.get_num_threads()} threads)",
            "seconds_this_session": round(seconds, 1),
            "final_losses": {k: round(v, 4) for k, v in losses.items()},
            "val": self.evaluate(),
            "date": dt.date.today().isoformat(),
        }
        return facts | changed(cfg, skip=NOT_RECORDED)

    def kept_transfer(self) -> dict:
        """How the colour transfer a run keeps was fitted (`--hint-inputs-only` keeps the starting model's)."""
        fitted = self.G.train_info.get("colour_transfer") if self.cfg.hint_inputs_only else None
        return {"colour_transfer": fitted} if fitted else {}

    def data_name(self) -> str:
        """The data in words: the folder's name and the artists of a colorizer, the folder of maps."""
        artists = getattr(self.train_set, "artists", None)
        if artists == [PHOTO_ARTIST]:
            return f"{Path(self.cfg.data).name}: colour photos"
        return f"{Path(self.cfg.data).name}: {', '.join(artists)}" if artists else self.cfg.data

    def fine_tuned_from(self) -> dict:
        """The starting model's own training facts (without its scores, which no longer apply): G still carries
        them until `save` records this run's."""
        before = {k: v for k, v in self.G.train_info.items() if k not in ("heldout", "val", "final_losses")}
        return {"model": self.cfg.init, **before}

    def push(self, repo: str) -> None:
        """Upload the saved model as `python -m pix2pix.push` does; a failure keeps the local copy and says where."""
        try:
            push(self.out, repo)
        except PushError as e:  # offline, no token, no rights: the trained model is safe on disk either way
            raise PushError(f"the model is saved in {self.out}, but {e}") from e

    # --- samples and the held-out check -----------------------------------------------------------------

    @torch.no_grad()
    def generate(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(condition, generated, real) as RGB in [0, 1] for a uint8 batch, G in eval mode."""
        G = self.G_out.eval()
        hints = torch.Generator().manual_seed(self.cfg.seed)  # a hint model's samples and scores: the same hints each time
        cond, real = G.kind.pair(center_crop(batch.to(self.device), self.cfg.image_size), hints)
        with self.autocast():
            fake = G(cond)
        kind = G.kind
        return kind.shown(cond), kind.to_rgb(fake, cond), kind.to_rgb(real, cond)

    def val_or_train(self) -> ImageSet:
        return self.val_set if self.val_set is not None else self.train_set

    def save_samples(self, n: int = 4) -> None:
        rows = self.generate(self.val_or_train().images[:n])
        save_grid(list(rows), self.run_dir / f"samples_epoch{self.epoch:03d}.png")
        self.train_mode()

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


def train(cfg: TrainConfig, judge: Judge | None = None) -> Pix2PixGenerator:
    """Run (or resume) training as configured; returns the trained generator, also saved to `cfg.out`."""
    trainer = Trainer(cfg, judge)
    try:
        return trainer.fit()
    except KeyboardInterrupt:  # Ctrl+C: the commands say what was kept in one line
        raise KeyboardInterrupt(trainer.resume_note()) from None
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
