"""train.soup: the weights of fine-tunes of one model averaged into one."""

from __future__ import annotations

import json

import pytest
import torch

from pix2pix.hub import Pix2PixGenerator, load_generator
from train import soup


def tiny(folder, seed: int, facts: dict, ngf: int = 8, gain: float = 1.0) -> str:
    torch.manual_seed(seed)
    model = Pix2PixGenerator(
        1, 2, ngf=ngf, depth=5, task="colorize", space="lab", artist="Claude Monet", image_size=64, colour_gain=gain
    )
    model.save(folder, facts)
    return str(folder)


def test_a_soup_is_the_mean_of_its_ingredients_and_lists_them(tmp_path, capsys):
    start = {"model": "weights/start", "epochs": 10}
    a = tiny(
        tmp_path / "a",
        0,
        {
            "data": "paintings: Claude Monet",
            "train_images": 9,
            "steps": 100,
            "lambda_l1": 200.0,
            "seconds_this_session": 10.0,
            "fine_tuned_from": start,
        },
    )
    b = tiny(
        tmp_path / "b",
        1,
        {
            "data": "paintings: Claude Monet",
            "train_images": 9,
            "steps": 120,
            "lambda_l1": 500.0,
            "seconds_this_session": 12.5,
            "fine_tuned_from": start,
        },
        gain=2.0,
    )  # a colour gain: fitted on b alone
    assert soup.main(["--out", str(tmp_path / "soup"), a, b]) == 0
    assert "warning" not in capsys.readouterr().err  # one start: a soup proper
    ga, gb, gs = (load_generator(tmp_path / n) for n in ("a", "b", "soup"))
    for (name, wa), wb, ws in zip(ga.state_dict().items(), gb.state_dict().values(), gs.state_dict().values()):
        if wa.is_floating_point():  # weights are stored as fp16: the mean of the loaded ones, to fp16 precision
            assert torch.allclose(ws, (wa + wb) / 2, atol=2e-3), name
    info = json.loads((tmp_path / "soup" / "config.json").read_text())["train_info"]
    assert info["soup_of"] == {
        "a": {"lambda_l1": 200.0, "steps": 100, "seconds_this_session": 10.0},
        "b": {"lambda_l1": 500.0, "steps": 120, "seconds_this_session": 12.5},
    }
    assert info["steps"] == 220 and info["seconds_this_session"] == 22.5 and info["fine_tuned_from"] == start
    assert gb.colour_gain == 2.0 and gs.colour_gain == 1.0  # new weights, not yet calibrated
    assert info["schedule"] == "the average of 2 runs" and info["data"] == "paintings: Claude Monet" and info["train_images"] == 9
    assert info["recipe"].startswith("python -m train.soup --out")
    card = (tmp_path / "soup" / "README.md").read_text()
    assert "fine-tuned with 2 runs (listed below) from the start below, and their weights averaged" in card
    assert "### The runs averaged\n\n- **" in card and "### Fine-tuned from\n\n1. **" in card
    x = torch.rand(1, 1, 64, 64)
    gs.eval()
    ga.eval()
    assert not torch.equal(gs(x), ga(x))  # a new model, not the first one saved again


def test_models_of_different_shapes_are_refused_by_name(tmp_path, capsys):
    a = tiny(tmp_path / "a", 0, {"steps": 1})
    wide = tiny(tmp_path / "wide", 0, {"steps": 1}, ngf=16)
    assert soup.main(["--out", str(tmp_path / "soup"), a, wide]) == 2
    assert "differs from" in (err := capsys.readouterr().err) and "ngf" in err and not (tmp_path / "soup").exists()
    with pytest.raises(SystemExit):
        soup.main(["--out", str(tmp_path / "soup"), a])  # one model is no average
    assert soup.main(["--out", str(tmp_path / "soup"), a, str(tmp_path / "missing")]) == 2
    (tmp_path / "a-file").write_text("")
    with pytest.raises(SystemExit):
        soup.main(["--out", str(tmp_path / "a-file"), a, a])
    assert "a-file is a file, not a folder" in capsys.readouterr().err


def test_models_from_different_starts_are_averaged_with_a_warning(tmp_path, capsys):
    a = tiny(tmp_path / "a", 0, {"steps": 1, "fine_tuned_from": {"model": "one"}})
    b = tiny(tmp_path / "b", 1, {"steps": 1, "fine_tuned_from": {"model": "another"}})
    assert soup.main(["--out", str(tmp_path / "soup"), a, b]) == 0
    assert "not all fine-tuned from the same run" in capsys.readouterr().err
    assert "fine_tuned_from" not in json.loads((tmp_path / "soup" / "config.json").read_text())["train_info"]


def test_same_named_models_are_listed_by_their_paths(tmp_path):
    a = tiny(tmp_path / "a", 0, {"steps": 1})
    same_name = tiny(tmp_path / "other" / "a", 1, {"steps": 2})
    assert soup.main(["--out", str(tmp_path / "soup"), a, same_name]) == 0
    assert set(json.loads((tmp_path / "soup" / "config.json").read_text())["train_info"]["soup_of"]) == {a, same_name}
