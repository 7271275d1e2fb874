"""The discriminator and all a run does with it, behind one handle: its network, its optimizer, the forms the step
runs it in (DDP-wrapped across GPUs, compiled when asked) and its two losses."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from ..models import PatchDiscriminator


def bce(pred: torch.Tensor, real: bool) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(pred, torch.full_like(pred, float(real)))


class Critic:
    """The PatchGAN discriminator of a run. `step` teaches it to tell (condition, real) from (condition, generated)
    patches; `fooled` is the generator's adversarial term (no gradient reaches D there, nor any DDP sync)."""

    def __init__(self, channels: int, ndf: int, norm: str, device: torch.device, optimizer: Callable, ddp: dict | None,
                 compile: bool, autocast: Callable[[], AbstractContextManager]) -> None:  # fmt: skip
        self.net = PatchDiscriminator(channels, ndf, norm=norm).to(device)
        self.opt: torch.optim.Optimizer = optimizer(self.net.parameters())
        # broadcast_buffers=False (in `ddp`): D runs twice before its backward (fake, then real); re-broadcasting
        # BatchNorm statistics in place between the two breaks autograd (torch 2.11). Each rank keeps its own.
        self.synced: nn.Module = DDP(self.net, **ddp) if ddp is not None else self.net
        self.plain: nn.Module = self.net
        if compile:
            self.synced, self.plain = torch.compile(self.synced), torch.compile(self.plain)
        self.autocast = autocast

    def step(self, cond: torch.Tensor, real: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """One update of D; returns its loss."""
        self.net.requires_grad_(True)
        self.opt.zero_grad(set_to_none=True)
        with self.autocast():
            pred_fake = self.synced(cond, fake.detach()).float()
            pred_real = self.synced(cond, real).float()
        loss = 0.5 * (bce(pred_fake, False) + bce(pred_real, True))
        loss.backward()
        self.opt.step()
        self.net.requires_grad_(False)
        return {"D": loss.detach()}

    def fooled(self, cond: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The generator's adversarial loss: how far D is from taking `fake` for real."""
        with self.autocast():
            pred = self.plain(cond, fake).float()
        return bce(pred, True)

    def state_dict(self) -> dict:
        return {"D": self.net.state_dict(), "opt_D": self.opt.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.net.load_state_dict(state["D"])
        self.opt.load_state_dict(state["opt_D"])
