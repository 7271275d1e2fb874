"""Colour hints: how users give them, how training simulates them, how a model is widened to take them, and the
sweep that scores them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from pix2pix.color import AB_SCALE, cv_rgb_to_lab
from pix2pix.hints import (MAX_HINTS, HintError, hint_planes, layer_points, point_planes, rescaled, shrink,
                           sampled_hints, simulated_hints, stroke_layer)  # fmt: skip
from pix2pix.hub import Pix2PixGenerator, load_generator
from pix2pix.infer import Translator
from pix2pix.spread import MOST
from pix2pix.training.config import ConfigError
from pix2pix.training.setup import with_hint_channels
from pix2pix.training.sweep import missed, sweep, sweep_table
from pix2pix.training.trainer import Trainer, train
from pix2pix.transfer import ColourTransfer
from tests.test_train import crash_after_epoch, tiny

RED = "#e02020"


def lab_model(**kw) -> Pix2PixGenerator:
    torch.manual_seed(0)
    return Pix2PixGenerator(1, 2, ngf=8, depth=5, task="colorize", space="lab", image_size=32, **kw).eval()


def ab_of(hex_colour: str) -> np.ndarray:
    rgb = torch.tensor([[int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]], dtype=torch.float32).view(1, 3, 1, 1) / 255
    return cv_rgb_to_lab(rgb)[0, 1:, 0, 0].numpy()


def test_a_point_becomes_a_square_of_its_colour_and_never_vanishes_when_shrunk():
    ab, mask = point_planes([(10, 20, RED), (50, 40, "#2040e0", 4)], source=(60, 80), size=(60, 80))
    assert mask[0, 19:22, 9:12].all() and mask.sum() == 9 + 81  # default radius 1: 3x3; radius 4: 9x9
    assert np.allclose(ab[:, 20, 10].numpy(), ab_of(RED), atol=0.5)
    small_ab, small = shrink(ab, mask, (8, 8))  # 80x60 px down to the network's 8x8: each hint still one pixel or more
    assert small.shape == (1, 8, 8) and small.sum() >= 2 and set(small.unique().tolist()) <= {0.0, 1.0}
    assert small_ab.shape == (2, 8, 8) and small_ab[:, small[0] == 0].abs().sum() == 0
    assert np.allclose(small_ab[:, 2, 1].numpy(), ab_of(RED), atol=0.5)  # (10, 20) of 80x60 -> (1, 2) of 8x8


def test_a_layer_gives_its_opaque_pixels_as_points_of_their_colour_and_must_fit_the_image():
    layer = np.zeros((320, 480, 4), np.uint8)
    layer[100:112, 40:280] = (224, 32, 32, 255)  # a stroke 240 px long, 12 px wide
    layer[200, 200] = (0, 255, 0, 60)  # nearly transparent: not a hint
    points = layer_points(layer)
    assert 16 <= len(points) <= 34  # one per cell of the 32 x 32 grid the stroke crosses (15 x 10 px cells)
    assert all(40 <= x < 280 and 100 <= y < 112 and c == "#e02020" and r == 2 for x, y, c, r in points)
    xs = sorted(x for x, *_ in points)
    assert max(np.diff(xs)) <= 15  # spread along the whole stroke, no gap wider than a cell
    ab, mask = hint_planes(layer, source=(320, 480), size=(320, 480))
    assert 0 < mask.sum() < 12 * 240 / 2 and np.allclose(ab[:, int(points[0][1]), int(points[0][0])].numpy(), ab_of(RED),
                                                            atol=0.5)  # fmt: skip
    assert hint_planes(Image.fromarray(layer), (320, 480), (320, 480))[1].sum() == mask.sum()
    assert layer_points(np.zeros((8, 8, 4), np.uint8)) == []
    with pytest.raises(HintError, match="must be the image's size, 480x320"):
        hint_planes(layer[:20], (320, 480), (320, 480))
    assert rescaled(layer, (320, 480), (160, 240)).shape == (160, 240, 4)  # the app's brush canvas may differ: resized


def test_a_layer_painted_all_over_is_used_and_a_layer_without_transparency_is_refused():
    """A user who colours in the whole photo gives a point in each of the 1,024 cells: more than the 1,000 a list may
    hold, but a layer cannot hold more, so it is not refused. A layer with no transparency would be all hints."""
    everywhere = np.zeros((64, 64, 4), np.uint8)
    everywhere[...] = (224, 32, 32, 255)
    assert len(layer_points(everywhere)) == 32 * 32 > MAX_HINTS
    ab, mask = hint_planes(everywhere, (64, 64), (64, 64))
    assert mask.sum() == 32 * 32 and np.allclose(ab[:, mask[0] > 0].mean(1).numpy(), ab_of(RED), atol=0.5)
    for flat in (Image.new("RGB", (64, 64), RED), Image.new("L", (64, 64))):  # a drawing saved as JPEG, say
        for use in (lambda layer: hint_planes(layer, (64, 64), (64, 64)), lambda layer: rescaled(layer, (64, 64), (32, 32))):
            with pytest.raises(HintError, match=f"transparency .RGBA.*this {flat.mode} image has none"):
                use(flat)
    cut_out = Image.new("P", (64, 64))
    cut_out.info["transparency"] = 0  # a palette image whose colour 0 is transparent: a layer with no hint
    assert hint_planes(cut_out, (64, 64), (64, 64))[1].sum() == 0


def test_strokes_are_drawn_at_the_layers_scale_in_their_colour_and_bad_ones_refused():
    layer = stroke_layer([(RED, 2, [(10, 40), (70, 40)]), ("#2040e0", 4, [(40, 10)])], source=(60, 80), size=(30, 40))
    assert layer.shape == (30, 40, 4) and layer.dtype == np.uint8
    red, blue = (layer[..., :3] == (0xE0, 0x20, 0x20)).all(-1), (layer[..., :3] == (0x20, 0x40, 0xE0)).all(-1)
    assert red[20, 5:35].all() and not red[:17].any() and not red[24:].any()  # half size: radius 1, 3 px wide
    assert blue[5, 20] and blue.sum() == 13 and (layer[..., 3] == 255).sum() == red.sum() + blue.sum()  # a dot, radius 2
    for bad, message in [(("red", 2, [(1, 1)]), "#rrggbb"), ((RED, float("nan"), [(1, 1)]), "not a number"),
                         ((RED, 2, [(1, float("inf"))]), "not a number"), ((RED, 2, [(1, 1)] * 20_001), "20000")]:  # fmt: skip
        with pytest.raises(HintError, match=message):
            stroke_layer([bad], (60, 80), (60, 80))


@pytest.mark.parametrize("hints, message", [
    ([(80, 10, RED)], r"hint 0 at \(80, 10\) is outside the 80x60 image"),
    ([(1, 1, RED), (1, -1, RED)], r"hint 1 at \(1, -1\) is outside"),
    ([(1, 1, "red")], "must be a string '#rrggbb'"),
    ([(1, 1, "#12345")], "must be a string '#rrggbb'"),
    ([(1, 1)], r"expected \[x, y, '#rrggbb'\]"),
    ([("1", 1, RED)], "x must be a number"),
    ([(True, 1, RED)], "x must be a number"),
    ([(1, float("nan"), RED)], "y must be a number"),
    ([(1, 1, RED, -2)], "radius must be from 0 to 256"),
    ([(1, 1, RED)] * (MAX_HINTS + 1), f"{MAX_HINTS + 1} hints given: at most {MAX_HINTS}"),
    ("[[1, 1, '#ff0000']]", "must be a list"),
])  # fmt: skip
def test_hints_that_cannot_be_used_are_refused_saying_which_and_why(hints, message):
    with pytest.raises(HintError, match=message):
        hint_planes(hints, (60, 80), (60, 80))


def test_points_are_checked_in_the_users_pixels_then_moved_to_the_decoded_image():
    assert rescaled([(np.int64(100), np.float32(50), RED, np.int32(4))], (200, 400), (100, 200)) == [
        (50.0, 25.0, RED, 2.0)]  # NumPy's numbers, as array code hands them over, count as numbers
    assert rescaled([(100, 50, RED, 4)], (200, 400), (100, 200)) == [(50.0, 25.0, RED, 2.0)]
    with pytest.raises(HintError, match="outside the 400x200 image"):
        rescaled([(400, 50, RED)], (200, 400), (100, 200))
    assert rescaled([], (2, 2), (2, 2)) is None and rescaled(None, (2, 2), (2, 2)) is None


def test_training_simulates_users_as_zhang_et_al():
    torch.manual_seed(0)
    ab = torch.rand(1, 2, 64, 64) * 2 - 1
    g = torch.Generator().manual_seed(0)
    counts = []
    for _ in range(400):
        hints = simulated_hints(ab, g)
        assert torch.equal(hints[:, :2] * (1 - hints[:, 2:]), torch.zeros_like(hints[:, :2]))  # colour only under the mask
        counts.append(int(hints[0, 2].sum() > 0))
    assert 0.08 < 1 - np.mean(counts) < 0.18  # one image in eight gets no hint (p = 1/8)
    flat = simulated_hints(torch.ones(8, 2, 64, 64) * 0.3, torch.Generator().manual_seed(3))
    hinted = flat[:, 2:].expand(-1, 2, -1, -1) > 0
    assert hinted.any() and torch.allclose(flat[:, :2][hinted], torch.tensor(0.3))  # each carries its patch's mean


def test_the_sweep_samples_fixed_hints_of_the_patch_mean_around_the_centre():
    rgb = np.zeros((256, 256, 3), np.uint8)
    rgb[:, :128] = (200, 40, 40)
    rgb[:, 128:] = (40, 40, 200)
    a = sampled_hints(rgb, 50, np.random.default_rng(1))
    assert a == sampled_hints(rgb, 50, np.random.default_rng(1)) and len(a) == 50
    assert all(r == 2 for *_, r in a)  # 6 px at 256 px, as the nearest odd square: 5x5
    xs = np.array([x for x, *_ in a])
    assert 64 < xs.mean() < 192 and xs.std() < 100  # around the centre
    inside = [(x, c) for x, y, c, r in a if x + r < 128 or x - r >= 128]  # patches within one half: its own colour
    assert all(c == ("#c82828" if x < 128 else "#2828c8") for x, c in inside)


def test_a_widened_model_colours_exactly_as_before_whatever_the_hints(tmp_path):
    auto = lab_model()
    wide = with_hint_channels(auto).eval()
    assert wide.takes_hints and wide.kind.in_channels == 4 and not auto.takes_hints
    photo = np.asarray(Image.open("tests/data/chelsea.png").convert("RGB"))
    hints = [(100, 100, RED, 8), (300, 200, "#20e020")]
    before = np.asarray(Translator(auto)(photo).generated)
    assert np.array_equal(np.asarray(Translator(wide)(photo).generated), before)
    # its network ignores the hint planes, so with hints it paints what the automatic model paints with them: their
    # colours spread after the network (pix2pix.spread), the only way the automatic model follows hints
    hinted = Translator(auto)(photo, hints=hints)
    assert np.array_equal(np.asarray(Translator(wide)(photo, hints=hints).generated), np.asarray(hinted.generated))
    assert not np.array_equal(np.asarray(hinted.generated), before)
    wide.save(tmp_path / "wide")
    assert load_generator(tmp_path / "wide").takes_hints  # in_channels 4 in its config: it loads as a hint model
    assert hinted.notes == ["this model's network takes no colour hints: their colours were spread from where they "
                            "were given along the photo's structure alone"]


def test_the_translator_hands_the_network_the_hints_where_the_user_put_them():
    wide = with_hint_channels(lab_model())
    seen = []
    translator = Translator(wide)
    translator.net = lambda x: seen.append(x) or torch.zeros(1, 2, 32, 32)
    photo = np.zeros((64, 128, 3), np.uint8) + 128
    result = translator(photo, hints=[(127, 0, RED, 0)])  # top right corner
    alone, x = seen  # first what it paints without hints (gray here), then with them
    assert alone[0, 1:].abs().sum() == 0
    assert x.shape == (1, 4, 32, 32) and x[0, 3].sum() == 1 and x[0, 3, 0, 31] == 1
    # the network is asked at most MOST a*b* units from what it painted alone, towards the hint's colour
    want = ab_of(RED)
    assert np.allclose(x[0, 1:3, 0, 31].numpy() * AB_SCALE, want / np.linalg.norm(want) * MOST, atol=0.5)
    # and the hint's colour is reached after the network, where it was put
    corner = cv_rgb_to_lab(torch.from_numpy(np.asarray(result.generated)[:2, -2:].copy()).permute(2, 0, 1)[None] / 255)
    assert np.allclose(corner[0, 1:].mean((1, 2)).numpy(), want, atol=6)
    seen.clear()
    translator(photo)  # no hints: the network runs once, its three hint channels empty
    assert len(seen) == 1 and seen[0].shape == (1, 4, 32, 32) and seen[0][0, 1:].abs().sum() == 0


def test_hint_fine_tuning_widens_an_automatic_model_records_it_and_narrows_back(paintings, tmp_path):
    base = dict(task="colorize", space="lab", artists=["Claude Monet"], image_size=32, load_size=32, epochs=1, epochs_decay=0)
    train(tiny(paintings, tmp_path / "auto", **base))
    trainer = Trainer(tiny(paintings, tmp_path / "hint", init=str(tmp_path / "auto"), hints=True, **base))
    assert trainer.G.takes_hints and trainer.critic.net.net[0].in_channels == 6  # D sees L, the hints and a*b*
    cond, _ = trainer.G.kind.pair(trainer.images[:2], torch.Generator().manual_seed(0))
    assert cond.shape[1] == 4
    tuned = trainer.fit()
    info = load_generator(tmp_path / "hint").train_info
    assert tuned.takes_hints and info["hints"] is True and info["fine_tuned_from"]["model"] == str(tmp_path / "auto")
    # without --hints, a hint model is trained on as an automatic one: narrowed to L, it colours as it did without hints
    narrow = Trainer(tiny(paintings, tmp_path / "again", init=str(tmp_path / "hint"), **base)).G.eval()
    assert not narrow.takes_hints and narrow.kind.in_channels == 1
    photo = np.asarray(Image.open("tests/data/chelsea.png").convert("RGB"))
    hinted = Translator(load_generator(tmp_path / "hint"))(photo).generated
    assert np.array_equal(np.asarray(Translator(narrow)(photo).generated), np.asarray(hinted))
    with pytest.raises(ConfigError, match="colour hints are for Lab colorizers"):
        Trainer(tiny(paintings, tmp_path / "rgb", hints=True, **{**base, "space": "rgb"}))


def test_training_the_hint_inputs_alone_keeps_the_colours_without_hints_and_the_colour_transfer(paintings, tmp_path):
    base = dict(task="colorize", space="lab", artists=["Claude Monet"], image_size=32, load_size=32, epochs=1, epochs_decay=0)
    train(tiny(paintings, tmp_path / "auto", **base))
    auto = load_generator(tmp_path / "auto")
    rng = np.random.default_rng(0)
    auto.set_colour_transfer(ColourTransfer.fit(rng.normal(0, 20, (500, 2)), rng.normal(5, 30, (500, 2))).to_config())
    auto.save(tmp_path / "auto", train_info=auto.train_info | {"colour_transfer": {"strength": 1.0}})  # as fit_transfer
    cfg = tiny(paintings, tmp_path / "hint", init=str(tmp_path / "auto"), hints=True, hint_inputs_only=True,
               lambda_gan=0, lr=1e-2, **{**base, "epochs": 3})  # fmt: skip
    train(cfg)
    tuned = load_generator(tmp_path / "hint")
    before, after = with_hint_channels(auto).state_dict(), tuned.state_dict()
    moved = [k for k in before if not torch.equal(before[k], after[k])]
    assert moved == ["down.0.0.weight"]  # BatchNorm statistics included: the network ran as the app runs it
    assert torch.equal(before[moved[0]][:, :1], after[moved[0]][:, :1]) and after[moved[0]][:, 1:].abs().sum() > 0
    assert tuned.colour_transfer == auto.colour_transfer and tuned.train_info["colour_transfer"] == {"strength": 1.0}
    assert tuned.train_info["hint_inputs_only"] is True
    assert "only its first convolution's weights for the hint channels" in (tmp_path / "hint" / "README.md").read_text()
    photo = np.asarray(Image.open("tests/data/chelsea.png").convert("RGB"))
    assert np.array_equal(np.asarray(Translator(tuned)(photo).generated), np.asarray(Translator(auto)(photo).generated))
    answers = []
    for model in (tuned, with_hint_channels(auto)):  # the network's own answer to the hints, before the spreading
        translator = Translator(model)
        translator.net = lambda x, net=translator.net: answers.append(net(x)) or answers[-1]
        translator(photo, hints=[(100, 100, RED, 8)])
    assert torch.equal(answers[0], answers[2]) and not torch.equal(answers[1], answers[3])
    for wrong in (dict(lambda_gan=1.0), dict(hints=False), dict(init=None)):
        with pytest.raises(ConfigError, match="--hint-inputs-only trains a hint model's hint weights"):
            Trainer(cfg.__class__(**{**vars(cfg), "out": str(tmp_path / "no"), **wrong}))


def test_a_run_training_the_hint_inputs_alone_resumes_to_the_same_weights(paintings, tmp_path, monkeypatch):
    base = dict(task="colorize", space="lab", artists=["Claude Monet"], image_size=32, load_size=32)
    train(tiny(paintings, tmp_path / "auto", epochs=1, epochs_decay=0, **base))
    cfg = dict(init=str(tmp_path / "auto"), hints=True, hint_inputs_only=True, lambda_gan=0, lr=1e-2, epochs=2,
               epochs_decay=1, **base)  # fmt: skip
    straight = train(tiny(paintings, tmp_path / "a", **cfg))
    crash_after_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        train(tiny(paintings, tmp_path / "b", **cfg))
    monkeypatch.undo()
    resumed = train(tiny(paintings, tmp_path / "b", resume=True, **cfg))
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k


def test_the_sweep_scores_each_number_of_hints_and_says_which_targets_are_missed():
    wide = Translator(with_hint_channels(lab_model()))
    wide.follow_hints = lambda y, *_: y  # a model that ignores its hints
    photos = [np.asarray(Image.open(f"tests/data/{n}").convert("RGB").resize((96, 64))) for n in ("chelsea.png", "coffee.png")]
    s = sweep("wide", wide, photos, counts=(0, 10, 100))
    assert set(s.psnr) == {0, 10, 100} and all(len(v) == 2 for v in s.psnr.values())
    assert s.gain(10) == 0 and s.gain(100) == 0 and len(s.hinted) == 2 * 110
    gone = missed(s, {"psnr": s.mean(s.psnr, 0), "ciede2000": s.mean(s.ciede, 0), "colourfulness_ratio": 2.0})
    assert gone[:2] == ["+2.5 dB at 10", "+5 dB at 100"] and "without hints as good as the automatic model" in gone
    table = sweep_table([s], "model")
    assert "| wide | " in table and "Zhang et al. 2017" in table and "28.42" in table


def test_the_evaluation_sweeps_every_lab_model_beside_the_automatic_one():
    from pix2pix.training.evaluate import hint_sweeps
    from pix2pix.training.scoring import score, translator_method

    auto, wide = Translator(lab_model()), Translator(with_hint_channels(lab_model()))
    photos = [np.asarray(Image.open(f"tests/data/{n}").convert("RGB").resize((96, 64))) for n in ("chelsea.png", "coffee.png")]
    rows = [score("auto: the automatic model", translator_method(auto), photos)]
    both = hint_sweeps({"auto": auto, "wide": wide}, rows, photos, [0, 10])
    assert list(both) == ["wide"] and both["wide"][1]["model"] == "auto"  # the hint model, beside the automatic one
    alone = hint_sweeps({"auto": auto}, rows, photos, [0, 10])
    assert list(alone) == ["auto"] and alone["auto"][1] == {}  # a Lab model whose network takes none: swept alone
    assert alone["auto"][0].gain(10) > 0  # its colours spread from the hints
