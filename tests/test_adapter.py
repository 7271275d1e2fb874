"""Hint adapters: a colorizer whose network takes no hints repaints its colours with them through a small network
stored beside it, which never runs without hints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from pix2pix.hub import ModelError, Pix2PixGenerator, load_generator
from pix2pix.infer import Translator
from pix2pix.training import fit_adapter
from pix2pix.training.setup import with_hint_channels, without_hint_adapter
from tests.test_hints import RED, ab_of, lab_model

PHOTO = "tests/data/chelsea.png"
HINTS = [(100, 100, RED, 8), (300, 200, "#2040e0", 4)]


def hint_model():
    return with_hint_channels(lab_model(upsample="resize")).eval()


def test_an_adapter_starts_as_the_hint_model_it_came_from_ignoring_the_colorizers_own_colours():
    hints = hint_model()
    adapter, settings = fit_adapter.adapter_from(hints)
    assert settings == {"ngf": 8, "depth": 5, "norm": "batch", "dropout": 0.5, "upsample": "resize", "image_size": 32}
    adapter.eval()
    torch.manual_seed(1)
    L, hint_ab, own = torch.randn(2, 1, 32, 32), torch.randn(2, 2, 32, 32), torch.randn(2, 2, 32, 32)
    mask = torch.ones(2, 1, 32, 32)
    with torch.no_grad():
        want = hints(torch.cat([L, hint_ab, mask], 1))
        assert torch.allclose(adapter.repaint(L, hint_ab, mask, own), want, atol=1e-6)
    with pytest.raises(ModelError, match="hint model"):
        fit_adapter.adapter_from(lab_model())


def test_a_colorizer_keeps_its_adapter_on_disk_and_runs_it_only_with_hints(tmp_path):
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    lab_model().save(tmp_path / "auto")
    auto = load_generator(tmp_path / "auto")
    before, spread_only = Translator(auto)(photo), Translator(auto)(photo, hints=HINTS)
    adapter, settings = fit_adapter.adapter_from(hint_model())
    auto.set_hint_adapter(adapter, settings)
    auto.save(tmp_path / "m")
    loaded = load_generator(tmp_path / "m")
    assert loaded.reads_hints and not loaded.takes_hints and loaded.config["hint_adapter"] == settings
    stored = adapter.state_dict()
    assert all(torch.allclose(v.float(), stored[k].float(), atol=1e-3) for k, v in loaded.adapter.state_dict().items())
    translator = Translator(loaded)
    assert np.array_equal(np.asarray(translator(photo).generated), np.asarray(before.generated))  # not run without hints
    hinted = translator(photo, hints=HINTS)
    assert not np.array_equal(np.asarray(hinted.generated), np.asarray(spread_only.generated))  # the adapter ran
    assert hinted.notes == []  # it follows hints: nothing to warn about
    assert "hint adapter stored with it" in (tmp_path / "m" / "README.md").read_text()
    # and the spreading still takes each hint's colour to where it was put
    x, y, colour, radius = HINTS[0]
    lab = hinted.lab[0, 1:, y - radius : y + radius + 1, x - radius : x + radius + 1].mean((1, 2)).numpy()
    assert np.allclose(lab, ab_of(colour), atol=6)
    assert without_hint_adapter(loaded).adapter is None  # a fine-tune drops it: it learnt the colours before


def test_the_command_trains_an_adapter_and_stores_it_with_the_model(paintings, tmp_path, capsys):
    colorizer = lab_model(artist="Gustav Klimt")
    colorizer.save(tmp_path / "painter")
    hint_model().save(tmp_path / "hints")
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    before = np.asarray(Translator(load_generator(tmp_path / "painter"))(photo).generated)
    assert fit_adapter.main([str(tmp_path / "painter"), "--init", str(tmp_path / "hints"), "--photos", "tests/data",
                             "--data", str(paintings), "--photo-count", "3", "--steps", "2", "--batch-size", "2",
                             "--write"]) == 0  # fmt: skip
    trained = load_generator(tmp_path / "painter")
    facts = trained.train_info["hint_adapter"]
    assert trained.adapter is not None and facts["steps"] == 2 and facts["photos"] == 3
    assert "with the hint model's" in facts["examples"]
    assert facts["paintings"].startswith(("1 ", "2 ", "3 ", "4 ", "5 "))  # Monet's, never the colorizer's own painter's
    assert np.array_equal(np.asarray(Translator(trained)(photo).generated), before)
    capsys.readouterr()
    # an RGB colorizer does not keep the photo's lightness, which the adapter reads: refused before any work
    Pix2PixGenerator(1, 3, ngf=8, depth=5, task="colorize", space="rgb", image_size=32).save(tmp_path / "rgb")
    assert fit_adapter.main([str(tmp_path / "rgb"), "--init", str(tmp_path / "hints"), "--photos", "tests/data",
                             "--data", str(paintings)]) == 2  # fmt: skip
    assert "is not a Lab colorizer" in capsys.readouterr().err


def test_a_hint_model_with_an_adapter_follows_hints_through_the_adapter_alone():
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    model = hint_model()
    adapter, settings = fit_adapter.adapter_from(hint_model())
    model.set_hint_adapter(adapter, settings)
    translator, seen = Translator(model), []
    net = translator.net
    translator.net = lambda x: seen.append(x) or net(x)
    hinted = translator(photo, hints=HINTS)
    assert len(seen) == 1 and seen[0][0, 1:].abs().sum() == 0  # its network ran once, without the hints
    assert not np.array_equal(np.asarray(hinted.generated), np.asarray(translator(photo).generated))


def test_the_fast_path_runs_the_adapter_in_the_networks_precision():
    """`fast` casts the whole model, the adapter with it, to bf16 where that is native: the adapter's inputs follow."""
    photo = np.asarray(Image.open(PHOTO).convert("RGB"))
    model = lab_model()
    model.set_hint_adapter(*fit_adapter.adapter_from(hint_model()))
    exact = np.asarray(Translator(model)(photo, hints=HINTS).generated, dtype=int)
    fast = Translator(model)
    fast.model.to(dtype=torch.bfloat16, memory_format=torch.channels_last)  # what `fast=True` does on such a CPU
    fast.bf16 = True
    assert np.abs(np.asarray(fast(photo, hints=HINTS).generated, dtype=int) - exact).mean() < 8
