"""A colorizer's colour transfer: fitted onto a palette, partial by its strength, exactly undone for hints, carried in
the model's config, applied by `Translator`, dropped when a model is fine-tuned, and fitted by its command."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from pix2pix import infer
from pix2pix.color import AB_SCALE, cv_rgb_to_lab
from pix2pix.hub import Pix2PixGenerator, load_generator
from pix2pix.infer import Translator
from pix2pix.training.config import TrainConfig
from pix2pix.training.hues import AB_BINS, AB_RANGE, palette_distance
from pix2pix.training.setup import fine_tuned
from pix2pix.transfer import ColourTransfer
from helpers import strength_by_the_rule
from tests.test_hints import ab_of

rng = np.random.default_rng(0)
PAINTED = rng.normal([5, 10], [8, 12], (20000, 2))  # a model's colours: one greyish, warm blob
REAL = np.concatenate([rng.normal([25, 30], [15, 10], (10000, 2)), rng.normal([-10, -25], [6, 6], (10000, 2))])


def histogram(ab: np.ndarray) -> np.ndarray:
    """The palette measure's a*b* histogram (`training.hues`), of colours given directly."""
    return np.histogram2d(ab[:, 0], ab[:, 1], bins=AB_BINS, range=[[-AB_RANGE, AB_RANGE]] * 2)[0]


def gap(ab: np.ndarray) -> float:
    return palette_distance(histogram(ab), histogram(REAL))


def test_a_fitted_transfer_paints_the_colours_of_the_palette_it_was_fitted_to():
    t = ColourTransfer.fit(PAINTED, REAL)
    fresh = rng.normal([5, 10], [8, 12], (20000, 2))  # colours of the same model it did not see
    assert gap(PAINTED) > 0.4 and gap(t(fresh)) < 0.02  # two modes made of one


def test_strength_takes_the_map_part_of_the_way_and_zero_changes_nothing():
    t = ColourTransfer.fit(PAINTED, REAL)
    assert np.allclose(t.with_strength(0.0)(PAINTED), PAINTED)
    gaps = [gap(t.with_strength(s)(PAINTED)) for s in (0.0, 0.5, 1.0)]
    assert gaps[0] > gaps[1] > gaps[2]


@pytest.mark.parametrize("strength", [1.0, 0.6])
def test_the_inverse_undoes_the_map_even_for_colours_far_outside_what_it_was_fitted_on(strength):
    t = ColourTransfer.fit(PAINTED, REAL, strength=strength)
    wanted = rng.uniform(-127, 127, (5000, 2))
    assert np.abs(t(t.inverse(wanted)) - wanted).max() < 1e-6


def test_the_table_the_network_colours_go_through_agrees_with_the_map():
    warmer = rng.normal([15, 20], [14, 16], (20000, 2))  # a map as gentle as the painters' (two modes are steeper)
    t = ColourTransfer.fit(PAINTED, warmer, strength=0.75)
    ab = torch.from_numpy(rng.normal([5, 10], [8, 12], (64 * 64, 2)).T.reshape(1, 2, 64, 64)).float()
    exact = t(ab[0].reshape(2, -1).T.double().numpy()).T.reshape(1, 2, 64, 64)
    error = np.abs(t.planes(ab).numpy() - exact)
    assert error.mean() < 0.1 and np.quantile(error, 0.99) < 1  # a*b* units; 2.3 is a just-noticeable difference


def test_a_transfer_survives_its_trip_through_config_json():
    t = ColourTransfer.fit(PAINTED, REAL, strength=0.75)
    again = ColourTransfer.from_config(json.loads(json.dumps(t.to_config())))
    wanted = rng.uniform(-100, 100, (5000, 2))
    assert again.strength == 0.75 and np.abs(again(wanted) - t(wanted)).max() < 0.1
    assert np.abs(again(again.inverse(wanted)) - wanted).max() < 1e-6


def shift(da: float) -> ColourTransfer:
    """A transfer that moves every colour by `da` along a*, and nothing else (each step's quantiles shifted)."""
    levels = np.linspace(-150, 150, 101)
    angles = np.zeros(1)
    source = np.stack([levels, levels])[None]
    return ColourTransfer(angles, source, source + np.array([[da], [0.0]]))


def hint_model(transfer: ColourTransfer | None) -> Pix2PixGenerator:
    torch.manual_seed(0)
    return Pix2PixGenerator(4, 2, ngf=8, depth=5, task="colorize", space="lab", image_size=32, artist="Claude Monet",
                            colour_transfer=transfer.to_config() if transfer else None).eval()  # fmt: skip


def network_input(t: Translator, photo: np.ndarray, hints: list) -> torch.Tensor:
    """What the network of `t` is given for `photo` with `hints` (its second run: the first paints without them)."""
    given, net = [], t.net
    t.net = lambda x: given.append(x.clone()) or net(x)
    t(photo, hints=hints)
    return given[-1]


def test_translator_paints_through_the_transfer_and_hints_come_out_in_the_colour_given(monkeypatch):
    monkeypatch.setattr(infer, "MOST", 1e9)  # the network asked for the hint's own colour, however far
    photo = (rng.random((48, 64, 3)) * 255).astype(np.uint8)
    plain, mapped = Translator(hint_model(None)), Translator(hint_model(shift(20.0)))
    a_plain, a_mapped = plain(photo).lab[:, 1], mapped(photo).lab[:, 1]
    assert torch.allclose(a_mapped, a_plain + 20, atol=0.05)  # the whole picture moved along a*, as the map says
    given = {name: network_input(t, photo, [(10, 10, "#e02020")]) for name, t in (("plain", plain), ("mapped", mapped))}
    hinted = given["mapped"][0, 3] > 0
    assert hinted.any() and torch.equal(given["mapped"][0, 2:], given["plain"][0, 2:])  # b* and the mask as given
    # the network is asked for 20 units less a*, so that after the map the hint has the colour the user gave
    assert torch.allclose(given["mapped"][0, 1, hinted] * AB_SCALE, given["plain"][0, 1, hinted] * AB_SCALE - 20, atol=0.05)
    red = mapped(photo, hints=[(10, 10, "#e02020", 4)]).lab[0, 1:, 10, 10]
    assert torch.allclose(red, torch.tensor(ab_of("#e02020")), atol=1.5)


def test_a_transfer_is_saved_with_the_model_and_dropped_by_a_fine_tune(tmp_path):
    hint_model(shift(20.0)).save(tmp_path / "m")
    loaded = load_generator(tmp_path / "m")
    assert ColourTransfer.from_config(loaded.colour_transfer)(np.zeros((1, 2)))[0, 0] == pytest.approx(20)
    cfg = TrainConfig(task="colorize", space="lab", init=str(tmp_path / "m"), hints=True, image_size=32)
    G = fine_tuned(cfg, SimpleNamespace(artists=["Titian"]), 1.0)
    assert G.colour_transfer is None and G.config["colour_transfer"] is None and G.artist == "Titian"


def test_the_command_fits_a_transfer_and_keeps_the_strength_that_scores_best_on_the_tune_paintings(paintings, tmp_path,
                                                                                                  capsys):
    from pix2pix.training import fit_transfer

    model = tmp_path / "monet-lab"
    hint_model(None).save(model)
    assert fit_transfer.main([str(model), "--data", str(paintings), "--tune-percent", "50", "--write"]) == 0
    out = capsys.readouterr().out
    assert "| strength | PSNR dB | CIEDE2000 | colourfulness ratio | palette distance | targets met |" in out
    assert "chosen: strength" in out
    config = json.loads((model / "config.json").read_text())
    facts = config["train_info"]["colour_transfer"]
    scores = facts["tune_scores_by_strength"]
    assert list(scores) == [f"{0.05 * k:.2f}".rstrip("0").rstrip(".") for k in range(21)]  # 0, 0.05, ..., 1
    assert facts["strength"] == strength_by_the_rule(scores)
    if facts["strength"]:
        assert ColourTransfer.from_config(config["colour_transfer"]).strength == facts["strength"]
        assert "colour transfer onto the painter's palette" in (model / "README.md").read_text()
    else:
        assert config["colour_transfer"] is None
    assert load_generator(model).artist == "Claude Monet"  # the config still loads


def test_the_command_refuses_a_model_that_is_not_a_painters_lab_colorizer(paintings, tmp_path, capsys):
    from pix2pix.training import fit_transfer

    Pix2PixGenerator(3, 3, ngf=8, depth=5, task="maps", direction="AtoB", image_size=64).save(tmp_path / "maps")
    assert fit_transfer.main([str(tmp_path / "maps"), "--data", str(paintings)]) == 2
    assert "not a Lab colorizer of a painter or of photos" in capsys.readouterr().err


def photo_tree(photos: Path, root: Path) -> Path:
    """A staged photo tree (train/ and heldout/, as stage_photos.py writes it) of small views of the test photos."""
    tree = root / "photos"
    for split in ("train", "heldout"):
        (tree / split).mkdir(parents=True)
    for i, name in enumerate(sorted(p for p in photos.iterdir() if p.suffix in (".png", ".jpg"))):
        for k, size in enumerate(((64, 48), (48, 64))):  # two views of each photo, so both splits have several
            Image.open(name).convert("RGB").resize(size).save(tree / "train" / f"{i}-{k}.png")
    Image.open(photos / "coffee.png").convert("RGB").resize((64, 48)).save(tree / "heldout" / "0.png")
    return tree


def test_a_painters_map_fitted_on_photos_takes_what_it_paints_on_photos_into_the_paintings_colours(photos):
    from pix2pix.training.fit_transfer import fit_unpaired, sampled_ab, without_transfer

    G = hint_model(None)
    views = [np.asarray(Image.open(p).convert("RGB").resize((48, 48))) for p in sorted(photos.glob("*.png"))]
    paintings = [np.clip(v * [1.3, 0.6, 0.4], 0, 255).astype(np.uint8) for v in views]  # warm, orange "paintings"
    transfer = fit_unpaired(G, views, paintings)
    painted = np.concatenate([sampled_ab(without_transfer(G)(v).lab, rng) for v in views])
    real = np.concatenate([sampled_ab(cv_rgb_to_lab(infer.to_tensor(p)), rng) for p in paintings])
    before = palette_distance(histogram(painted), histogram(real))
    assert palette_distance(histogram(transfer(painted)), histogram(real)) < before / 3


def test_the_command_fits_a_painters_map_on_photos_when_asked_and_says_so_in_the_card(paintings, photos, tmp_path, capsys):
    from pix2pix.training import fit_transfer

    model, tree = tmp_path / "monet-lab", photo_tree(photos, tmp_path)
    hint_model(None).save(model)
    base = [str(model), "--data", str(paintings), "--tune-percent", "50", "--from-photos"]
    assert fit_transfer.main(base) == 2 and "give --photos" in capsys.readouterr().err
    assert fit_transfer.main([*base, "--photos", str(tree), "--write"]) == 0
    assert "its colours on 10 training photos, onto those of" in capsys.readouterr().out
    config = json.loads((model / "config.json").read_text())
    assert config["train_info"]["colour_transfer"]["from_photos"] is True
    if config["colour_transfer"]:  # a map was chosen: the card says what it was fitted on
        assert "fitted from what it paints on training photos (what users give it)" in (model / "README.md").read_text()


def test_the_natural_colour_model_is_fitted_on_training_photos_and_judged_on_others(photos, tmp_path, capsys):
    from pix2pix.card import PHOTO_ARTIST
    from pix2pix.training import fit_transfer

    tree = photo_tree(photos, tmp_path)
    model = tmp_path / "photo-lab"
    torch.manual_seed(0)
    Pix2PixGenerator(4, 2, ngf=8, depth=5, task="colorize", space="lab", image_size=32, artist=PHOTO_ARTIST).save(model)
    assert fit_transfer.main([str(model)]) == 2 and "give --photos" in capsys.readouterr().err
    assert fit_transfer.main([str(model), "--photos", str(tree), "--from-photos"]) == 2
    assert "is for a painter's model" in capsys.readouterr().err
    assert fit_transfer.main([str(model), "--photos", str(tree), "--tune-percent", "40", "--write"]) == 0
    out = capsys.readouterr().out
    assert "training photos" in out and "other training photos" in out
    facts = json.loads((model / "config.json").read_text())["train_info"]["colour_transfer"]
    assert facts["fitted_on"].endswith("training photos, 3000 pixels each") and "the model trained on all" in facts[
        "strength_chosen_on"]
    automatic = tmp_path / "photo-lab-automatic"  # the automatic model a hint model started from
    Pix2PixGenerator(1, 2, ngf=8, depth=5, task="colorize", space="lab", image_size=32, artist=PHOTO_ARTIST).save(automatic)
    args = [str(model), "--photos", str(tree), "--tune-percent", "40", "--automatic", str(automatic), "--write"]
    assert fit_transfer.main(args) == 0
    assert "as good as the automatic model without hints: " in capsys.readouterr().out
    facts = json.loads((model / "config.json").read_text())["train_info"]["colour_transfer"]
    assert facts["automatic_model"]["model"] == str(automatic) and "psnr_db" in facts["automatic_model"]
    assert all(isinstance(s["keeps_automatic"], bool) for s in facts["tune_scores_by_strength"].values())


@pytest.mark.parametrize("damage, message", [
    (lambda c: c.pop("source"), "needs angles, source, target"),
    (lambda c: c.update(strength="strong"), "needs angles, source, target"),
    (lambda c: c.update(strength=3), "strength must be from 0 to 1"),
    (lambda c: c.update(target=[c["target"][0][:1]]), r"must both be \(1, 2, levels\)"),
    (lambda c: c.update(source=[[1.0, 2.0]], target=[[1.0, 2.0]]), r"must both be \(1, 2, levels\), got \(1, 2\)"),
    (lambda c: c["source"][0][0].reverse(), "quantiles must increase"),
])  # fmt: skip
def test_a_damaged_transfer_in_config_json_is_refused_by_name_when_the_model_loads(tmp_path, damage, message):
    from pix2pix.hub import ModelError

    hint_model(shift(20.0)).save(tmp_path / "m")
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    damage(config["colour_transfer"])
    (tmp_path / "m" / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="its colour_transfer cannot be used: .*" + message):
        load_generator(tmp_path / "m")


def test_given_the_automatic_model_only_a_strength_as_good_as_it_without_hints_is_chosen():
    from pix2pix.training.fit_transfer import choose

    def judge(G: Pix2PixGenerator) -> tuple[list[float], dict]:  # more transfer: a closer palette, more colour, less PSNR
        s = ColourTransfer.from_config(G.colour_transfer).strength if G.colour_transfer else 0.0
        scores = {"psnr_db": 23.0 - s, "ciede2000": 10.0 + s, "colourfulness_ratio": 0.8 + 0.2 * s,
                  "palette_distance": 0.06 - 0.03 * s, "targets_met": 3}
        return [-3, scores["palette_distance"]], scores

    G, transfer = hint_model(None), shift(10.0)
    assert choose(G, transfer, judge)[0] == 1.0  # the closest palette, unconstrained
    automatic = {"psnr_db": 22.77, "ciede2000": 10.23, "colourfulness_ratio": 0.875}  # no map at all is too grey
    strength, scores = choose(G, transfer, judge, automatic)
    kept = ["0.15", "0.2", "0.25", "0.3", "0.35", "0.4", "0.45", "0.5"]  # colour within 0.05 and error within 0.3 of it
    assert [k for k, s in scores.items() if s["keeps_automatic"]] == kept and strength == 0.5
    assert choose(G, transfer, judge, {"psnr_db": 30.0, "ciede2000": 1.0, "colourfulness_ratio": 0.5})[0] == 1.0  # none can
