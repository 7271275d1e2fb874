"""What a run is set up from, checked before any long work: its device, its data, and the generator it starts
with (new, or a saved model to fine-tune, checked against the run's task)."""

from __future__ import annotations

from pathlib import Path

import torch
from huggingface_hub import get_token

from .config import ConfigError, TrainConfig
from .data import DataError, ImageSet, Paintings, PairedImages, Photos
from ..kinds import Kind, Maps, kind_of
from ..models import TAPS
from ..hub import WEIGHTS_FILE, Pix2PixGenerator, file_in_the_way, hub_offline, load_generator
from .snap import map_palette


def pick_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """The device a run trains on: `auto` takes CUDA, then MPS, then the CPU; a device named is checked to be here,
    so that a typo or a missing GPU is one line at the start, not a traceback from deep inside torch."""
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    best = "cuda" if torch.cuda.is_available() else "mps" if mps else "cpu"
    name = best if name == "auto" else name
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"--device {name}: not a device (auto, cpu, cuda, cuda:N or mps)") from None
    count = {"cpu": 1, "cuda": torch.cuda.device_count() if torch.cuda.is_available() else 0, "mps": int(mps)}
    if (device.index or 0) >= count.get(device.type, 0):
        raise ConfigError(f"--device {name}: this machine has no such device ({best} is what it has)")
    return torch.device("cuda", local_rank) if device.type == "cuda" and device.index is None else device


def lr_factor(epoch: int, cfg: TrainConfig) -> float:
    """Constant for `epochs`, then linear decay to zero over `epochs_decay` (the pix2pix schedule)."""
    return 1.0 - max(0, epoch + 1 - cfg.epochs) / (cfg.epochs_decay + 1)


def run_kind(cfg: TrainConfig) -> Kind:
    """The kind of model the run trains (`kinds`)."""
    try:
        return kind_of(cfg.task, cfg.space, cfg.direction, cfg.hints)
    except ValueError as e:
        raise ConfigError(str(e)) from None


def load_datasets(cfg: TrainConfig) -> tuple[ImageSet, ImageSet | None]:
    """Training set decoded at `load_size` (for random crops) and a held-out set at `image_size` (None where the
    data has no held-out split)."""
    kind = run_kind(cfg)

    def images(split: str, size: int, limit: int | None, tune: int = 0) -> ImageSet:
        if isinstance(kind, Maps):
            return PairedImages(cfg.data, split, size, cfg.direction, limit=limit)
        if cfg.artists:
            return Paintings(cfg.data, cfg.artists, split, size, cfg.space, limit=limit, tune_percent=tune)
        return Photos(cfg.data, split, size, cfg.space, limit=limit, tune_percent=tune)

    train = images("train", cfg.load_size, cfg.limit, cfg.tune_percent)
    try:
        return train, images("val", cfg.image_size, cfg.eval_images)
    except DataError:
        return train, None


def model_role(cfg: TrainConfig) -> dict[str, str | None]:
    """The task, colour space and direction the run's generator is for (maps are RGB and have a direction)."""
    kind = run_kind(cfg)
    return {"task": kind.task, "space": kind.space, "direction": kind.direction}


def role_in_words(role: dict[str, str | None]) -> str:
    """A model's role as a user names it: an aerial -> map model, a Lab colorizer."""
    if role["task"] == "maps":
        return "a map -> aerial photo model" if role["direction"] == "BtoA" else "an aerial photo -> map model"
    return "an RGB colorizer" if role["space"] == "rgb" else "a Lab colorizer"


def with_input_weights(G: Pix2PixGenerator, weight: torch.Tensor) -> Pix2PixGenerator:
    """`G` with its first convolution's weights replaced by `weight` (out, in, k, k), which sets its input channels."""
    new = Pix2PixGenerator(**(G.config | {"in_channels": weight.shape[1]}))
    state = G.state_dict()
    state["down.0.0.weight"] = weight
    new.load_state_dict(state)
    return new.train(G.training)


def zero_widened(weight: torch.Tensor, channels: int) -> torch.Tensor:
    """A first convolution's weights (out, in, k, k) with `channels` more inputs weighted zero: until they are trained,
    the widened network computes exactly what it did, whatever those inputs hold."""
    return torch.cat([weight, weight.new_zeros(weight.shape[0], channels, *weight.shape[2:])], 1)


def with_hint_channels(G: Pix2PixGenerator) -> Pix2PixGenerator:
    """An automatic Lab colorizer widened to take colour hints: the first convolution gets zero weights for the
    three hint channels, so until it is fine-tuned it colours exactly as before, whatever the hints."""
    return with_input_weights(G, zero_widened(G.state_dict()["down.0.0.weight"], 3))


def without_hint_channels(G: Pix2PixGenerator) -> Pix2PixGenerator:
    """A hint model narrowed to an automatic colorizer: its first convolution keeps the weights for L alone. Without
    hints its hint channels are zero, so it colours exactly as before; trained on as an automatic model, it is the
    automatic model a later `--hints` stage widens again with zero weights (automatic first, then hints)."""
    return with_input_weights(G, G.state_dict()["down.0.0.weight"][:, :1].clone())


def hint_input_weights(G: Pix2PixGenerator) -> torch.nn.Parameter:
    """Freeze a hint model but for its first convolution's weights, whose gradient is kept for the hint channels
    alone: what it paints from L alone cannot change, only what it makes of the hints (`--hint-inputs-only`)."""
    G.requires_grad_(False)
    weight = G.down[0][0].weight
    weight.requires_grad_(True)
    weight.register_hook(lambda grad: torch.cat([torch.zeros_like(grad[:, :1]), grad[:, 1:]], 1))
    return weight


def resize_kernel(weight: torch.Tensor) -> torch.Tensor:
    """The 3x3 convolution (out, in, 3, 3) that, after a nearest x2 resize, comes closest (least squares, per
    channel pair) to a transposed convolution's 4x4 kernel (in, out, 4, 4): all of it but its checkerboard."""
    fit = torch.linalg.pinv(TAPS.double())
    return torch.einsum("ak,iokl,bl->oiab", fit, weight.double(), fit).to(weight.dtype)


def with_resize_upsampling(G: Pix2PixGenerator) -> Pix2PixGenerator:
    """A generator's transposed convolutions replaced by resize convolutions fitted to them (`resize_kernel`), to be
    fine-tuned: the fit keeps what the kernels share and drops the checkerboard that paints a lattice on flat
    inputs, so the network starts near, not at, what it did."""
    resized = Pix2PixGenerator(**(G.config | {"upsample": "resize"}))
    state = G.state_dict()
    for name, m in G.named_modules():
        if isinstance(m, torch.nn.ConvTranspose2d):
            state[f"{name}.weight"] = resize_kernel(state[f"{name}.weight"])
    resized.load_state_dict(state)
    return resized.train(G.training)


def without_hint_adapter(G: Pix2PixGenerator) -> Pix2PixGenerator:
    """A colorizer without its hint adapter, which learnt to repaint the colours of the network before a run."""
    new = Pix2PixGenerator(**(G.config | {"hint_adapter": None}))
    new.load_state_dict({k: v for k, v in G.state_dict().items() if not k.startswith("adapter.")})
    return new.train(G.training)


def initial_generator(cfg: TrainConfig) -> Pix2PixGenerator:
    """The saved model a fine-tuning run starts from, checked against the run's task (widened for hints with
    `--hints`, a hint model narrowed to an automatic one without)."""
    G = load_generator(cfg.init).train()
    want = model_role(cfg)
    have = {k: getattr(G, k) for k in want}
    if have != want:
        raise ConfigError(f"--init {cfg.init} is {role_in_words(have)}; this run trains {role_in_words(want)}")
    if G.adapter is not None:
        G = without_hint_adapter(G)
    if G.takes_hints and not cfg.hints:
        G = without_hint_channels(G)
    if cfg.hints and not G.takes_hints:
        G = with_hint_channels(G)
    if cfg.upsample == "resize" and G.upsample == "transposed":
        G = with_resize_upsampling(G)
    if cfg.image_size % 2**G.depth:
        raise ConfigError(f"--image-size {cfg.image_size} must be a multiple of {2**G.depth} for {cfg.init}")
    return G


def fine_tuned(cfg: TrainConfig, train: ImageSet, scale: float) -> Pix2PixGenerator:
    """The saved model to start from, checked against this run's data; a colorizer now serves the run's artists,
    without the colour transfer fitted to its network before."""
    G = initial_generator(cfg)
    if abs(G.scale - scale) > 0.01 * G.scale:
        have = f"{cfg.init} learnt a ground scale of {G.scale:.4g}"
        raise ConfigError(f"{have}; this run's data gives {scale:.4g} (adjust --load-size)")
    if not isinstance(G.kind, Maps):  # fine-tuned on other images, it serves their artist
        G.set_artist(", ".join(train.artists))
        if not cfg.hint_inputs_only:  # its colours without hints stay, and with them the transfer fitted to them
            G.set_colour_transfer(None)  # fitted to the network before this run: `pix2pix.training.fit_transfer` fits anew
    return G


def build_generator(cfg: TrainConfig, train: ImageSet) -> Pix2PixGenerator:
    """A new generator for the run (with the map palette learnt from the training maps, for aerial -> map), or the
    model it fine-tunes."""
    kind = run_kind(cfg)
    maps = isinstance(kind, Maps)
    scale = (cfg.scale or cfg.load_size / train.source_width) if maps else 1.0
    if cfg.init:
        return fine_tuned(cfg, train, scale)
    palette = None
    if maps and cfg.direction == "AtoB" and cfg.palette > 0:
        palette = map_palette(train.images[:, 3:].cpu(), cfg.palette, cfg.seed)
    return Pix2PixGenerator(kind.in_channels, kind.out_channels, cfg.ngf, cfg.depth, cfg.norm, upsample=cfg.upsample,
                            **model_role(cfg), scale=scale,
                            artist=", ".join(getattr(train, "artists", [])) or None, image_size=cfg.image_size, palette=palette)


def replaces_a_model(cfg: TrainConfig) -> bool:
    """Whether the run would write over a model it does not continue: one already in OUT that is neither its
    `--init` nor an earlier part of the same run (`--resume` with its checkpoint). A model is never lost to a default
    `--out`."""
    out = Path(cfg.out)
    resumed = cfg.resume and cfg.checkpoint.is_file()
    continues = resumed or (cfg.init is not None and Path(cfg.init).expanduser().resolve() == out.resolve())
    return (out / WEIGHTS_FILE).is_file() and not continues


def check_config(cfg: TrainConfig) -> None:
    """Refuse settings that would fail (or silently do nothing) deep in a run, before any data is read."""
    if blocker := file_in_the_way(cfg.out):
        raise ConfigError(f"--out {cfg.out}: {blocker} is a file, not a folder")
    if replaces_a_model(cfg) and not cfg.replace:
        raise ConfigError(f"--out {cfg.out} already holds a model, which this run would replace when it ends: train "
                          "into another --out, or add --replace")
    if cfg.total_epochs < 1 or min(cfg.epochs, cfg.epochs_decay) < 0:
        raise ConfigError(f"the schedule needs at least one epoch, got --epochs {cfg.epochs} --epochs-decay {cfg.epochs_decay}")
    if cfg.load_size < cfg.image_size:
        raise ConfigError(f"--load-size {cfg.load_size} must be at least --image-size {cfg.image_size}: crops are cut from them")
    if not cfg.init and cfg.image_size % 2**cfg.depth:
        raise ConfigError(f"--image-size {cfg.image_size} must be a multiple of 2**depth = {2**cfg.depth} (--depth {cfg.depth})")
    if cfg.hint_inputs_only and not (cfg.init and cfg.hints and cfg.lambda_gan == 0):
        raise ConfigError("--hint-inputs-only trains a hint model's hint weights with L1 alone: it needs --init, --hints "
                          "and --lambda-gan 0")
    if cfg.lambda_smooth and not run_kind(cfg).keeps_lightness:
        raise ConfigError("--lambda-smooth smooths a Lab colorizer's a*b*: it needs --space lab")
    if not 0 <= cfg.min_scale <= 1:
        raise ConfigError(f"--min-scale must be between 0 and 1, got {cfg.min_scale:g}")
    if cfg.min_scale and isinstance(run_kind(cfg), Maps):
        raise ConfigError("--min-scale is for colorizers: a maps model is trained and run at one ground scale")
    if cfg.push_to_hub and hub_offline():
        raise ConfigError(f"--push-to-hub {cfg.push_to_hub}: HF_HUB_OFFLINE is set, so the Hub cannot be reached")
    if cfg.push_to_hub and not get_token():  # found now, not after hours of training
        raise ConfigError(f"--push-to-hub {cfg.push_to_hub} needs a Hub token: set HF_TOKEN (or run `hf auth login`)")
