"""The trained models in weights/: what a fresh clone ships and the app loads (each model is loaded once)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import safetensors.torch
import torch
from PIL import Image
from skimage.color import rgb2lab

import app
from bench.appserver import ROOT
from pix2pix.card import model_card
from pix2pix.training.data import read_pair
from pix2pix.training.metrics import colourfulness
from pix2pix.training.scoring import model_methods
from pix2pix.infer import Translator
from pix2pix.registry import Registry
from pix2pix.transfer import ColourTransfer
from helpers import strength_by_the_rule

WEIGHTS = ROOT / "weights"
ARTISTS = ["Andy Warhol", "Claude Monet", "Kazimir Malevich", "Pablo Picasso", "Salvador Dali", "Titian"]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(WEIGHTS, hub_repos=[])


def noprogress(*args, **kwargs):
    return None


def test_every_shipped_model_is_trained_evaluated_and_small(registry):
    assert registry.artists() == ["photos", *ARTISTS]
    assert registry.find_maps("AtoB") and registry.find_maps("BtoA") and registry.find_colorizer("Titian", "rgb")
    assert all(e.trained and e.config["train_info"]["heldout"] for e in registry.entries.values())
    sizes = [p.stat().st_size for p in WEIGHTS.glob("*/model.safetensors")]
    assert len(sizes) == 10 and max(sizes) <= 50e6 and sum(p.stat().st_size for p in WEIGHTS.rglob("*") if p.is_file()) <= 300e6
    about = app.Studio(registry).about()
    assert "untrained" not in about and "held-out" in about
    for e in registry.of_task("colorize"):  # which targets each colorizer meets, Markdown-escaped (a*b* is no emphasis)
        assert f"targets {e.config['train_info']['heldout']['targets']}".replace("*", "\\*") in about
    for e in registry.entries.values():  # a fine-tuned model names each run it started from, in About and its card
        info = e.config["train_info"]
        if kept := info.get("kept_epoch"):  # a run that kept its best epoch says which, in About and its card
            assert f"{info['schedule']} (epoch {kept} kept: the best on the tune paintings)" in about
            assert f"epoch {kept} of {info['epochs']}, the one that scored best" in (e.path / "README.md").read_text()
        if start := info.get("fine_tuned_from"):
            line = next(line for line in about.splitlines() if f"(`{e.name}`)" in line)
            assert "fine-tuned with" in (e.path / "README.md").read_text()
        while start:  # with the paintings it learnt from where they were not this model's (the six-artist stage)
            data = f" ({start['data']}, {start['train_images']} images)" if start["data"] != info["data"] else ""
            assert f"fine-tuned from a run{data} of {start['schedule']}" in line, line
            start = start.get("fine_tuned_from")
    a2m = registry.find_maps("AtoB")  # its palette snap was fitted on training pairs: About and the card say so
    snap = a2m.config["train_info"]["snap_calibration"]
    assert f"palette snap fitted on {snap['tiles']} training pairs" in about and len(a2m.config["palette_bias"]) == len(
        a2m.config["palette"]
    )
    assert "bias and a" in (a2m.path / "README.md").read_text()
    infos = [
        c["props"].get("info")
        for c in app.build_app(registry).config["components"]
        if c["props"].get("label", "").startswith("Draw in the map palette")
    ]
    assert infos == [
        f"Draws every pixel in one of the {len(a2m.config['palette'])} flat colours learnt from the training maps"
        " (close calls settled as fitted on training maps): map-like colours."
    ]  # the Maps tab counts the shipped palette


def test_shipped_weights_are_fp16_on_disk_and_fp32_once_loaded(registry):
    entry = registry.find_maps("AtoB")
    stored = safetensors.torch.load_file(entry.path / "model.safetensors")
    assert stored["down.1.1.weight"].dtype == torch.float16 and stored["down.1.2.running_var"].dtype == torch.float32
    model = Translator.load(entry.path).model
    assert all(p.dtype == torch.float32 for p in model.parameters())
    torch.testing.assert_close(model.state_dict()["down.1.1.weight"], stored["down.1.1.weight"].float())


@pytest.mark.parametrize("artist,space", [(a, "lab") for a in ["photos", *ARTISTS]] + [("Titian", "rgb")])
def test_each_colorizer_turns_a_real_photo_into_colour_at_its_size(registry, photos, artist, space):
    studio = app.Studio(registry)
    orig, gray, gen, slider, png, msg = studio.colorize(str(photos / "chelsea.png"), artist, space, progress=noprogress)
    assert gen.size == orig.size == (451, 300) and registry.find_colorizer(artist, space).label in msg and "UNTRAINED" not in msg
    assert colourfulness(np.asarray(gray)) < 1 and colourfulness(np.asarray(gen)) > 10


def assert_app_map_is_the_evaluated_map(registry: Registry, aerial: np.ndarray) -> list[np.ndarray]:
    """The aerial -> map result through the app and through the evaluation, raw then snapped: what is measured
    is what users get. Returns the app's results."""
    studio = app.Studio(registry)
    evaluated = model_methods([registry.find_maps("AtoB").path], snap=True)
    results = []
    for snap in (False, True):
        _, gen, *_ = studio.translate_map(aerial, "aerial photo -> map", snap, progress=noprogress)
        method = next(m for name, m in evaluated.items() if name.endswith(" + palette") == snap)
        assert np.array_equal(np.asarray(gen), method(aerial))
        assert gen.size == (aerial.shape[1], aerial.shape[0])
        results.append(np.asarray(gen))
    return results


def test_any_photo_becomes_the_same_map_through_the_app_and_the_evaluation(registry, photos):
    assert_app_map_is_the_evaluated_map(registry, np.asarray(Image.open(photos / "coffee.png").convert("RGB")))


def test_a_val_tile_becomes_a_map_the_same_through_the_app_and_the_evaluation(registry, maps_val):
    aerial, real_map = read_pair(maps_val / "1.jpg")
    pal = np.array(registry.find_maps("AtoB").config["palette"])

    def near_palette(rgb: np.ndarray) -> float:
        return float((np.sqrt(((rgb[..., None, :].astype(float) - pal) ** 2).sum(-1)).min(-1) < 20).mean())

    for gen in assert_app_map_is_the_evaluated_map(registry, aerial):
        assert gen.shape[:2] == (600, 600) and near_palette(gen) > 0.9 > 0.1 > near_palette(aerial)
    _, photo, *_ = app.Studio(registry).translate_map(real_map, "map -> aerial photo", progress=noprogress)
    assert photo.size == (600, 600) and near_palette(np.asarray(photo)) < 0.5


def test_every_config_records_its_held_out_scores():
    """The numbers the About tab and the model cards show, written by pix2pix.training.evaluate --write."""
    for cfg in WEIGHTS.glob("*/config.json"):
        held = json.loads(cfg.read_text())["train_info"]["heldout"]
        assert "split" in held and ("ciede2000" in held or "accuracy_delta5" in held), cfg
        assert "accuracy_delta5" in held or held["targets"].endswith(" of 3") or "(missed: " in held["targets"], cfg


def test_the_artist_menu_opens_on_natural_colours(registry):
    assert registry.best_artist() == registry.artists()[0] == "photos"
    assert app.artist_label("photos") == "Natural colours (photo)"


@pytest.mark.parametrize("name", sorted(p.name for p in WEIGHTS.iterdir() if (p / "config.json").is_file()))
def test_each_shipped_card_is_what_its_config_says(name):
    """A card is written from its config (by training and `evaluate --write`): the committed one must not
    fall behind a change to either."""
    folder = WEIGHTS / name
    assert (folder / "README.md").read_text(encoding="utf-8") == model_card(json.loads((folder / "config.json").read_text()))


def test_the_menus_offer_only_models_that_exist_and_the_api_refuses_others(registry, photos):
    studio = app.Studio(registry)
    assert studio.spaces_of("Titian") == ["lab", "rgb"] and studio.spaces_of("Claude Monet") == ["lab"]
    menu = studio.space_menu("Claude Monet", "rgb")  # RGB was chosen for Titian: Monet has none, so Lab it is
    assert [key for _, key in menu["choices"]] == ["lab"] and menu["value"] == "lab"
    assert studio.space_menu("Titian", "rgb")["value"] == "rgb"
    with pytest.raises(app.gr.Error, match="Claude Monet has no RGB model \\(it has lab\\)"):
        studio.colorize(str(photos / "chelsea.png"), "Claude Monet", "rgb", progress=noprogress)
    assert app.snap_option("map -> aerial photo")["visible"] is False and app.snap_option("aerial photo -> map")["visible"]


def test_the_about_tab_opens_on_each_model_in_words_with_the_record_folded_below(registry):
    about = app.Studio(registry).about()
    head, _, record = about.partition("<details>")
    lines = [line for line in head.splitlines() if line.startswith("- ")]
    assert len(lines) == len(registry.entries) and lines[0].startswith("- **Natural colours (Lab)** colours a photo")
    assert "fine-tuned from" not in head and "accuracy_delta5" not in head and "ssim" not in head  # no lineage, no raw keys
    assert "colour targets met" in lines[1] and "of the pixels within 5 levels" in lines[-1]
    assert all("; painting every pixel the " in line for line in lines[-2:])  # each maps model beside its constant colour
    folded, _, rest = record.partition("</details>")
    assert "fine-tuned from a run" in folded and "## How they are made" in rest


def test_the_painters_whose_transfer_won_paint_through_it_and_say_what_it_was_fitted_on(registry):
    """The painters whose palettes a colour transfer brought closer (docs/evaluation.md) carry it and say so in their
    card and the About tab: Monet's and Titian's fitted on their paintings (within the palette bound held out with
    it), Warhol's on what his model paints on photos, at the strength that won on the tune paintings."""
    about = app.Studio(registry).about()
    for artist in ("Claude Monet", "Titian", "Andy Warhol"):
        entry = registry.find_colorizer(artist, "lab")
        transfer = ColourTransfer.from_config(entry.config["colour_transfer"])
        assert 0 < transfer.strength <= 1 and entry.config["train_info"]["colour_transfer"]["strength"] == transfer.strength
        assert "colour transfer onto the painter's palette" in (entry.path / "README.md").read_text()
        assert f"mapped onto {artist}'s palette" in about
    for artist, bound in (("Claude Monet", 0.05), ("Titian", 0.08)):
        assert registry.find_colorizer(artist, "lab").heldout["palette_distance"] <= bound
    warhol = registry.find_colorizer("Andy Warhol", "lab")
    facts = warhol.config["train_info"]["colour_transfer"]
    scores = facts["tune_scores_by_strength"]
    assert facts["from_photos"] and facts["strength"] == strength_by_the_rule(scores)
    assert scores[f"{facts['strength']:g}"]["palette_distance"] < scores["0"]["palette_distance"]  # closer than without
    assert "fitted from what it paints on training photos (what users give it)" in (warhol.path / "README.md").read_text()
    assert "a colour transfer fitted from its colours on photos" in about
    assert not any(registry.find_colorizer(a, "lab").config["train_info"]["colour_transfer"].get("from_photos")
                   for a in ("Claude Monet", "Titian"))
    assert all(not registry.find_colorizer(a, "lab").config.get("colour_transfer")
               for a in ("Pablo Picasso", "Salvador Dali", "Kazimir Malevich"))  # it lost or was not chosen


def test_every_lab_colorizer_takes_colour_hints_and_its_sweep_is_recorded(registry, photos):
    """One model per painter: each Lab colorizer reads hints (in its network, or through a hint adapter beside it), its
    card says so, its sweep is in its config, and a hint moves the colour where it is put."""
    about = app.Studio(registry).about()
    adapted = {"Pablo Picasso", "Kazimir Malevich"}  # their own networks gained least from hints (docs/hints.md)
    for artist in ["photos", *ARTISTS]:
        entry = registry.find_colorizer(artist, "lab")
        sweep, card = entry.heldout["hint_sweep"], (entry.path / "README.md").read_text()
        assert set(sweep["psnr_db"]) >= {"0", "10", "100"} and f"{sweep['gain_db']['10']:+.1f} dB PSNR with 10 of them" in about
        if artist in adapted:
            assert entry.config["hint_adapter"]["image_size"] == 128 and "a hint adapter stored with it" in card
            assert sweep["gain_db"]["10"] >= 2.5 and sweep["gain_db"]["100"] >= 5
        else:
            assert entry.config["in_channels"] == 4 and "It takes colour hints" in card and not entry.config.get("hint_adapter")
        # a hint model is held to the automatic model it started from; Picasso's network takes none: it is that model
        assert ("automatic_model" in sweep) == (artist != "Pablo Picasso")
    assert registry.find_colorizer("Pablo Picasso", "lab").config["in_channels"] == 1
    translator = registry.translator(registry.find_colorizer("photos", "lab"))
    cat = np.asarray(Image.open(photos / "chelsea.png").convert("RGB"))
    blue = np.asarray(translator(cat, hints=[(x, 150, "#3b8fe0", 3) for x in range(150, 300, 12)]).generated)
    plain = np.asarray(translator(cat).generated)
    assert rgb2lab(blue[140:160, 180:270])[..., 2].mean() < rgb2lab(plain[140:160, 180:270])[..., 2].mean() - 15
