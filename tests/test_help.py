"""Every entry point's --help shows its description as written: example commands keep their own lines."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import pytest

ENTRY_POINTS = [
    "app",
    "train.colorize",
    "train.maps",
    "train.all",
    "pix2pix.predict",
    "pix2pix.push",
    "pix2pix.training.evaluate",
    "pix2pix.training.showcase",
    "bench.infer_cpu",
    "bench.train_gpu",
    "bench.load_app",
    "bench.predict_folder",
    "bench.gpu_pack",
]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_help_keeps_the_description_layout(name, monkeypatch, capsys):
    module = importlib.import_module(name)
    monkeypatch.setattr(sys, "argv", [name, "--help"])
    with pytest.raises(SystemExit) as exit_info:
        module.main()
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    lines = {line.strip() for line in out.splitlines()}
    examples = [line.strip() for line in module.__doc__.splitlines() if line.startswith("    ") and line.strip()]
    assert examples, f"{name}: its docstring should show how to run it"
    assert all(example in lines for example in examples), f"{name}: an example lost its line in --help"
    assert out.startswith(f"usage: python {'app.py' if name == 'app' else '-m ' + name}")


def test_each_console_command_is_an_entry_point_whose_help_is_tested():
    scripts = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]["scripts"]
    for command, target in scripts.items():
        module, _, function = target.partition(":")
        assert function == "main" and module in ENTRY_POINTS, command
        assert callable(importlib.import_module(module).main)
