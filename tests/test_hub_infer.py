import json
from pathlib import Path

import numpy as np
import pytest
import safetensors.torch
import torch
from PIL import Image

from pix2pix.card import model_card
from pix2pix.hub import ModelError, Pix2PixGenerator, load_generator
from pix2pix.infer import Translator, blend_window, tiled
from pix2pix.predict import main as predict_main


def tiny_model(task="colorize", space="lab", seed=0):
    torch.manual_seed(seed)
    io = {"maps": (3, 3), "lab": (1, 2), "rgb": (1, 3)}["maps" if task == "maps" else space]
    return Pix2PixGenerator(
        *io,
        ngf=8,
        depth=5,
        task=task,
        space=space,
        artist="Claude Monet" if task != "maps" else None,
        direction="AtoB" if task == "maps" else None,
        image_size=64,
    )


def test_save_stores_fp16_parameters_and_load_restores_fp32(tmp_path):
    m = tiny_model().eval()
    with torch.no_grad():  # move BatchNorm statistics away from their defaults
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.1, 0.1)
    m.save(tmp_path / "m", train_info={"epochs": 3})
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["README.md", "config.json", "model.safetensors"]
    stored = safetensors.torch.load_file(tmp_path / "m" / "model.safetensors")
    params = dict(m.named_parameters())
    assert all(stored[k].dtype == (torch.float16 if k in params else v.dtype) for k, v in m.state_dict().items())
    loaded = load_generator(tmp_path / "m")
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    for k, v in m.state_dict().items():
        if k not in params:  # BatchNorm statistics are stored exactly
            assert torch.equal(loaded.state_dict()[k], v), k
        else:  # parameters within fp16 rounding
            torch.testing.assert_close(loaded.state_dict()[k], v, rtol=1e-3, atol=1e-6)
    x = torch.randn(2, 1, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), m(x), rtol=1e-2, atol=1e-4)
    assert loaded.artist == "Claude Monet" and loaded.train_info == {"epochs": 3} and not loaded.training


def test_untrained_model_card_says_so(tmp_path):
    tiny_model().save(tmp_path / "m")
    assert "untrained" in (tmp_path / "m" / "README.md").read_text()


def test_the_card_lays_out_a_run_s_long_records_as_lists_and_tables(tmp_path):
    tune = {"psnr_db": 22.3, "ciede2000": 12.85, "colourfulness_ratio": 0.372, "palette_distance": 0.06, "targets_met": 3}
    first = {
        "model": "a six-artist stage",
        "date": "2026-11-28",
        "device": "1 x NVIDIA H200",
        "data": "paintings: six artists",
        "train_images": 1714,
        "schedule": "32 + 30 epochs",
        "steps": 6634,
        "batch_size": 16,
        "recipe": "python -m train.colorize ...",
    }
    info = {
        "epochs": 2,
        "kept_epoch": 2,
        "final_losses": {"L1": 0.078, "D": 0.61},
        "judged": [{"epoch": 1, **tune}, {"epoch": 2, **tune}],
        "fine_tuned_from": {"model": "a fine-tune", "data": "paintings: Salvador Dali", "fine_tuned_from": first},
        "heldout": {"psnr_db": 22.37, "split": "held-out paintings of Salvador Dali (19)"},
    }
    tiny_model().save(tmp_path / "m", train_info=info)
    card = (tmp_path / "m" / "README.md").read_text()
    assert (
        "- **final_losses**: D 0.61, L1 0.078\n" in card
        and '"epoch"' not in card
        and "{" not in card.split("## How it was trained")[1]
    )
    head = "| epoch | PSNR dB | CIEDE2000 | colourfulness ratio | palette distance | targets met |"
    assert "### Each epoch on the tune paintings\n\n" + head in card and "| 2 | 22.3 | 12.85 | 0.372 | 0.06 | 3 |" in card
    assert "1. **a fine-tune**: " in card  # the latest start first, then its own start
    assert (
        "2. **a six-artist stage**: 2026-11-28, 1 x NVIDIA H200; paintings: six artists (1714 images); "
        "32 + 30 epochs, 6634 steps of 16." in card
    )
    assert "   Recipe: python -m train.colorize ..." in card
    assert card.index("- **split**: held-out") < card.index("- **psnr_db**: 22.37")  # where the scores come from, first
    assert card == model_card(json.loads((tmp_path / "m" / "config.json").read_text()))  # what the file says, as re-written later


def test_load_from_hub_cache_offline(tmp_path, monkeypatch):
    """A repo id resolves through huggingface_hub's cache with HF_HUB_OFFLINE=1 (no network needed)."""
    from huggingface_hub import constants

    src = tmp_path / "src"
    tiny_model().save(src)
    cache = tmp_path / "cache"
    snap = cache / "models--someone--monet-lab" / "snapshots" / ("a" * 40)
    snap.mkdir(parents=True)
    for f in ("config.json", "model.safetensors"):
        (snap / f).write_bytes((src / f).read_bytes())
    (cache / "models--someone--monet-lab" / "refs").mkdir()
    (cache / "models--someone--monet-lab" / "refs" / "main").write_text("a" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    assert load_generator("someone/monet-lab", local_files_only=True).space == "lab"
    with pytest.raises(ModelError, match="neither a local folder nor a reachable Hub repo"):
        load_generator("someone/not-cached", local_files_only=True)
    # a name that can only be a folder here is not looked for on the Hub: it is said missing, with what is beside it
    here = tmp_path / "models-here"
    here.mkdir()
    src.rename(here / "monet-lab")
    for name, beside in ((here / "monet-lb", True), ("./monet-lab", False), ("a/b/c", False), ("~/x", False)):
        with pytest.raises(ModelError, match="no model folder at") as e:
            load_generator(name)
        assert ("holds monet-lab" in str(e.value)) == beside
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_generator("~/models-here/monet-lab").space == "lab"  # from Python, where no shell expands `~`


def test_a_models_bare_name_finds_it_among_the_shipped_ones_from_any_folder(tmp_path, monkeypatch):
    """`--model titian-lab` (no folder) is the model of that name in the shipped weights/, whatever the working folder;
    the app and `--all` read that folder by default too. A bare name found neither there nor on the Hub is refused
    with the names that are there."""
    from pix2pix.hub import CHECKOUT_WEIGHTS, weights_dir
    from pix2pix.registry import Registry

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIX2PIX_WEIGHTS", raising=False)
    assert weights_dir() == CHECKOUT_WEIGHTS == Path(__file__).resolve().parents[1] / "weights"
    with monkeypatch.context() as installed:  # the package installed without its checkout: the working folder's
        installed.setattr("pix2pix.hub.CHECKOUT_WEIGHTS", tmp_path / "site-packages" / "weights")
        assert weights_dir() == Path("weights")
    assert "titian-lab" in Registry(hub_repos=[]).entries  # run from another folder, the app still finds them
    ours = tmp_path / "ours"
    tiny_model().save(ours / "monet-lab")
    monkeypatch.setenv("PIX2PIX_WEIGHTS", str(ours))
    assert weights_dir() == ours and list(Registry(hub_repos=[]).entries) == ["monet-lab"]
    assert load_generator("monet-lab").space == "lab"
    with pytest.raises(ModelError, match=rf"nor a reachable Hub repo: .*\(the model folders in {ours}: monet-lab\)"):
        load_generator("monet-lb", local_files_only=True)
    (tmp_path / "monet-lab").mkdir()  # a folder of that name here is taken as given, before the shipped one
    with pytest.raises(ModelError, match="config.json is missing"):
        load_generator("monet-lab")


def test_loading_never_unpickles_and_prints_nothing(tmp_path, monkeypatch, capsys):
    """A Hub repo without model.safetensors is refused, where the mixin's own loader would fall back to unpickling its
    pytorch_model.bin; and a load writes nothing to stdout, which is the commands' output."""
    from huggingface_hub import hub_mixin
    from huggingface_hub.errors import EntryNotFoundError

    from pix2pix import hub

    tiny_model().save(tmp_path / "m")
    assert load_generator(tmp_path / "m").space == "lab" and capsys.readouterr().out == ""
    torch.save({"not": "weights"}, tmp_path / "pytorch_model.bin")

    def download(repo_id, filename, **kwargs):  # a repo holding a config and a pickle only
        if filename == "config.json":
            return str(tmp_path / "m" / "config.json")
        if filename == "pytorch_model.bin":
            return str(tmp_path / "pytorch_model.bin")
        raise EntryNotFoundError(f"{filename} is not in {repo_id}")

    monkeypatch.setattr(hub_mixin, "hf_hub_download", download)
    monkeypatch.setattr(hub, "hf_hub_download", download)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("a pickle was loaded"))
    with pytest.raises(EntryNotFoundError, match="model.safetensors"):
        Pix2PixGenerator.from_pretrained("someone/pickled")


def test_bad_model_folders_give_errors_naming_the_file(tmp_path):
    tiny_model().save(tmp_path / "m")
    cfg = tmp_path / "m" / "config.json"
    good = cfg.read_text()
    cfg.write_text(json.dumps({**json.loads(good), "colour": "blue"}))
    with pytest.raises(ModelError, match=r"config\.json has unknown fields \['colour'\]"):
        load_generator(tmp_path / "m")
    cfg.write_text(json.dumps({**json.loads(good), "ngf": 16}))
    with pytest.raises(ModelError, match=r"model\.safetensors does not fit"):
        load_generator(tmp_path / "m")
    cfg.write_text(good)
    weights = (tmp_path / "m" / "model.safetensors").read_bytes()
    for damaged in (b"garbage", weights[: len(weights) // 2], weights[:1000]):  # not safetensors; a copy cut short
        (tmp_path / "m" / "model.safetensors").write_bytes(damaged)
        with pytest.raises(ModelError, match=r"model\.safetensors is damaged or incomplete"):
            load_generator(tmp_path / "m")
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:" + b"0" * 64 + b"\nsize 6815744\n"
    (tmp_path / "m" / "model.safetensors").write_bytes(pointer)  # a Space or repo cloned without Git LFS
    with pytest.raises(ModelError, match=r"model\.safetensors is a Git LFS pointer.*git lfs pull"):
        load_generator(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="missing"):
        load_generator(tmp_path / "m")


def test_tiling_blends_without_seams():
    identity = torch.nn.Identity()
    x = torch.rand(1, 3, 150, 333)
    assert torch.allclose(tiled(identity, x, 64, overlap=16), x, atol=1e-6)
    w = blend_window(64, 16)
    assert w.min() > 0 and w[32, 32] == 1


@pytest.mark.parametrize("task,space", [("maps", "rgb"), ("colorize", "lab"), ("colorize", "rgb")])
def test_translator_keeps_odd_sizes(photos, task, space):
    img = Image.open(photos / "astronaut.jpg").convert("RGB").resize((333, 517))
    r = Translator(tiny_model(task, space))(img)
    assert r.original.size == r.gray.size == r.generated.size == (333, 517)
    if space == "lab":  # the generated image keeps the input's full-resolution lightness
        from pix2pix.color import rgb_to_lab
        from pix2pix.infer import to_tensor

        L_in = rgb_to_lab(to_tensor(np.array(r.original)))[:, 0]
        L_out = rgb_to_lab(to_tensor(np.array(r.generated)))[:, 0]
        assert (L_in - L_out).abs().mean() < 3.0


def test_translator_says_which_options_the_model_cannot_follow(photos):
    from pix2pix.infer import UNSCALED

    img = Image.open(photos / "coffee.png").convert("RGB").resize((96, 64))
    assert Translator(tiny_model("colorize", "lab"))(img, strength=1.3).notes == []  # a Lab colorizer scales its colour
    assert Translator(tiny_model("colorize", "rgb"))(img, strength=1.3).notes == [UNSCALED]
    assert Translator(tiny_model("colorize", "rgb"))(img).notes == []  # strength 1 asks nothing
    assert "applies to aerial -> map models only" in Translator(tiny_model("colorize", "lab"))(img, snap=True).notes[0]
    notes = Translator(tiny_model("maps"))(img, strength=0.5, snap=True).notes
    assert notes == [UNSCALED, "this model has no map palette: shown unsnapped"]


def test_translator_refuses_a_strength_it_cannot_use(photos):
    from pix2pix.infer import StrengthError

    translate = Translator(tiny_model("colorize", "lab"))
    img = Image.open(photos / "coffee.png").convert("RGB").resize((96, 64))
    for bad in (float("nan"), 1.6, -0.1, "bold", None):  # NaN would have painted the image white
        with pytest.raises(StrengthError, match="Colour strength must be"):
            translate(img, strength=bad)
    as_text, as_number = translate(img, strength="1.5").generated, translate(img, strength=1.5).generated
    assert np.array_equal(np.asarray(as_text), np.asarray(as_number))  # a number given as text, as a form sends it


def test_predict_cli_end_to_end_on_an_odd_sized_real_image(photos, tmp_path):
    tiny_model().save(tmp_path / "model")
    Image.open(photos / "chelsea.png").convert("RGB").resize((333, 517)).save(tmp_path / "in.png")
    code = predict_main(
        [
            "--model",
            str(tmp_path / "model"),
            str(tmp_path / "in.png"),
            "--real",
            str(photos / "chelsea.png"),
            "--out",
            str(tmp_path / "out" / "fig.png"),
        ]
    )
    assert code == 0
    assert Image.open(tmp_path / "out" / "fig_generated.png").size == (333, 517)
    fig = Image.open(tmp_path / "out" / "fig.png")
    assert fig.width > 3 * fig.height * 0.5  # four panels side by side


def test_predict_cli_takes_colour_hints_as_a_list_or_a_painted_layer(photos, tmp_path, capsys):
    """The command line follows hints as the app and the API do: two red strokes put red on the gray saucer."""
    from pix2pix.color import mean_chroma
    from pix2pix.predict import gen_and_print

    model, coffee = str(Path(__file__).parents[1] / "weights" / "photo-lab"), str(photos / "coffee.png")
    points = [[x, 262, "#e02020", 8] for x in (150, 220, 290, 360)]  # along the saucer's front, in the photo's pixels
    layer = Image.new("RGBA", (600, 400))
    layer.paste((224, 32, 32, 255), (150, 256, 360, 268))
    layer.save(tmp_path / "strokes.png")

    def saucer(name: str, *hints: str) -> np.ndarray:
        assert predict_main(["--model", model, coffee, "--out", str(tmp_path / f"{name}.png"), *hints]) == 0
        return np.asarray(Image.open(tmp_path / f"{name}_generated.png"))[250:275, 150:360]

    plain, listed = saucer("plain"), saucer("listed", "--hints", json.dumps(points))
    painted = saucer("painted", "--hints", str(tmp_path / "strokes.png"))
    for hinted in (listed, painted):
        red = hinted[..., 0].astype(int) - hinted[..., 1:].mean(-1)
        assert red.mean() > 25 and red.mean() > (plain[..., 0].astype(int) - plain[..., 1:].mean(-1)).mean() + 10
        assert mean_chroma(hinted) > mean_chroma(plain)
    fig, gen = gen_and_print(model, coffee, tmp_path / "api.png", hints=points)
    assert np.array_equal(np.asarray(Image.open(gen))[250:275, 150:360], listed)
    Image.new("RGB", (600, 400)).save(tmp_path / "flat.png")
    for hints, code, message in (('[[2000, 5, "#e02020"]]', 2, "outside the 600x400 image"),
                                 (str(tmp_path / "flat.png"), 2, "must be an image with transparency")):  # fmt: skip
        assert predict_main(["--model", model, coffee, "--out", str(tmp_path / "bad.png"), "--hints", hints]) == code
        assert message in capsys.readouterr().err
    refused = ((["--hints", "red"], "neither an image file nor a JSON list"), (["--hints", '{"x": 1}'], "a JSON list of"),
               (["--hints", "[]", "--out", str(tmp_path / "o")], "need exactly one input file"))
    for args, message in refused:
        with pytest.raises(SystemExit):
            predict_main(["--model", model, coffee, "--out", str(tmp_path / "bad.png"), *args])
        assert message in capsys.readouterr().err
    assert not (tmp_path / "bad.png").exists() and not (tmp_path / "o").exists()


def test_gen_and_print_writes_the_figure_where_the_command_would(photos, tmp_path, monkeypatch):
    from pix2pix.predict import gen_and_print

    tiny_model().save(tmp_path / "model")
    monkeypatch.chdir(tmp_path)
    fig, gen = gen_and_print(tmp_path / "model", photos / "rocket.jpg")
    assert (fig, gen) == (Path("predictions/rocket_figure.png"), Path("predictions/rocket_generated.png"))
    assert Image.open(gen).size == Image.open(photos / "rocket.jpg").size
    assert Image.open(fig).width > 2 * Image.open(gen).width  # original | grayscale | generated


def test_predict_cli_reports_bad_input_without_a_traceback(photos, tmp_path, capsys):
    tiny_model().save(tmp_path / "model")
    (tmp_path / "fake.jpg").write_text("not an image")
    assert predict_main(["--model", str(tmp_path / "model"), str(tmp_path / "fake.jpg"), "--out", str(tmp_path / "fig.png")]) == 2
    assert "not an image file" in capsys.readouterr().err
    assert predict_main(["--model", str(tmp_path / "model"), str(tmp_path / "fake.jpg"), "--out", str(tmp_path / "o")]) == 1
    assert "skipped" in capsys.readouterr().err and not (tmp_path / "o").exists()  # nothing processed: non-zero
    assert predict_main(["--model", str(tmp_path / "nope"), str(tmp_path / "fake.jpg"), "--out", str(tmp_path / "o")]) == 2
    for inputs, out in ((["chelsea.png", "coffee.png"], "fake.jpg/results"), (["chelsea.png"], "fake.jpg/fig.png")):
        with pytest.raises(SystemExit):  # a file where the output folder should be
            predict_main(["--model", str(tmp_path / "model"), *(str(photos / i) for i in inputs), "--out", str(tmp_path / out)])
        assert "fake.jpg is a file, not a folder" in capsys.readouterr().err


def test_predict_cli_refuses_before_loading_what_cannot_be_written_as_asked(photos, tmp_path, capsys):
    nothing = str(tmp_path / "no-model")  # refused before the model is looked for
    for inputs, said in (([photos / "chelsea.png", photos / "coffee.png"], "names one figure"), ([photos], "names one figure"),
                         ([tmp_path / "missing.png"], "missing.png: no such file")):  # fmt: skip
        with pytest.raises(SystemExit):
            predict_main(["--model", nothing, *map(str, inputs), "--out", str(tmp_path / "fig.png")])
        assert said in capsys.readouterr().err
    assert not (tmp_path / "fig.png").exists()


def test_predict_cli_leaves_out_its_earlier_results_inside_an_input_folder(photos, tmp_path, capsys):
    tiny_model().save(tmp_path / "model")
    album = tmp_path / "album"
    album.mkdir()
    (album / "cat.png").write_bytes((photos / "chelsea.png").read_bytes())
    (album / "cat_figure.png").write_bytes((photos / "chelsea.png").read_bytes())  # the user's own file: outside --out
    args = ["--model", str(tmp_path / "model"), str(album), "--out", str(album / "colour")]
    assert predict_main(args) == 0 and "2 translated" in capsys.readouterr().out
    assert predict_main(args) == 0  # again: the results now inside the album are not translated a second time
    captured = capsys.readouterr()
    assert "2 translated" in captured.out and "left out 4 earlier results" in captured.err
    assert sorted(p.name for p in (album / "colour").rglob("*.png")) == [
        "cat_figure.png", "cat_figure_figure.png", "cat_figure_generated.png", "cat_generated.png"]  # fmt: skip


def test_predict_cli_stopped_by_ctrl_c_says_how_far_it_got_and_leaves_only_whole_files(photos, tmp_path, monkeypatch,
                                                                                         capsys):  # fmt: skip
    import pix2pix.predict

    tiny_model().save(tmp_path / "model")
    album = tmp_path / "album"
    album.mkdir()
    for name in ("chelsea.png", "coffee.png", "rocket.jpg"):
        (album / name).write_bytes((photos / name).read_bytes())
    save, saved = Image.Image.save, []

    def stopped_in_the_third_save(image, path, *args, **kwargs):  # Ctrl+C while the second photo's figure is written
        saved.append(path)
        save(image, path, *args, **kwargs)
        if len(saved) == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(Image.Image, "save", stopped_in_the_third_save)
    out = tmp_path / "out"
    assert pix2pix.predict.main(["--model", str(tmp_path / "model"), str(album), "--out", str(out)]) == 130
    assert f"stopped: 1 of 3 translated into {out}" in capsys.readouterr().err
    assert sorted(p.name for p in out.rglob("*")) == ["album", "chelsea_figure.png", "chelsea_generated.png"]
    assert all(p.name.endswith(".part") for p in saved)  # written beside, then renamed: no half-written image


def test_predict_cli_translates_folders_skips_bad_files_and_never_overwrites_inputs(photos, tmp_path, capsys):
    tiny_model().save(tmp_path / "model")
    album = tmp_path / "album"
    (album / "trip").mkdir(parents=True)
    for name in ("chelsea.png", "rocket.jpg"):
        (album / name).write_bytes((photos / name).read_bytes())
    (album / "trip" / "camera.png").write_bytes((photos / "camera.png").read_bytes())
    (album / "trip" / "broken.jpg").write_bytes((photos / "rocket.jpg").read_bytes()[:2000])
    (album / "notes.txt").write_text("not an image, not even looked at")
    out = tmp_path / "out"
    code = predict_main(
        ["--model", str(tmp_path / "model"), str(album), str(photos / "coffee.png"), "--out", str(out), "--strength", "0.5"]
    )
    assert code == 0
    made = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert made == [
        "album/chelsea_figure.png",
        "album/chelsea_generated.png",
        "album/rocket_figure.png",
        "album/rocket_generated.png",
        "album/trip/camera_figure.png",
        "album/trip/camera_generated.png",
        "coffee_figure.png",
        "coffee_generated.png",
    ]
    assert Image.open(out / "album" / "rocket_generated.png").size == (640, 427)
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "broken.jpg" in captured.err and "corrupt or truncated" in captured.err
    assert "4 translated" in captured.out and "1 skipped" in captured.out
    # an output folder that holds the inputs: outputs that would replace an input are refused, the rest written
    (album / "rocket_generated.png").write_bytes((photos / "chelsea.png").read_bytes())
    before = (album / "rocket_generated.png").read_bytes()
    assert predict_main(["--model", str(tmp_path / "model"), str(album / "rocket.jpg"), str(album / "rocket_generated.png"),
                         "--out", str(album)]) == 0  # fmt: skip
    assert (album / "rocket_generated.png").read_bytes() == before and "overwrite an input" in capsys.readouterr().err


def test_predict_cli_keeps_every_result_when_inputs_share_a_name(photos, tmp_path, capsys):
    tiny_model().save(tmp_path / "model")
    album, other = tmp_path / "album", tmp_path / "other"
    album.mkdir(), other.mkdir()
    cat = Image.open(photos / "chelsea.png").convert("RGB")
    cat.save(album / "cat.png"), cat.save(album / "cat.GIF"), cat.save(album / "cat.tif"), cat.save(album / "dog.tiff")
    out = tmp_path / "out"
    assert predict_main(["--model", str(tmp_path / "model"), str(album), "--out", str(out)]) == 0
    made = sorted(str(p.relative_to(out)) for p in out.rglob("*_generated.png"))
    assert made == [
        "album/cat_GIF_generated.png",
        "album/cat_png_generated.png",
        "album/cat_tif_generated.png",
        "album/dog_generated.png",
    ]
    assert "4 translated" in capsys.readouterr().out
    # the same file name in two folders, both given as files: the first is written, the second refused, none replaced
    cat.save(other / "cat.png")
    assert (
        predict_main(["--model", str(tmp_path / "model"), str(album / "cat.png"), str(other / "cat.png"), "--out", str(out)]) == 0
    )
    captured = capsys.readouterr()
    assert (
        "1 translated" in captured.out
        and "1 skipped" in captured.out
        and "would overwrite another input's result" in captured.err
    )


def test_fast_bf16_path_stays_within_tolerance_of_fp32(photos, monkeypatch):
    import pix2pix.infer

    # A CPU without native bf16 keeps fp32 under fast=True (bf16 would be emulated, slower); the bf16 numbers are
    # checked on every CPU by switching the path on, since PyTorch runs bf16 everywhere, natively or not.
    monkeypatch.setattr(pix2pix.infer, "bf16_supported", lambda: False)
    assert not Translator(tiny_model("maps"), fast=True).bf16
    monkeypatch.setattr(pix2pix.infer, "bf16_supported", lambda: True)
    assert Translator(tiny_model("maps"), fast=True).bf16
    img = Image.open(photos / "coffee.png").convert("RGB")
    for task, space in [("maps", "rgb"), ("colorize", "lab")]:
        ref = np.asarray(Translator(tiny_model(task, space))(img).generated, dtype=int)
        fast = np.asarray(Translator(tiny_model(task, space), fast=True)(img).generated, dtype=int)
        assert np.abs(ref - fast).max() <= 8 and np.abs(ref - fast).mean() < 1.5  # <= 8/255 anywhere


@pytest.mark.parametrize("device", ["cpu"] + (["cuda"] if torch.cuda.is_available() else []))
def test_translator_on_each_device_matches_the_cpu_fp32_result(photos, device):
    img = Image.open(photos / "coffee.png").convert("RGB")
    for task, space in [("maps", "rgb"), ("colorize", "lab"), ("colorize", "rgb")]:
        ref = np.asarray(Translator(tiny_model(task, space))(img).generated, dtype=int)
        out = np.asarray(Translator(tiny_model(task, space), device=device, fast=True)(img).generated, dtype=int)
        assert np.abs(ref - out).max() <= 8 and np.abs(ref - out).mean() < 1.5, (task, space)


def test_maps_are_translated_at_the_recorded_ground_scale(photos):
    model = tiny_model("maps")
    model.scale = 0.5
    seen = []
    model.register_forward_pre_hook(lambda m, args: seen.append(tuple(args[0].shape)))
    img = Image.open(photos / "coffee.png").convert("RGB").resize((300, 200))
    out = Translator(model, overlap=16)(img).generated
    assert out.size == (300, 200)  # back at the input's size
    # 300x200 at scale 0.5 is 150x100: 3 x 2 tiles of 64 px at stride 48 (unscaled it would be 6 x 4)
    assert sum(s[0] for s in seen) == 6 and all(s[-2:] == (64, 64) for s in seen)


def test_palette_snapping_leaves_only_palette_colours(photos):
    palette = [[240, 238, 230], [170, 210, 160], [255, 255, 255], [150, 190, 240]]
    model = tiny_model("maps")
    model.palette = palette
    img = Image.open(photos / "coffee.png").convert("RGB")
    raw = np.asarray(Translator(model)(img).generated)
    snapped = np.asarray(Translator(model)(img, snap=True).generated)
    colours = {tuple(c) for c in snapped.reshape(-1, 3)}
    assert colours <= {tuple(c) for c in palette} and len({tuple(c) for c in raw.reshape(-1, 3)}) > len(palette)
    plain = Translator(tiny_model("maps"))  # no palette stored: nothing to snap to, the raw output comes back
    assert not plain.can_snap and np.array_equal(np.asarray(plain(img, snap=True).generated), np.asarray(plain(img).generated))


def test_translator_snaps_with_the_stored_bias_and_window(tmp_path):
    palette = [[0, 0, 0], [96, 96, 96], [160, 160, 160], [255, 255, 255]]
    img = np.random.default_rng(2).integers(0, 256, size=(40, 50, 3), dtype=np.uint8)
    model = tiny_model("maps")
    model.set_snap(palette, None, 1)  # nearest colour wins
    nearest = np.asarray(Translator(model)(img, snap=True).generated).reshape(-1, 3)
    used = {tuple(c) for c in nearest}
    rare = next(c for c in palette if tuple(c) not in used) if len(used) < len(palette) else palette[0]
    bias = [-1e6 if c == rare else 0.0 for c in palette]  # the stored bias makes one colour win every pixel
    model.set_snap(palette, bias, 5)
    model.save(tmp_path / "m", train_info={})
    loaded = load_generator(tmp_path / "m")
    assert (loaded.palette, loaded.palette_bias, loaded.snap_window) == (palette, bias, 5)
    snapped = np.asarray(Translator(loaded)(img, snap=True).generated)
    assert snapped.shape == (40, 50, 3) and (snapped == rare).all() and len(used) > 1
    direct = Translator(loaded).translate_map(torch.rand(1, 3, 40, 50))  # as the trainer's snap fitting calls it
    assert not direct.requires_grad and direct.grad_fn is None  # no autograd graph kept per tile


def test_file_in_the_way_finds_a_file_where_a_folder_must_be_made(tmp_path):
    from pix2pix.hub import file_in_the_way

    (tmp_path / "f").write_text("")
    assert file_in_the_way(tmp_path / "f") == tmp_path / "f"
    assert file_in_the_way(tmp_path / "f" / "deeper" / "out") == tmp_path / "f"
    assert file_in_the_way(tmp_path / "new" / "out") is None and file_in_the_way(tmp_path) is None


class FakeHub:
    """HfApi's two calls a push makes, recorded instead of sent; `fail` makes create_repo raise as the Hub would."""

    def __init__(self, fail: Exception | None = None):
        self.fail, self.calls = fail, []

    def create_repo(self, repo, private=False, exist_ok=False):
        if self.fail:
            raise self.fail
        self.calls.append(("create", repo, private, exist_ok))
        return f"https://huggingface.co/{repo}"

    def upload_folder(self, repo_id, folder_path, allow_patterns, commit_message):
        from huggingface_hub.utils import filter_repo_objects

        files = sorted(str(f.relative_to(folder_path)) for f in Path(folder_path).rglob("*") if f.is_file())
        self.calls.append(("upload", repo_id, sorted(filter_repo_objects(files, allow_patterns=allow_patterns))))


def test_push_uploads_a_checked_model_folder_and_nothing_else(tmp_path, monkeypatch, capsys):
    """`python -m pix2pix.push FOLDER REPO`: config, weights and card go up, not a run's checkpoints; without a token,
    offline, or where the Hub refuses, one error line says why and the folder stays as it was."""
    from pix2pix import push

    tiny_model().save(tmp_path / "m")
    (tmp_path / "m" / "train").mkdir()
    (tmp_path / "m" / "train" / "checkpoint.pt").write_bytes(b"run state")
    before = sorted((p.name, p.read_bytes()) for p in (tmp_path / "m").rglob("*") if p.is_file())
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    hub = FakeHub()
    monkeypatch.setattr(push, "HfApi", lambda: hub)
    monkeypatch.setattr(push, "get_token", lambda: None)
    assert push.main([str(tmp_path / "m"), "me/monet-lab"]) == 2
    assert "needs a Hub token: set HF_TOKEN" in capsys.readouterr().err and hub.calls == []
    monkeypatch.setattr(push, "get_token", lambda: "hf_secret")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert push.main([str(tmp_path / "m"), "me/monet-lab"]) == 2 and "HF_HUB_OFFLINE is set" in capsys.readouterr().err
    monkeypatch.delenv("HF_HUB_OFFLINE")
    assert push.main([str(tmp_path / "m"), "me/monet-lab", "--private"]) == 0
    out = capsys.readouterr()
    assert out.out.strip() == f"pushed {tmp_path / 'm'} to https://huggingface.co/me/monet-lab" and "hf_secret" not in out.err
    uploaded = ["README.md", "config.json", "model.safetensors"]  # not train/checkpoint.pt
    assert hub.calls == [("create", "me/monet-lab", True, True), ("upload", "me/monet-lab", uploaded)]
    monkeypatch.setattr(push, "HfApi", lambda: FakeHub(fail=RuntimeError("403 Forbidden: no write access\nmore")))
    assert push.main([str(tmp_path / "m"), "me/monet-lab"]) == 2
    assert capsys.readouterr().err.strip().endswith("to the Hub repo me/monet-lab failed: 403 Forbidden: no write access")
    (tmp_path / "m" / "config.json").write_text("{}")  # what would not load in the app is not pushed
    assert push.main([str(tmp_path / "m"), "me/monet-lab"]) == 2 and "model.safetensors does not fit" in capsys.readouterr().err
    (tmp_path / "m" / "config.json").unlink()
    with pytest.raises(SystemExit):
        push.main([str(tmp_path / "m"), "me/monet lab"])
    assert "is not a Hub repo id" in capsys.readouterr().err
    after = sorted((p.name, p.read_bytes()) for p in (tmp_path / "m").rglob("*") if p.is_file())
    assert after == [f for f in before if f[0] != "config.json"]  # only what the test itself changed
