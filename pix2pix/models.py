"""The pix2pix networks: a U-Net generator and a conditional PatchGAN discriminator.

Layer choices follow Isola et al. (2017) and their reference code: 4x4 convolutions with
stride 2, LeakyReLU(0.2) down, ReLU up, no norm on the outermost and innermost down convs,
dropout 0.5 in the three innermost decoder blocks, Tanh out, weights drawn from N(0, 0.02). The decoder may
instead upsample by resizing (`upsample="resize"`), which cannot paint a lattice over flat inputs.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

NORMS = ("batch", "instance")
UPSAMPLES = ("transposed", "resize")


def norm_layer(kind: str) -> type[nn.Module] | functools.partial:
    """BatchNorm (the paper's default) or affine-free InstanceNorm."""
    if kind == "batch":
        return nn.BatchNorm2d
    if kind == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


# Nearest x2 then a 3x3 convolution v is one 4x4 stride-2 transposed convolution: output pixel 2m gets
# v0 x[m-1] + (v1 + v2) x[m], pixel 2m + 1 (v0 + v1) x[m] + v2 x[m+1], so row k of TAPS writes tap k of the 4x4
# kernel in terms of v. A transposed kernel is of this form exactly when its two parities' taps sum alike.
TAPS = torch.tensor([[0.0, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]])


def transposed_kernel(v: torch.Tensor) -> torch.Tensor:
    """The 4x4 transposed kernel (in, out, 4, 4) that a nearest x2 and the 3x3 kernel v (out, in, 3, 3) equal:
    TAPS applied along both spatial axes, by slices (far cheaper than a product with it)."""

    def taps(w: torch.Tensor, dim: int) -> torch.Tensor:
        a, b, c = w.unbind(dim)
        return torch.stack([c, b + c, a + b, a], dim)

    return taps(taps(v, -2), -1).transpose(0, 1).contiguous()


class ResizeConv(nn.Module):
    """x2 by a nearest-neighbour resize and a 3x3 convolution (Odena et al., 2016), which maps a flat input to a
    flat output where the paper's transposed convolution paints a checkerboard (each output parity has its own
    kernel) that deeper levels spread into a lattice. Run as the transposed convolution it equals, borders
    included: the paper's cost, not that of a 3x3 convolution over the resized map."""

    def __init__(self, cin: int, cout: int, bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, 3, 3))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        nn.init.normal_(self.weight, 0.0, 0.02)
        self._kernel: tuple[tuple, torch.Tensor] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv_transpose2d(x, self.kernel(), self.bias, stride=2, padding=1)

    def kernel(self) -> torch.Tensor:
        """The transposed kernel; without gradients it is kept until the weights change (each step of training
        changes them; inference would otherwise rebuild every kernel on every call). Weights made under
        `torch.inference_mode()` keep no version counter: for them a change of storage, type or device counts."""
        w = self.weight
        if torch.is_grad_enabled() and w.requires_grad:
            return transposed_kernel(w)
        key = (w.data_ptr(), -1 if w.is_inference() else w._version, w.dtype, w.device)
        if self._kernel is None or self._kernel[0] != key:
            nhwc = w.is_contiguous(memory_format=torch.channels_last)  # the fast path's layout: the other costs 45-60% more
            layout = torch.channels_last if nhwc else torch.contiguous_format
            self._kernel = (key, transposed_kernel(w.detach()).contiguous(memory_format=layout))
        return self._kernel[1]


def up_conv(cin: int, cout: int, bias: bool, upsample: str) -> nn.Module:
    """A decoder's x2: the paper's 4x4 transposed convolution, or a resize and a 3x3 convolution (`ResizeConv`)."""
    if upsample == "transposed":
        return nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=bias)
    if upsample == "resize":
        return ResizeConv(cin, cout, bias)
    raise ValueError(f"upsample must be one of {UPSAMPLES}, got {upsample!r}")


class UNetGenerator(nn.Module):
    """Encoder-decoder with skip connections; `depth` halvings, so inputs must be multiples of 2**depth."""

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        depth: int = 8,
        norm: str = "batch",
        dropout: float = 0.5,
        upsample: str = "transposed",
    ) -> None:
        super().__init__()
        if depth < 2:
            raise ValueError("depth must be at least 2")
        Norm = norm_layer(norm)
        bias = norm == "instance"  # BatchNorm's affine shift makes a conv bias redundant
        chans = [ngf * min(2**i, 8) for i in range(depth)]
        self.depth, self.in_channels, self.upsample = depth, in_channels, upsample

        self.down = nn.ModuleList()
        for i in range(depth):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(in_channels if i == 0 else chans[i - 1], chans[i], 4, 2, 1, bias=bias))
            if 0 < i < depth - 1:
                layers.append(Norm(chans[i]))
            self.down.append(nn.Sequential(*layers))

        self.up = nn.ModuleList()
        for i in reversed(range(depth)):
            cin = chans[i] if i == depth - 1 else 2 * chans[i]
            if i == 0:
                layers = [nn.ReLU(), up_conv(cin, out_channels, True, upsample), nn.Tanh()]
            else:
                layers = [nn.ReLU(), up_conv(cin, chans[i - 1], bias, upsample), Norm(chans[i - 1])]
                if i >= depth - 3 and dropout > 0:
                    layers.append(nn.Dropout(dropout))
            self.up.append(nn.Sequential(*layers))
        init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = []
        for down in self.down:
            x = down(x)
            feats.append(x)
        x = self.up[0](feats[-1])
        for up, skip in zip(self.up[1:], reversed(feats[:-1])):
            x = up(torch.cat([x, skip], dim=1))
        return x


class HintAdapter(UNetGenerator):
    """A small U-Net that repaints a Lab colorizer's a*b* with colour hints, for a colorizer whose own network takes
    none or follows them little: it reads L, the hints (their a*b* and mask) and the colours the colorizer painted
    without them, at its own `image_size`. It runs only when hints are given, so without them the colorizer is
    exactly what it was."""

    def __init__(self, ngf: int = 16, depth: int = 7, norm: str = "batch", dropout: float = 0.5,
                 upsample: str = "resize", image_size: int = 128) -> None:  # fmt: skip
        super().__init__(6, 2, ngf, depth, norm, dropout, upsample)
        self.image_size = image_size

    def repaint(self, lightness: torch.Tensor, hint_ab: torch.Tensor, mask: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:
        """(B, 2, S, S) a*b* from L, the hints' a*b* (zero where `mask` is), the mask and the colorizer's own a*b*, all
        at `image_size` in the networks' scale."""
        return self(torch.cat([lightness, hint_ab, mask, ab], dim=1))


class PatchDiscriminator(nn.Module):
    """Conditional PatchGAN: classifies overlapping 70x70 patches (n_layers=3) of (input, output) pairs.

    Returns logits, one per patch, so the loss is BCE-with-logits (numerically stable under bf16).
    """

    def __init__(self, in_channels: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> None:
        super().__init__()
        Norm = norm_layer(norm)
        bias = norm == "instance"
        layers: list[nn.Module] = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        prev = ndf
        for n in range(1, n_layers + 1):
            cur = ndf * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [nn.Conv2d(prev, cur, 4, stride, 1, bias=bias), Norm(cur), nn.LeakyReLU(0.2)]
            prev = cur
        layers.append(nn.Conv2d(prev, 1, 4, 1, 1))
        self.net = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([condition, image], dim=1))


def init_weights(module: nn.Module, std: float = 0.02) -> None:
    """The paper's init: conv weights ~ N(0, std), norm scales ~ N(1, std), biases zero."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, ResizeConv)):
            nn.init.normal_(m.weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
