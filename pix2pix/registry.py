"""Which trained models exist (in `weights/` and configured Hub repos), loaded once each, on first use."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .card import PHOTO_ARTIST, artist_of, describe
from .hub import CONFIG_FILE, ModelError, model_names, read_config, resolve, weights_dir as shipped_weights_dir
from .infer import Translator

log = logging.getLogger("pix2pix.registry")

HUB_ENV = "PIX2PIX_HUB_MODELS"


@dataclass(frozen=True)
class ModelEntry:
    name: str  # folder name, e.g. "claude-monet-lab"
    path: Path
    config: dict[str, Any]

    @property
    def task(self) -> str:
        return self.config.get("task", "")

    @property
    def artist(self) -> str:
        return artist_of(self.config)

    @property
    def trained(self) -> bool:
        """Only weights that carry training facts count as trained; anything else is labelled untrained."""
        return bool(self.config.get("train_info"))

    @property
    def heldout(self) -> dict[str, Any]:
        """The scores `pix2pix.training.evaluate --write` stored (empty where the model has not been evaluated)."""
        return (self.config.get("train_info") or {}).get("heldout") or {}

    @property
    def label(self) -> str:
        return describe(self.config) + ("" if self.trained else " [untrained]")


class Registry:
    """Models discovered at start-up; `translator(name)` loads each model once (thread-safe) and caches it."""

    def __init__(self, weights_dir: str | Path | None = None, hub_repos: list[str] | None = None, fast: bool = True) -> None:
        self.weights_dir = Path(weights_dir) if weights_dir else shipped_weights_dir()
        if hub_repos is None:
            hub_repos = [r.strip() for r in os.environ.get(HUB_ENV, "").split(",") if r.strip()]
        self.fast = fast
        self.entries: dict[str, ModelEntry] = {}
        self.problems: list[str] = []
        self._cache: dict[str, Translator] = {}
        self._lock = threading.Lock()
        one = (self.weights_dir / CONFIG_FILE).is_file()  # one model's own folder given: that model alone
        for folder in [self.weights_dir] if one else [self.weights_dir / name for name in model_names(self.weights_dir)]:
            self._add(folder.name, folder)
        for repo in hub_repos:
            try:
                self._add(repo, resolve(repo))
            except ModelError as e:  # offline or a typo: keep serving what is on disk
                log.warning("Hub model %s unavailable, using local weights only: %s", repo, e)
                self.problems.append(f"{repo}: not reachable")

    def _add(self, name: str, path: Path) -> None:
        try:
            self.entries[name] = ModelEntry(name, path, read_config(path))
        except ModelError as e:
            log.warning("skipping %s: %s", path, e)
            self.problems.append(str(e))

    def of_task(self, task: str) -> list[ModelEntry]:
        return [e for e in self.entries.values() if e.task == task]

    def artists(self) -> list[str]:
        """The colorizers' artists, the natural-colour model first (what a black-and-white photo most often wants)."""
        return sorted({e.artist for e in self.of_task("colorize")}, key=lambda a: (a != PHOTO_ARTIST, a))

    def colorizers(self) -> list[ModelEntry]:
        """The colorizers as the menu lists their artists (natural colours first), each artist's Lab model first."""
        order = self.artists()
        return sorted(self.of_task("colorize"), key=lambda e: (order.index(e.artist), e.config.get("space") != "lab"))

    def best_artist(self) -> str | None:
        """The menu's first choice: the natural-colour model where there is one, else the first artist."""
        return next(iter(self.artists()), None)

    def find_colorizer(self, artist: str, space: str) -> ModelEntry | None:
        for e in self.of_task("colorize"):
            if e.artist == artist and e.config.get("space") == space:
                return e
        return None

    def find_maps(self, direction: str) -> ModelEntry | None:
        return next((e for e in self.of_task("maps") if (e.config.get("direction") or "AtoB") == direction), None)

    def translator(self, entry: ModelEntry) -> Translator:
        with self._lock:
            if entry.name not in self._cache:
                self._cache[entry.name] = Translator.load(entry.path, fast=self.fast)
            return self._cache[entry.name]
