"""What a fresh machine and a Hugging Face Space install from agree: the README's Space front matter, pyproject and
the pinned requirements (a Space on its default Python, 3.10, cannot install the pinned NumPy)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def front_matter() -> dict[str, str]:
    """The README's YAML front matter as flat `key: value` pairs (quotes dropped)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("---\n")[1]
    return {k.strip(): v.strip().strip('"') for k, _, v in (line.partition(":") for line in block.splitlines())}


def pins() -> dict[str, str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def test_the_space_runs_the_pinned_gradio_on_a_python_the_pins_install_on():
    meta, project = front_matter(), tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert meta["sdk"] == "gradio" and meta["sdk_version"] == pins()["gradio"] and meta["app_file"] == "app.py"
    oldest = re.fullmatch(r">=(\d+)\.(\d+)", project["requires-python"]).groups()
    assert tuple(map(int, meta["python_version"].split("."))) >= tuple(map(int, oldest))
    assert tuple(map(int, oldest)) >= (3, 11)  # NumPy 2.3 and later need Python 3.11
    assert f"Python {'.'.join(oldest)}+" in (ROOT / "README.md").read_text(encoding="utf-8")
