"""A run's checkpoint: everything `--resume` needs to continue it exactly (networks, optimizers, schedule, RNG),
written atomically and read back without unpickling code."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from tqdm import tqdm

from .config import ConfigError

if TYPE_CHECKING:  # the trainer imports this module; this one only reads and fills the trainer's fields
    from .trainer import Trainer

RESUME_FIELDS = ("task", "space", "direction", "artists", "ngf", "ndf", "depth", "norm", "image_size")  # same to resume


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


def save_checkpoint(t: Trainer) -> None:
    state = {
        "config": dataclasses.asdict(t.cfg),
        "epoch": t.epoch,
        "step": t.step,
        "G": t.G.state_dict(),
        **({"G_ema": t.G_ema.state_dict()} if t.G_ema is not None else {}),
        **t.critic.state_dict(),
        **({"best": t.best, "judged": t.judged} if t.best is not None else {}),
        "opt_G": t.opt_G.state_dict(),
        "sched": [s.state_dict() for s in t.sched],
        "schedule": [t.cfg.epochs, t.cfg.epochs_decay, *t.planned],
        "rng": t.rng.get_state(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state(t.device) if t.device.type == "cuda" else torch.empty(0, dtype=torch.uint8),
    }
    save_atomic(state, t.cfg.checkpoint)


def load_checkpoint(t: Trainer, path: Path) -> None:
    """Continue the run of `path` in trainer `t`; refused (ConfigError) where it was a run with other settings."""
    state = torch.load(path, map_location=t.device, weights_only=True)  # never unpickles code
    saved, now = state.get("config", {}), dataclasses.asdict(t.cfg)
    differs = [f"{k} {saved[k]!r} -> {now[k]!r}" for k in RESUME_FIELDS if k in saved and saved[k] != now[k]]

    def other_run(why: str) -> ConfigError:
        return ConfigError(f"--resume: {path} is from a run with other settings ({why}): resume with that run's "
                           "options, or train into another --out")  # fmt: skip

    if differs:
        raise other_run(", ".join(differs))
    try:
        t.G.load_state_dict(state["G"])
        if t.G_ema is not None:
            t.G_ema.load_state_dict(state.get("G_ema", state["G"]))  # a run that had no average starts it from G
        t.critic.load_state_dict(state)
    except RuntimeError as e:  # the networks' shapes differ (e.g. another --init)
        raise other_run(str(e).splitlines()[0]) from None
    if t.judge is not None and "best" in state:
        t.best, t.judged = state["best"], state["judged"]
    t.opt_G.load_state_dict(state["opt_G"])
    for s, sd in zip(t.sched, state["sched"]):
        s.load_state_dict(sd)
    restore_rng(t, state)
    if "schedule" in state:  # a time budget may have changed the schedule
        t.cfg.epochs, t.cfg.epochs_decay, *planned = state["schedule"]
        t.planned = tuple(planned)
    t.epoch, t.step = state["epoch"], state["step"]
    if t.rank == 0:
        tqdm.write(f"resumed from {path} at epoch {t.epoch}, step {t.step}")


def restore_rng(t: Trainer, state: dict) -> None:
    t.rng.set_state(state["rng"].cpu())
    torch.set_rng_state(state["torch_rng"].cpu())
    if t.device.type == "cuda" and state["cuda_rng"].numel():
        torch.cuda.set_rng_state(state["cuda_rng"].cpu(), t.device)
