"""Trained generators as files: `model.safetensors` + `config.json` (+ a model card), locally or on the Hub.

Saving, loading and pushing go through `huggingface_hub.PyTorchModelHubMixin`; `load_generator` adds
the checks a demo needs (clear errors naming the bad file) and only ever reads safetensors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, PyTorchModelHubMixin, hf_hub_download, snapshot_download
from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError
from safetensors import SafetensorError
from safetensors.torch import save_file

from .card import model_card
from .errors import UserError
from .kinds import Kind, kind_of
from .models import HintAdapter, UNetGenerator
from .transfer import ColourTransfer

TASKS = ("maps", "colorize")
SPACES = ("rgb", "lab")
WEIGHTS_FILE, CONFIG_FILE = "model.safetensors", "config.json"
WEIGHTS_ENV = "PIX2PIX_WEIGHTS"
LFS_POINTER = b"version https://git-lfs.github.com/spec/"  # how a file left behind by a clone without Git LFS begins
CHECKOUT_WEIGHTS = Path(__file__).resolve().parents[1] / "weights"  # the shipped models, beside the package


class ModelError(UserError, RuntimeError):
    """Weights or config that cannot be used, with a message that names the file."""


class PushError(UserError, RuntimeError):
    """A trained model that could not be uploaded to the Hub: it stays on disk, and the message says where."""


def file_in_the_way(folder: str | Path) -> Path | None:
    """The file that stands where `folder` (or a folder above it) would have to be made, or None: checked before
    long work that writes there, so the run is refused at its start instead of failing at its end."""
    folder = Path(folder)
    existing = next((d for d in (folder, *folder.parents) if d.exists()), None)
    return existing if existing is not None and not existing.is_dir() else None


class Pix2PixGenerator(UNetGenerator, PyTorchModelHubMixin, library_name="pix2pix-studio", license="mit",
                       tags=["pix2pix", "image-to-image", "gan"], pipeline_tag="image-to-image"):  # fmt: skip
    """A U-Net generator that also knows what it was trained for (its config travels with the weights)."""

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        ngf: int = 64,
        depth: int = 8,
        norm: str = "batch",
        dropout: float = 0.5,
        upsample: str = "transposed",
        task: str = "maps",
        space: str = "rgb",
        direction: str | None = None,
        artist: str | None = None,
        image_size: int = 256,
        scale: float = 1.0,
        palette: list[list[int]] | None = None,
        palette_bias: list[float] | None = None,
        snap_window: int = 1,
        colour_transfer: dict | None = None,
        hint_adapter: dict | None = None,
        train_info: dict | None = None,
    ) -> None:
        """`scale`: training pixels per pixel of the source images (maps: the ground resolution the model
        learned, so inputs are resized by it); `palette`: the RGB colours maps are drawn with, learnt from the
        training maps, for optional snapping of aerial -> map outputs; `palette_bias` and `snap_window`: how that
        snapping settles close calls, fitted on training maps (see `pix2pix.palette`); `colour_transfer`: a Lab
        colorizer's map of a*b* onto the colours of its training images (a painter's paintings, or photos), fitted on
        them (`pix2pix.transfer`); `hint_adapter`: the settings of a `HintAdapter` stored beside the network (its weights
        under `adapter.`), which a Lab colorizer runs when given colour hints (`pix2pix.infer`)."""
        super().__init__(in_channels, out_channels, ngf, depth, norm, dropout, upsample)
        if task not in TASKS or space not in SPACES:
            raise ValueError(f"task must be one of {TASKS} and space one of {SPACES}, got {task!r}, {space!r}")
        self.task, self.space, self.direction, self.artist = task, space, direction, artist
        self.image_size, self.scale = image_size, scale
        self.palette, self.palette_bias, self.snap_window = palette, palette_bias, snap_window
        self.colour_transfer = colour_transfer
        self.adapter = HintAdapter(**hint_adapter) if hint_adapter else None
        self.train_info = train_info or {}

    @property
    def kind(self) -> Kind:
        """What the network sees and predicts, and how its output becomes an image (`kinds`)."""
        return kind_of(self.task, self.space, self.direction, hints=self.takes_hints)

    @property
    def takes_hints(self) -> bool:
        """A Lab colorizer with three input channels beside L: colour hints (`pix2pix.hints`)."""
        return self.task == "colorize" and self.space == "lab" and self.in_channels == 4

    @property
    def reads_hints(self) -> bool:
        """Its network or its hint adapter reads colour hints (a Lab colorizer without either only spreads them)."""
        return self.takes_hints or self.adapter is not None

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._hub_mixin_config)

    def set_artist(self, artist: str | None) -> None:
        """Record whose paintings the colorizer now serves (after fine-tuning on another artist)."""
        self.artist = self._hub_mixin_config["artist"] = artist

    def set_snap(self, palette: list[list[int]], bias: list[float] | None, window: int) -> None:
        """Record a (re)fitted palette snap: its colours, their bias and the majority window."""
        self.palette, self.palette_bias, self.snap_window = palette, bias, window
        self._hub_mixin_config.update(palette=palette, palette_bias=bias, snap_window=window)

    def set_colour_transfer(self, transfer: dict | None) -> None:
        """Record a (re)fitted colour transfer (`pix2pix.transfer.ColourTransfer.to_config`), or none."""
        self.colour_transfer = self._hub_mixin_config["colour_transfer"] = transfer

    def set_hint_adapter(self, adapter: HintAdapter, settings: dict[str, Any]) -> None:
        """Store a trained hint adapter (built from `settings`) with this colorizer."""
        self.adapter = adapter
        self._hub_mixin_config["hint_adapter"] = settings

    def save(self, directory: str | Path, train_info: dict | None = None) -> Path:
        """Write weights, config and model card to `directory` (overwriting an older card)."""
        if train_info is not None:
            self.train_info = train_info
            self._hub_mixin_config["train_info"] = train_info
        directory = Path(directory)
        (directory / "README.md").unlink(missing_ok=True)
        self.save_pretrained(directory)
        return directory

    def _save_pretrained(self, save_directory: Path) -> None:
        """Parameters stored as fp16 (half the file; loading casts them back to fp32); BatchNorm statistics and
        counters keep their own dtype, since small running variances would lose precision in fp16."""
        params = {name for name, _ in self.named_parameters()}
        state = {k: (v.half() if k in params else v).detach().contiguous().cpu() for k, v in self.state_dict().items()}
        save_file(state, str(save_directory / WEIGHTS_FILE), metadata={"format": "pt"})

    @classmethod
    def _from_pretrained(cls, *, model_id: str, revision: str | None, cache_dir: str | Path | None, force_download: bool,
                         local_files_only: bool, token: str | bool | None, map_location: str = "cpu", strict: bool = False,
                         **model_kwargs: Any) -> Pix2PixGenerator:  # fmt: skip
        """The mixin's loader, from model.safetensors only: where a repo has none, the mixin's would unpickle
        pytorch_model.bin, which can run code. Unlike the mixin's, it prints nothing: a command's stdout is its output
        (the evaluation's Markdown tables)."""
        if Path(model_id).is_dir():
            file = str(Path(model_id) / WEIGHTS_FILE)
        else:
            file = hf_hub_download(repo_id=model_id, filename=WEIGHTS_FILE, revision=revision, cache_dir=cache_dir,
                                   force_download=force_download, token=token, local_files_only=local_files_only)
        return cls._load_as_safetensor(cls(**model_kwargs), file, map_location, strict)

    def generate_model_card(self, *args: Any, **kwargs: Any) -> ModelCard:
        return ModelCard(model_card(self.config))


# Scores a generator for choosing between candidates (keep-best epochs): its sort key (lower is better) and its scores.
Judge = Callable[[Pix2PixGenerator], tuple[list[float], dict]]


def weights_dir() -> Path:
    """The folder of model folders: PIX2PIX_WEIGHTS, else the shipped `weights/` of this checkout, found from any working
    folder (`python ~/pix2pix-studio/app.py` run elsewhere serves the shipped models); where the package was installed
    without its checkout (`pip install .`), `weights/` in the working folder."""
    if os.environ.get(WEIGHTS_ENV):
        return Path(os.environ[WEIGHTS_ENV]).expanduser()
    return CHECKOUT_WEIGHTS if CHECKOUT_WEIGHTS.is_dir() else Path("weights")


def model_names(folder: Path) -> list[str]:
    """The model folders (those with a config.json) in `folder`, by name."""
    return sorted(d.name for d in folder.glob("*") if (d / CONFIG_FILE).is_file())


def hub_offline() -> bool:
    """Whether HF_HUB_OFFLINE is set, read when asked (a test or a command may set it after import)."""
    return os.environ.get("HF_HUB_OFFLINE", "0").lower() in ("1", "true", "yes")


def resolve(name_or_path: str | Path, *, local_files_only: bool | None = None) -> Path:
    """A local model folder as is, a bare name of one in `weights_dir()` (`titian-lab`), or a Hub repo id downloaded (or
    taken from the cache when offline)."""
    path = Path(name_or_path).expanduser()  # `~/models/x` given from Python, where no shell expands it
    if path.is_dir():
        return path
    shipped = weights_dir() / path
    if len(path.parts) == 1 and (shipped / CONFIG_FILE).is_file():
        return shipped
    if names_a_folder(str(name_or_path)):
        models = model_names(path.parent)
        raise ModelError(f"no model folder at {path}" + (f"; {path.parent} holds {', '.join(models)}" if models else ""))
    if local_files_only is None:
        local_files_only = hub_offline()
    try:
        files = [CONFIG_FILE, WEIGHTS_FILE, "README.md"]
        return Path(snapshot_download(str(name_or_path), allow_patterns=files, local_files_only=local_files_only))
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError) as e:
        reason = next(iter(str(e).strip().splitlines()), type(e).__name__)  # its first line: the rest is advice
        known = model_names(weights_dir()) if len(path.parts) == 1 else []
        reason += f" (the model folders in {weights_dir()}: {', '.join(known)})" if known else ""
        raise ModelError(f"model {str(name_or_path)!r} is neither a local folder nor a reachable Hub repo: {reason}") from e


def names_a_folder(name: str) -> bool:
    """Whether `name` can only mean a folder on this machine, not a Hub repo id (`owner/name`): absolute, from `.`,
    `..` or `~`, deeper than two names, or inside a folder that exists here (`weights/typo`)."""
    path = Path(name)
    return path.is_absolute() or name.startswith((".", "~")) or len(path.parts) > 2 or (
        len(path.parts) == 2 and path.parent.is_dir())


def store_config(folder: Path, config: dict[str, Any]) -> None:
    """Write a model folder's config.json and the model card made from it, which must never disagree."""
    (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(model_card(config), encoding="utf-8")


def read_config(folder: Path) -> dict[str, Any]:
    """`config.json`, checked against the generator's arguments so a bad file fails loudly, by name."""
    path = folder / CONFIG_FILE
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path} is missing: a model folder needs {CONFIG_FILE} and {WEIGHTS_FILE}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(config, dict):
        raise ModelError(f"{path} must hold a JSON object")
    unknown = set(config) - set(Pix2PixGenerator._hub_mixin_init_parameters)
    if unknown:
        raise ModelError(f"{path} has unknown fields {sorted(unknown)}; was it written by another program?")
    return config


def load_generator(name_or_path: str | Path, *, local_files_only: bool | None = None) -> Pix2PixGenerator:
    """Load a trained generator in eval mode from a folder or Hub repo id; raises `ModelError` with the reason."""
    folder = resolve(name_or_path, local_files_only=local_files_only)
    read_config(folder)  # a config with unknown fields is refused before the weights are read
    weights = folder / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelError(f"{weights} is missing")
    try:
        model = Pix2PixGenerator.from_pretrained(folder, strict=True)
    except SafetensorError as e:  # the file itself: cut short by a download or a copy, or not safetensors at all
        if weights.read_bytes()[: len(LFS_POINTER)] == LFS_POINTER:
            raise ModelError(f"{weights} is a Git LFS pointer, not the weights: the repository was cloned without Git LFS "
                             "(install git-lfs, then run `git lfs pull` in it)") from None
        raise ModelError(f"{weights} is damaged or incomplete (was its download or copy cut short?): {e}") from None
    except (RuntimeError, TypeError, ValueError) as e:
        raise ModelError(f"{weights} does not fit {folder / CONFIG_FILE}: {str(e).splitlines()[0]}") from None
    if model.colour_transfer is not None:
        try:
            ColourTransfer.from_config(model.colour_transfer)
        except ValueError as e:
            raise ModelError(f"{folder / CONFIG_FILE}: its colour_transfer cannot be used: {e}") from None
    return model.eval()
