"""pix2pix.training.evaluate (and the scoring it runs) on tiny real data: the metrics, both tasks' tables with their
baselines, figures, --write."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PIL import Image
from skimage.color import deltaE_ciede2000, rgb2lab

from pix2pix.training import evaluate as ev
from pix2pix.training import metrics, scoring
from pix2pix.training.data import DataError, painting_files
from pix2pix.hub import Pix2PixGenerator, load_generator


@pytest.fixture(scope="module")
def cat(photos) -> np.ndarray:
    return np.asarray(Image.open(photos / "chelsea.png").convert("RGB"))


def test_metrics_on_a_real_photo(cat):
    gray = np.repeat(np.asarray(Image.fromarray(cat).convert("L"))[..., None], 3, axis=2)
    assert metrics.psnr(cat, cat) > 90 and metrics.ciede2000(cat, cat) == 0 and metrics.ssim(cat, cat) == pytest.approx(1.0)
    assert metrics.colourfulness(gray) == 0 and metrics.colourfulness(cat) > 10  # a gray image has no colourfulness
    assert metrics.ciede2000(gray, cat) == pytest.approx(deltaE_ciede2000(rgb2lab(gray), rgb2lab(cat)).mean())
    shifted = np.clip(cat.astype(int) + np.array([4, 0, 0]), 0, 255).astype(np.uint8)
    assert (
        metrics.delta_accuracy(shifted, cat) == 1.0
        and metrics.delta_accuracy(np.clip(cat.astype(int) + 5, 0, 255).astype(np.uint8), cat) < 0.1
    )
    assert metrics.rmse(shifted, cat) == pytest.approx(np.sqrt(((shifted.astype(float) - cat) ** 2).mean()))


def test_lab_baselines_keep_the_lightness(cat):
    gray = scoring.lab_baseline((0.0, 0.0))(cat)
    assert gray.shape == cat.shape and metrics.colourfulness(gray) < 1
    warm = scoring.lab_baseline((10.0, 20.0))(cat)
    assert np.abs(rgb2lab(warm)[..., 0] - rgb2lab(cat)[..., 0]).mean() < 1.5
    assert metrics.colourfulness(warm) > metrics.colourfulness(gray)


def tiny(folder, task="colorize", space="lab", **kw):
    io = {"maps": (3, 3), "lab": (1, 2), "rgb": (1, 3)}["maps" if task == "maps" else space]
    Pix2PixGenerator(*io, ngf=8, depth=5, task=task, space=space, image_size=64, **kw).save(
        folder, {"epochs": 1, "note": "test fixture"}
    )
    return str(folder)


def test_colorize_table_figure_and_written_scores(paintings, tmp_path, capsys):
    lab = tiny(tmp_path / "monet-lab", artist="Claude Monet")
    rgb = tiny(tmp_path / "monet-rgb", space="rgb", artist="Claude Monet")
    fig = tmp_path / "fig.png"
    code = ev.main(
        ["--data", str(paintings), "--artist", "monet", "--model", lab, "--model", rgb, "--figure", str(fig), "--write"]
    )
    assert code == 0
    table = capsys.readouterr().out
    rows = [r for r in table.splitlines() if r.startswith("| ") and "---" not in r][1:]
    assert [r.split("|")[1].strip() for r in rows] == [
        "baseline: gray (a*b* = 0)",
        "baseline: the artist's mean a*b*",
        "monet-lab: Claude Monet colorization (Lab)",
        "monet-rgb: Claude Monet colorization (RGB)",
    ]
    assert rows[0].split("|")[5].strip() == "0.000"  # gray: no colourfulness
    assert [r.split("|")[8].strip() for r in rows[:2]] == ["", ""]  # the baselines are what the targets are met against
    assert re.fullmatch(r"[0-3] of 3( \(missed: .+\))?", rows[2].split("|")[8].strip())
    held = json.loads((tmp_path / "monet-lab" / "config.json").read_text())["train_info"]["heldout"]
    assert set(held) == {
        "split",
        "psnr_db",
        "ciede2000",
        "ssim",
        "colourfulness_ratio",
        "palette_distance",
        "ms_per_image",
        "targets",
    }
    assert held["targets"] == rows[2].split("|")[8].strip()
    assert f"{held['palette_distance']:.3f}" == rows[2].split("|")[6].strip()
    assert (
        f"{held['colourfulness_ratio']:.3f}" == rows[2].split("|")[5].strip()
    )  # stored as printed: three places, so 0.696 is no 0.70
    assert (
        "Held-out scores" in (tmp_path / "monet-lab" / "README.md").read_text()
        and "ciede2000" in (tmp_path / "monet-lab" / "README.md").read_text()
    )
    assert Image.open(fig).width > 4 * 256  # input | grayscale | two models | real


def test_a_hint_model_scored_alone_keeps_the_automatic_models_recorded_scores(paintings, tmp_path):
    """`--write` records beside a hint model's sweep the automatic model's scores without hints; scoring the hint model
    again alone, on the same split, keeps them (they do not change with it), and on another split drops them."""
    auto = tiny(tmp_path / "monet-lab", artist="Claude Monet")
    Pix2PixGenerator(4, 2, ngf=8, depth=5, task="colorize", space="lab", image_size=64, artist="Claude Monet").save(
        tmp_path / "monet-hints", {"epochs": 1, "note": "test fixture: a hint model"}
    )
    hint = str(tmp_path / "monet-hints")

    def reference() -> dict | None:
        held = json.loads((tmp_path / "monet-hints" / "config.json").read_text())["train_info"]["heldout"]
        return held["hint_sweep"].get("automatic_model")

    both = ["--data", str(paintings), "--artist", "monet", "--hints", "0,10", "--write"]
    assert ev.main([*both, "--model", auto, "--model", hint]) == 0
    recorded = reference()
    assert recorded and recorded["model"] == "monet-lab" and set(recorded) >= {"psnr", "ciede2000", "colourfulness_ratio"}
    assert ev.main([*both, "--model", hint]) == 0
    assert reference() == recorded
    config = json.loads((tmp_path / "monet-hints" / "config.json").read_text())
    config["train_info"]["heldout"]["split"] = "held-out paintings of Claude Monet (99)"  # recorded on another split
    (tmp_path / "monet-hints" / "config.json").write_text(json.dumps(config))
    assert ev.main([*both, "--model", hint]) == 0
    assert reference() is None


def test_the_tune_split_scores_candidates_without_the_held_out_paintings(paintings, tmp_path, capsys):
    lab = tiny(tmp_path / "monet-lab", artist="Claude Monet")
    assert ev.main(["--data", str(paintings), "--artist", "monet", "--model", lab, "--tune-percent", "50"]) == 0
    tune = painting_files(paintings, ["Monet"], "tune", tune_percent=50)[1]
    assert f"### Claude Monet: {len(tune)} tune paintings (50% of the training split)" in capsys.readouterr().out
    for bad in (["--write"], ["--all"], ["--task", "maps"]):
        with pytest.raises(SystemExit):
            ev.main(["--data", str(paintings), "--artist", "monet", "--model", lab, "--tune-percent", "50", *bad])
    assert "not with --write" in capsys.readouterr().err


def test_maps_tables_baselines_and_palette_rows(ab_dataset, tmp_path, capsys):
    a2m = tiny(tmp_path / "a2m", task="maps", direction="AtoB", palette=[[255, 255, 255], [0, 0, 0], [128, 128, 128]])
    m2a = tiny(tmp_path / "m2a", task="maps", direction="BtoA")
    assert (
        ev.main(
            [
                "--task",
                "maps",
                "--data",
                str(ab_dataset),
                "--model",
                a2m,
                "--model",
                m2a,
                "--figure",
                str(tmp_path / "maps.png"),
                "--write",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "**aerial photo -> map**" in out and "**map -> aerial photo**" in out
    names = [r.split("|")[1].strip() for r in out.splitlines() if r.startswith("| ") and "---" not in r and "method" not in r]
    assert names[0].startswith("baseline: most common map colour") and names[1:3] == [
        "a2m: aerial photo -> map",
        "a2m: aerial photo -> map + palette",
    ]
    assert names[3].startswith("baseline: mean aerial colour") and names[4] == "m2a: map -> aerial photo"
    held = json.loads((tmp_path / "a2m" / "config.json").read_text())["train_info"]["heldout"]
    assert 0 <= held["accuracy_delta5"] <= 1 and "with_palette" in held
    assert held["baseline"]["method"].startswith("most common map colour")  # each model kept beside its own baseline
    back = json.loads((tmp_path / "m2a" / "config.json").read_text())["train_info"]["heldout"]["baseline"]
    assert back["method"].startswith("mean aerial colour") and 0 <= back["ssim"] <= 1
    assert (tmp_path / "maps_AtoB.png").is_file() and (tmp_path / "maps_BtoA.png").is_file()


def test_two_maps_models_with_one_folder_name_get_a_row_each(ab_dataset, tmp_path, capsys):
    first = tiny(tmp_path / "a" / "a2m", task="maps", direction="AtoB")
    second = tiny(tmp_path / "b" / "a2m", task="maps", direction="AtoB")  # e.g. a fine-tuned model and its start
    assert ev.main(["--task", "maps", "--data", str(ab_dataset), "--model", first, "--model", second]) == 0
    names = [
        r.split("|")[1].strip()
        for r in capsys.readouterr().out.splitlines()
        if r.startswith("| ") and "---" not in r and "method" not in r
    ]
    assert names[1:] == [f"{first}: aerial photo -> map", f"{second}: aerial photo -> map"]


def test_all_evaluates_each_model_on_its_own_artist(paintings, ab_dataset, tmp_path, capsys):
    tiny(tmp_path / "w" / "klimt-lab", artist="Gustav Klimt")
    tiny(tmp_path / "w" / "monet-lab", artist="Claude Monet")
    tiny(tmp_path / "w" / "maps", task="maps", direction="AtoB")
    assert ev.main(["--all", "--weights", str(tmp_path / "w"), "--paintings", str(paintings), "--maps", str(ab_dataset)]) == 0
    out = capsys.readouterr().out
    assert "### Claude Monet: " in out and "**aerial photo -> map**" in out
    assert "### Gustav Klimt: not evaluated (the val split of Gustav Klimt is empty)" in out  # 3 paintings, none held out


def test_clear_errors_without_a_traceback(paintings, tmp_path, capsys):
    lab = tiny(tmp_path / "m", artist="Claude Monet")
    assert ev.main(["--data", str(paintings), "--artist", "Vermeer", "--model", lab]) == 2
    assert "Artists found: Claude Monet, Gustav Klimt" in capsys.readouterr().err
    assert ev.main(["--data", str(paintings), "--artist", "monet", "--model", str(tmp_path / "nope")]) == 2
    with pytest.raises(SystemExit):
        ev.main(["--data", str(paintings), "--model", lab])  # colorize needs --artist
    for bad, message in (
        (["--limit", "0"], "argument --limit: must be at least 1, got 0"),
        (["--limit", "-3"], "argument --limit: must be at least 1, got -3"),
        (["--tune-percent", "100"], "argument --tune-percent: must be at least 0 and below 100, got 100"),
    ):
        with pytest.raises(SystemExit):  # not a traceback, nor all but the last 3 paintings scored
            ev.main(["--data", str(paintings), "--artist", "monet", "--model", lab, *bad])
        assert message in capsys.readouterr().err
    (tmp_path / "a-file").write_text("")
    with pytest.raises(SystemExit):  # refused before the scoring, not at its end
        ev.main(["--data", str(paintings), "--artist", "monet", "--model", lab, "--figure", str(tmp_path / "a-file" / "fig.png")])
    assert "a-file is a file, not a folder" in capsys.readouterr().err
    assert ev.main(["--all", "--weights", str(tmp_path / "nothing-here"), "--paintings", str(paintings)]) == 2
    assert "--all: no model folders" in capsys.readouterr().err


def test_two_models_whose_folders_share_a_name_get_a_row_each(paintings, tmp_path, capsys):
    first = tiny(tmp_path / "old" / "monet-lab", artist="Claude Monet")
    second = tiny(tmp_path / "new" / "monet-lab", artist="Claude Monet")
    assert ev.main(["--data", str(paintings), "--artist", "monet", "--model", first, "--model", second]) == 0
    out = capsys.readouterr().out
    assert f"| {first}: Claude Monet colorization (Lab) |" in out and f"| {second}: Claude Monet colorization (Lab) |" in out


def test_the_tune_judge_scores_a_model_as_the_tune_table_does(paintings, tmp_path, capsys):
    lab = tiny(tmp_path / "monet-lab", artist="Claude Monet")
    assert ev.main(["--data", str(paintings), "--artist", "monet", "--model", lab, "--tune-percent", "50"]) == 0
    rows = {r.split("|")[1].strip(): r.split("|") for r in capsys.readouterr().out.splitlines() if r.startswith("| ")}
    printed = rows["monet-lab: Claude Monet colorization (Lab)"]
    key, scores = scoring.tune_judge(paintings, ["monet"], 50)(load_generator(lab))
    assert f"{scores['psnr_db']:.2f}" == printed[2].strip() and f"{scores['ciede2000']:.2f}" == printed[3].strip()
    assert (
        f"{scores['colourfulness_ratio']:.3f}" == printed[5].strip() and f"{scores['palette_distance']:.3f}" == printed[6].strip()
    )
    assert key == [-scores["targets_met"], scores["palette_distance"]] and 0 <= scores["targets_met"] <= 3
    with pytest.raises(DataError, match="tune split"):
        scoring.tune_judge(paintings, ["monet"], 1)


def row(ciede: float, fake: float, hist_fake: np.ndarray, real: float = 10.0, n: int = 30,
        kind: str = "paintings") -> scoring.Row:
    r = scoring.Row("r", kind=kind)
    for _ in range(n):
        r.add(ciede2000=ciede, colourful_fake=fake, colourful_real=real)
        r.seconds.append(0.01)
    r.hist_fake, r.hist_real = hist_fake, np.eye(4)
    return r


def test_the_targets_judge_colour_by_palette_with_the_colour_error_as_a_guard():
    same, near, far = np.eye(4), np.eye(4) + 0.05, np.ones((4, 4))
    gray = row(10.0, 0.0, far)
    assert scoring.targets_met(row(12.0, 9.0, same), gray) == 3  # colourful, the real palette, error within 1.25 x gray's
    assert scoring.missed_targets(row(12.6, 9.0, same), gray) == ["CIEDE2000 near gray's"]
    assert scoring.missed_targets(row(12.6, 9.0, same, kind="photos"), gray) == ["CIEDE2000 near gray's"]  # photos: 1.15 x
    assert scoring.missed_targets(row(11.4, 9.0, same, kind="photos"), gray) == []
    assert scoring.missed_targets(row(9.0, 4.0, same), gray) == ["colourfulness 0.8-1.2"]  # greyish
    assert scoring.missed_targets(row(9.0, 13.0, same), gray) == ["colourfulness 0.8-1.2"]  # garish
    assert scoring.missed_targets(row(9.0, 10.0, far), gray) == ["palette distance"]
    assert 0.05 < scoring.palette_of(row(9.0, 10.0, near)) < 0.08
    assert scoring.missed_targets(row(9.0, 10.0, near), gray) == ["palette distance"]  # at most 0.05 with 25 images or more
    assert scoring.missed_targets(row(9.0, 10.0, near, n=20), gray) == []  # 0.08 where fewer are held out
    assert scoring.targets_cell(row(9.0, 4.0, far), gray) == "1 of 3 (missed: colourfulness 0.8-1.2, palette distance)"


def test_an_outside_set_is_scored_whole_as_paintings_or_as_photos(paintings, photos, tmp_path, capsys):
    """An outside acceptance set: any folder tree, every colour image scored (none held back), with the hint sweep."""
    outside = tmp_path / "outside"
    (outside / "deeper").mkdir(parents=True)
    for i, name in enumerate(["chelsea.png", "coffee.png", "rocket.jpg", "astronaut.jpg", "camera.png"]):
        Image.open(photos / name).convert("RGB").resize((64, 48)).save(outside / ("deeper" if i % 2 else ".") / f"{i}.png")
    lab = tiny(tmp_path / "monet-lab", artist="Claude Monet")
    assert ev.main(["--artist", "Claude Monet", "--images", str(outside), "--model", lab, "--hints", "0,10"]) == 0
    out = capsys.readouterr().out
    rows = [r.split("|")[1].strip() for r in out.split("\n\n")[1].splitlines()[2:]]
    assert f"### Claude Monet: 4 paintings below {outside} (1 colourless left out)" in out  # camera.png has no colour
    assert rows == ["baseline: gray (a*b* = 0)", "monet-lab: Claude Monet colorization (Lab)"]  # no training data given
    assert "by number of colour hints, on the same paintings below" in out and "| monet-lab | " in out
    assert ev.main(["--data", str(paintings), "--artist", "monet", "--images", str(outside), "--model", lab]) == 0
    out = capsys.readouterr().out
    assert "### Claude Monet: 4 paintings below" in out and "| baseline: the artist's mean a*b* |" in out
    photo = tiny(tmp_path / "photo-lab", artist="photos")
    assert ev.main(["--artist", "photos", "--images", str(outside), "--model", photo]) == 0
    assert "### photos: 4 photos below" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        ev.main(["--artist", "monet", "--images", str(outside), "--model", lab, "--write"])
    assert "--images scores given colorizers on an outside set: not with" in capsys.readouterr().err
    assert ev.main(["--artist", "monet", "--images", str(tmp_path / "nowhere"), "--model", lab]) == 2
    assert "dataset folder not found" in capsys.readouterr().err
    (outside / "deeper" / "cut-off.jpg").write_bytes((photos / "rocket.jpg").read_bytes()[:150])
    assert ev.main(["--artist", "monet", "--images", str(outside), "--model", lab]) == 2  # not scored without it
    assert f"error: {outside / 'deeper' / 'cut-off.jpg'}: the image data is corrupt or truncated" in capsys.readouterr().err


def test_scoring_without_the_images_it_needs_says_which_folder_to_give():
    with pytest.raises(DataError, match="give --data"):
        ev.scored_rows(None, "Claude Monet", {}, None, 0, None, None)
    with pytest.raises(DataError, match="give --photos"):
        ev.scored_rows(None, ev.PHOTO_ARTIST, {}, None, 0, None, None)
