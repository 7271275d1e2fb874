import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import pix2pix.training.trainer
from bench.appserver import free_port
from pix2pix.training.config import CHECKPOINT, ConfigError, TrainConfig, training_parser
from pix2pix.hub import load_generator
from pix2pix.training.losses import chroma_smoothness, palette_loss
from pix2pix.training.setup import lr_factor, pick_device
from pix2pix.training.trainer import RAW, Trainer, spoken, train

ROOT = Path(__file__).resolve().parents[1]


def tiny(data, out, **kw) -> TrainConfig:
    base = dict(
        task="maps",
        data=str(data),
        out=str(out),
        epochs=2,
        epochs_decay=2,
        batch_size=2,
        image_size=32,
        load_size=40,
        ngf=8,
        ndf=8,
        depth=5,
        eval_images=2,
    )
    return TrainConfig(**{**base, **kw})


def test_lr_schedule_is_constant_then_linear_decay_like_the_reference():
    cfg = TrainConfig(task="maps", data="", out="", epochs=3, epochs_decay=3)
    assert [round(lr_factor(e, cfg), 3) for e in range(6)] == [1.0, 1.0, 1.0, 0.75, 0.5, 0.25]


def test_overfits_a_tiny_fixed_batch(paintings, tmp_path):
    cfg = tiny(
        paintings,
        tmp_path,
        task="colorize",
        artists=["Claude Monet"],
        space="lab",
        image_size=32,
        load_size=32,
        limit=2,
        lambda_l1=100,
    )
    t = Trainer(cfg)
    batch = t.images[:2]
    l1 = [t.train_step(batch)["L1"].item() for _ in range(120)]
    start, end = sum(l1[:5]) / 5, sum(l1[-5:]) / 5
    assert end < 0.5 * start, (start, end)


def test_training_writes_model_samples_and_metrics(ab_dataset, tmp_path):
    g = train(tiny(ab_dataset, tmp_path / "m"))
    files = os.listdir(tmp_path / "m")
    assert {"config.json", "model.safetensors", "README.md"} <= set(files)
    samples = sorted(os.listdir(tmp_path / "m" / "train"))
    assert samples.count(CHECKPOINT) == 1 and len([s for s in samples if s.startswith("samples_epoch")]) == 4
    info = json.loads((tmp_path / "m" / "config.json").read_text())["train_info"]
    assert info["epochs"] == 4 and info["steps"] == 8 and info["val"]["split"] == "val"
    assert 0 < info["val"]["psnr_db"] < 60
    assert "untrained" not in (tmp_path / "m" / "README.md").read_text()
    assert load_generator(tmp_path / "m").task == "maps" and g.image_size == 32


def crash_after_epoch(monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    """Make runs stop as if killed right after saving this epoch's checkpoint (until `monkeypatch.undo()`)."""
    original = pix2pix.training.trainer.save_checkpoint

    def save_then_crash(trainer):
        original(trainer)
        if trainer.epoch == epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(pix2pix.training.trainer, "save_checkpoint", save_then_crash)


def test_resume_continues_with_identical_state(ab_dataset, tmp_path, monkeypatch):
    straight = train(tiny(ab_dataset, tmp_path / "a"))
    crash_after_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        train(tiny(ab_dataset, tmp_path / "b"))
    monkeypatch.undo()
    resumed_trainer = Trainer(tiny(ab_dataset, tmp_path / "b", resume=True))
    assert resumed_trainer.epoch == 2 and resumed_trainer.step == 4
    resumed = resumed_trainer.fit()
    for (k, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), k
    assert resumed_trainer.opt_G.param_groups[0]["lr"] == 0.0
    with pytest.raises(ConfigError, match=r"from a run with other settings \(ngf 8 -> 16\)"):
        Trainer(tiny(ab_dataset, tmp_path / "b", resume=True, ngf=16))  # not a wall of size mismatches


def test_ddp_under_torchrun_with_two_gloo_processes(ab_dataset, tmp_path):
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
        "--master_port", str(free_port()), "-m", "train.maps", "--data", str(ab_dataset), "--out", str(out),
        "--epochs", "1", "--epochs-decay", "1", "--batch-size", "1", "--image-size", "32", "--load-size", "40",
        "--ngf", "8", "--ndf", "8", "--depth", "5", "--device", "cpu",
    ]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads((out / "config.json").read_text())["train_info"]
    assert info["batch_size"] == 2  # 1 per process x 2 processes
    assert info["steps"] == 4  # 4 images / 2 ranks = 2 steps per epoch, 2 epochs


def test_time_budget_fits_the_schedule_keeping_its_ratio(ab_dataset, tmp_path):
    t = Trainer(tiny(ab_dataset, tmp_path, epochs=50, epochs_decay=50, time_budget=1.0))
    t.started, t.epoch = time.time() - 29.9, 10  # half the minute gone after 10 epochs
    t.fit_schedule(epoch_seconds=1.0)  # 30 s left, one epoch (at least 10 s) kept for saving: 20 more epochs
    assert (t.cfg.epochs, t.cfg.epochs_decay) == (15, 15)
    t.fit_schedule(epoch_seconds=0.5)  # faster now: the constant phase may grow back
    assert (t.cfg.epochs, t.cfg.epochs_decay) == (25, 25)
    t.started, t.epoch = time.time() - 29.9, 30  # decaying: only the decay is cut
    t.fit_schedule(epoch_seconds=4.0)
    assert (t.cfg.epochs, t.cfg.epochs_decay) == (25, 10)


def test_a_time_budget_ends_a_long_run_early_and_says_so(ab_dataset, tmp_path):
    g = train(tiny(ab_dataset, tmp_path / "m", epochs=500, epochs_decay=500, time_budget=0.25, checkpoint_every=60))
    info = g.train_info
    assert info["epochs"] < 1000 and "fitted to a 0.25 min budget" in info["schedule"], info
    assert info["seconds_this_session"] < 0.25 * 60 + 10
    samples = [p for p in os.listdir(tmp_path / "m" / "train") if p.startswith("samples_epoch")]
    assert len(samples) == 1  # checkpoints and samples every 60 s: only the last epoch's within the budget


def test_palette_loss_rewards_the_real_pixels_palette_colour_and_ignores_fringes():
    palette = torch.tensor([[240.0, 240.0, 230.0], [170.0, 210.0, 160.0], [250.0, 160.0, 50.0]])

    def pixels(rgb: list[list[float]]) -> torch.Tensor:  # a row of RGB pixels as (1, 3, 1, N) in [-1, 1]
        return torch.tensor(rgb, dtype=torch.float32).T.reshape(1, 3, 1, len(rgb)) / 127.5 - 1

    real = pixels([[242, 238, 231], [168, 211, 162], [200, 200, 100]])  # near colours 0 and 1, then a fringe pixel
    right = pixels(palette[[0, 1, 2]].tolist())
    wrong = pixels(palette[[1, 0, 0]].tolist())
    assert palette_loss(right, real, palette) < 1e-3 < 10 < palette_loss(wrong, real, palette)
    # the third pixel is more than delta from every colour: whatever is generated there costs nothing
    assert palette_loss(torch.cat([right[..., :2], wrong[..., 2:]], -1), real, palette) < 1e-3
    halfway = ((right + wrong) / 2).requires_grad_(True)
    palette_loss(halfway, real, palette).backward()
    step = -halfway.grad[..., :2]  # gradient descent moves each scored pixel towards its right colour
    assert ((step * (right - wrong)[..., :2]).sum(1) > 0).all()


def test_chroma_smoothness_charges_colour_changes_that_the_gray_draws_no_edge_for():
    L = torch.full((1, 1, 16, 16), -0.5)
    L[..., 8:] = 0.5  # a step of 50 Lab units in lightness between the left and right halves
    flat = torch.zeros(1, 2, 16, 16)
    at_edge, across_flat = flat.clone(), flat.clone()
    at_edge[:, 0, :, 8:] = 0.5  # the colour changes where the lightness does
    across_flat[:, 0, 8:] = 0.5  # the same change, between the top and bottom halves of flat lightness
    assert chroma_smoothness(L, flat) < 0.01 < 0.1 < chroma_smoothness(L, across_flat)
    assert chroma_smoothness(L, at_edge) < chroma_smoothness(L, flat) + 0.01
    ab = across_flat.clone().requires_grad_(True)
    chroma_smoothness(L, ab).backward()
    assert (ab.grad[:, 0, 7] < 0).all() and (ab.grad[:, 0, 8] > 0).all()  # descent evens the two halves out


def test_a_colorizer_trained_with_the_smoothness_term_records_it(paintings, tmp_path):
    cfg = tiny(paintings, tmp_path / "m", task="colorize", space="lab", artists=["Claude Monet"], image_size=32,
               load_size=32, lambda_smooth=5.0)
    t = Trainer(cfg)
    assert set(t.train_step(t.images[:2])) >= {"L1", "G_gan", "smooth"}
    t.fit()
    info = load_generator(tmp_path / "m").train_info
    assert info["lambda_smooth"] == 5.0 and info["final_losses"]["smooth"] > 0


def test_fine_tuning_starts_from_a_saved_model_keeps_its_config_and_can_drop_the_discriminator(ab_dataset, tmp_path):
    palette = [[0, 0, 0], [64, 64, 64], [128, 128, 128], [192, 192, 192]]  # the fixture's posterised "maps"
    first = train(tiny(ab_dataset, tmp_path / "a", palette=len(palette)))
    assert first.palette and len(first.palette) == 4
    assert all(min(v % 64, 64 - v % 64) <= 4 for c in first.palette for v in c)  # the fixture's posterised levels
    calibration = load_generator(tmp_path / "a").train_info["snap_calibration"]
    assert calibration["tiles"] == 4 and 0 < calibration["pixels_matched"] <= 1
    t = Trainer(tiny(ab_dataset, tmp_path / "b", init=str(tmp_path / "a"), lambda_gan=0, lambda_palette=1.0, lr=1e-3))
    saved = load_generator(tmp_path / "a").state_dict()  # as stored (fp16 parameters)
    assert all(torch.equal(a.cpu(), b) for a, b in zip(t.G.state_dict().values(), saved.values()))
    d_before = [p.clone() for p in t.critic.net.parameters()]
    stats = t.train_step(t.images[:2])
    assert set(stats) == {"L1", "palette"} and stats["palette"] > 0
    assert all(torch.equal(a, b) for a, b in zip(d_before, t.critic.net.parameters()))  # no GAN term: D is never run
    tuned = t.fit()
    assert tuned.palette == first.palette and tuned.scale == first.scale
    assert len(tuned.palette_bias) == 4 and tuned.snap_window >= 1  # its snap is refitted to its new outputs
    info = load_generator(tmp_path / "b").train_info
    assert info["fine_tuned_from"]["model"] == str(tmp_path / "a") and info["fine_tuned_from"]["steps"] == 8
    assert info["lambda_gan"] == 0 and info["lambda_palette"] == 1.0 and "palette" in info["final_losses"]
    with pytest.raises(ValueError, match="is an aerial photo -> map model; this run trains a map -> aerial photo model"):
        Trainer(tiny(ab_dataset, tmp_path / "c", init=str(tmp_path / "a"), direction="BtoA"))
    with pytest.raises(ValueError, match="ground scale"):
        Trainer(tiny(ab_dataset, tmp_path / "d", init=str(tmp_path / "a"), load_size=48))
    with pytest.raises(ValueError, match="needs a palette"):
        Trainer(tiny(ab_dataset, tmp_path / "e", palette=0, lambda_palette=1.0))


def test_a_colorizer_fine_tuned_on_another_artist_serves_that_artist(paintings, tmp_path):
    base = dict(task="colorize", space="lab", image_size=32, load_size=32)
    train(tiny(paintings, tmp_path / "monet", artists=["Claude Monet"], **base))
    tuned = train(tiny(paintings, tmp_path / "klimt", artists=["klimt"], init=str(tmp_path / "monet"), **base))
    assert tuned.artist == "Gustav Klimt" and load_generator(tmp_path / "klimt").config["artist"] == "Gustav Klimt"
    with pytest.raises(ValueError, match="is a Lab colorizer; this run trains an RGB colorizer"):
        Trainer(tiny(paintings, tmp_path / "rgb", artists=["klimt"], init=str(tmp_path / "monet"), **{**base, "space": "rgb"}))


def test_calibrate_relearns_the_palette_and_refits_the_snap_in_place_keeping_the_weights(ab_dataset, tmp_path, capsys):
    from train.maps import main as maps_main

    train(tiny(ab_dataset, tmp_path / "m", palette=4))
    path = tmp_path / "m" / "config.json"
    old = json.loads(path.read_text())  # an older model: off-colour palette, no snap fitted, snapped scores recorded
    old.update(palette=[[20, 20, 20], [70, 70, 70], [120, 120, 120], [200, 200, 200]], palette_bias=None, snap_window=1)
    old["train_info"]["heldout"] = {"rmse": 1.0, "with_palette": {"rmse": 2.0}}
    path.write_text(json.dumps(old))
    weights = load_generator(tmp_path / "m").state_dict()
    assert maps_main(["--calibrate", str(tmp_path / "m"), "--data", str(ab_dataset), "--palette", "4"]) == 0
    new = load_generator(tmp_path / "m")
    assert all(min(v % 64, 64 - v % 64) <= 4 for c in new.palette for v in c)  # the posterised levels, re-learnt
    assert len(new.palette) == len(new.palette_bias) == 4
    assert new.train_info["heldout"] == {"rmse": 1.0}  # the snapped scores no longer apply
    assert new.train_info["snap_calibration"]["tiles"] == 4
    assert all(torch.equal(a, b) for a, b in zip(weights.values(), new.state_dict().values()))
    train(tiny(ab_dataset, tmp_path / "back", direction="BtoA"))
    assert maps_main(["--calibrate", str(tmp_path / "back"), "--data", str(ab_dataset)]) == 2
    assert "only aerial -> map models snap to a palette" in capsys.readouterr().err
    assert maps_main(["--calibrate", str(tmp_path / "m"), "--data", str(ab_dataset), "--palette", "0"]) == 2
    assert "error: --calibrate needs a palette of at least one colour, got --palette 0" in capsys.readouterr().err


def test_ema_averages_the_generator_and_is_what_is_saved_and_resumed(ab_dataset, tmp_path):
    t = Trainer(tiny(ab_dataset, tmp_path / "e", ema=0.9))
    before = [p.clone() for p in t.G_ema.parameters()]
    t.train_step(t.images[:2])  # step 0: the ramped decay is 1/10, so the average takes 90% of the new weights
    for e, old, new in zip(t.G_ema.parameters(), before, t.G.parameters()):
        torch.testing.assert_close(e, 0.1 * old + 0.9 * new)
    g = t.fit()
    assert g is t.G_ema
    saved = load_generator(tmp_path / "e")
    assert saved.train_info["ema"] == 0.9
    for name, p in saved.named_parameters():  # stored in fp16: equal to the average at that precision
        torch.testing.assert_close(p, dict(g.named_parameters())[name].half().float().cpu())
    assert any(not torch.equal(a, b) for a, b in zip(g.parameters(), t.G.parameters()))  # not the last weights
    last = load_generator(tmp_path / "e" / "train" / RAW)  # the last weights too, to compare the average with
    for name, p in last.named_parameters():
        torch.testing.assert_close(p, dict(t.G.named_parameters())[name].half().float().cpu())
    assert "ema" not in last.train_info and "not the --ema 0.9 average" in last.train_info["weights"]
    resumed = Trainer(tiny(ab_dataset, tmp_path / "e", ema=0.9, resume=True))
    assert all(torch.equal(a, b) for a, b in zip(resumed.G_ema.state_dict().values(), g.state_dict().values()))


def test_a_tune_split_stays_out_of_training_and_is_recorded(paintings, tmp_path):
    cfg = tiny(
        paintings, tmp_path / "t", task="colorize", space="lab", artists=["Monet"], tune_percent=50, epochs=1, epochs_decay=0
    )
    t = Trainer(cfg)
    assert {p.name for p in t.train_set.files} == {"Claude_Monet_3.jpg", "Claude_Monet_5.jpg"}  # _2 is the tune painting
    t.fit()
    assert load_generator(tmp_path / "t").train_info["tune_percent"] == 50


def test_zoom_augmentation_trains_a_colorizer_and_is_recorded_but_refused_for_maps(paintings, ab_dataset, tmp_path):
    cfg = tiny(
        paintings, tmp_path / "z", task="colorize", space="lab", artists=["Monet"], min_scale=0.5, epochs=1, epochs_decay=0
    )
    t = Trainer(cfg)
    t.fit()
    saved = load_generator(tmp_path / "z")
    assert saved.train_info["min_scale"] == 0.5 and saved.train_info["steps"] == t.step > 0
    assert "each a random 50% to 100% of the painting's side" in (tmp_path / "z" / "README.md").read_text()
    with pytest.raises(ValueError, match="one ground scale"):
        Trainer(tiny(ab_dataset, tmp_path / "m", min_scale=0.5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        Trainer(tiny(paintings, tmp_path / "w", task="colorize", artists=["Monet"], min_scale=1.5))


def scripted_judge(errors: list[float]):
    """A judge that scores the epochs with `errors` in turn and keeps what each epoch's generator looked like."""
    seen: list[dict] = []

    def judge(G):
        seen.append({k: v.detach().cpu().clone() for k, v in G.state_dict().items()})
        e = errors[len(seen) - 1]
        return [-1, e], {"targets_met": 1, "ciede2000": e}

    return judge, seen


def test_keep_best_saves_the_judges_best_epoch_and_records_every_epochs_scores(paintings, tmp_path):
    judge, seen = scripted_judge([3.0, 1.0, 2.0, 1.0])  # epoch 2 is best; epoch 4 only ties it
    cfg = tiny(paintings, tmp_path / "kb", task="colorize", space="lab", artists=["Monet"], tune_percent=50)
    train(cfg, judge)
    saved = load_generator(tmp_path / "kb")
    assert len(seen) == 4 and not all(torch.equal(a, b) for a, b in zip(seen[1].values(), seen[3].values()))
    for k, v in saved.state_dict().items():  # epoch 2's weights, within the fp16 file's precision
        assert torch.allclose(v, seen[1][k], rtol=1e-3, atol=1e-6), k
    info = saved.train_info
    assert info["kept_epoch"] == 2 and [j["ciede2000"] for j in info["judged"]] == [3.0, 1.0, 2.0, 1.0]
    assert "those of epoch 2 of 4" in (tmp_path / "kb" / "README.md").read_text()


def test_keep_best_survives_a_resume(paintings, tmp_path, monkeypatch):
    cfg = dict(task="colorize", space="lab", artists=["Monet"], tune_percent=50)
    crash_after_epoch(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        train(tiny(paintings, tmp_path / "kr", **cfg), scripted_judge([3.0, 1.0, 2.0])[0])
    monkeypatch.undo()
    train(tiny(paintings, tmp_path / "kr", resume=True, **cfg), scripted_judge([5.0])[0])  # epoch 4 is worse than 2
    info = load_generator(tmp_path / "kr").train_info
    assert info["kept_epoch"] == 2 and [j["epoch"] for j in info["judged"]] == [1, 2, 3, 4]


def test_keep_best_from_the_command_line_needs_a_tune_split(paintings, tmp_path, capsys):
    from train.colorize import main

    args = [
        "--data", str(paintings), "--artist", "monet", "--out",
        str(tmp_path / "cli"),
        "--epochs", "1", "--epochs-decay", "1", "--batch-size", "2", "--image-size", "32", "--load-size", "40",
        "--ngf", "8", "--ndf", "8", "--depth", "5", "--keep-best",
    ]
    with pytest.raises(SystemExit):
        main(args)
    assert "--keep-best needs --tune-percent" in capsys.readouterr().err
    assert main([*args, "--tune-percent", "50"]) == 0
    info = load_generator(tmp_path / "cli").train_info
    assert info["kept_epoch"] in (1, 2) and len(info["judged"]) == 2 and all(0 <= j["targets_met"] <= 5 for j in info["judged"])


@pytest.mark.parametrize(
    "command,error",
    [
        (
            ["train.colorize", "--artist", "Titan"],
            "error: artist 'Titan' has no images. Artists found: Claude Monet, Gustav Klimt",
        ),
        (
            ["train.colorize", "--artist", "monet", "--init", "no-such-model"],
            "error: model 'no-such-model' is neither a local folder",
        ),
        (["train.maps"], "error: dataset folder not found"),
        (
            ["train.colorize", "--artist", "monet", "--image-size", "100"],
            "error: --image-size 100 must be a multiple of 2**depth = 256",
        ),
    ],
)
def test_training_commands_end_data_and_model_problems_with_one_line(paintings, tmp_path, command, error):
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            *command,
            "--data",
            str(paintings if "train.colorize" in command else tmp_path),
            "--epochs", "1", "--epochs-decay", "0", "--out",
            str(tmp_path / "out"),
        ],
        cwd=Path(__file__).parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 2 and error in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--batch-size", "0", "argument --batch-size: must be at least 1, got 0"),
        ("--epochs", "-1", "argument --epochs: must be at least 0, got -1"),
        ("--lr", "0", "argument --lr: must be above 0, got 0"),
        ("--ema", "1", "argument --ema: must be at least 0 and below 1, got 1"),
        ("--time-budget", "-5", "argument --time-budget: must be above 0, got -5"),
        ("--ngf", "2.5", "argument --ngf: invalid int value: '2.5'"),
    ],
)
def test_training_options_out_of_range_are_refused_by_name(option, value, message, capsys):
    p = training_parser("train", "", [])
    assert p.parse_args([option, "7"] if option != "--ema" else [option, "0.999"])  # in range: accepted
    with pytest.raises(SystemExit):
        p.parse_args([option, value])
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "settings,message",
    [
        ({"epochs": 0, "epochs_decay": 0}, "needs at least one epoch"),
        ({"load_size": 24}, "--load-size 24 must be at least --image-size 32"),
        ({"image_size": 48, "load_size": 56}, "--image-size 48 must be a multiple of 2\\*\\*depth = 32"),
        ({"lambda_smooth": 1.0}, "--lambda-smooth smooths a Lab colorizer's a\\*b\\*"),
    ],
)
def test_settings_that_cannot_work_together_are_refused_before_any_data_is_read(settings, tmp_path, message):
    with pytest.raises(ConfigError, match=message):
        Trainer(tiny(tmp_path / "no-data-needed", tmp_path / "out", **settings))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("device", ["tpu", f"cuda:{torch.cuda.device_count()}"])  # not a device; one past the last GPU
def test_a_device_that_is_not_here_is_refused_in_one_line_before_any_data_is_read(tmp_path, device):
    said = "not a device (auto, cpu, cuda, cuda:N or mps)" if device == "tpu" else "this machine has no such device"
    with pytest.raises(ConfigError, match=re.escape(f"--device {device}: {said}")):
        Trainer(tiny(tmp_path / "no-data-needed", tmp_path / "out", device=device))
    assert pick_device("cpu") == torch.device("cpu") and pick_device().type in ("cpu", "cuda", "mps")


def test_a_push_that_cannot_happen_is_refused_before_training(tmp_path, monkeypatch):
    cfg = tiny(tmp_path / "no-data-needed", tmp_path / "out", push_to_hub="someone/model")
    with pytest.raises(ConfigError, match="HF_HUB_OFFLINE is set"):  # the tests run offline
        Trainer(cfg)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr("pix2pix.training.setup.get_token", lambda: None)  # no HF_TOKEN and no saved login
    with pytest.raises(ConfigError, match="needs a Hub token: set HF_TOKEN"):
        Trainer(cfg)
    assert not (tmp_path / "out").exists()


def test_a_model_already_in_out_is_replaced_only_when_asked_or_continued(ab_dataset, tmp_path):
    out = tmp_path / "held"
    train(tiny(ab_dataset, out, epochs=1, epochs_decay=0))
    weights = (out / "model.safetensors").read_bytes()
    with pytest.raises(ConfigError, match="already holds a model, which this run would replace when it ends: train into "
                       "another --out, or add --replace"):  # fmt: skip
        Trainer(tiny(ab_dataset, out, epochs=1, epochs_decay=0, seed=1))
    assert (out / "model.safetensors").read_bytes() == weights  # nothing written, nothing lost
    for continues in ({"init": str(out)}, {"resume": True}, {"replace": True}):  # accepted: the run is meant to write there
        Trainer(tiny(ab_dataset, out, epochs=1, epochs_decay=0, **continues))
    (out / "train" / CHECKPOINT).unlink()
    with pytest.raises(ConfigError, match="already holds a model"):  # --resume with nothing to resume starts afresh
        Trainer(tiny(ab_dataset, out, epochs=1, epochs_decay=0, resume=True))
    train(tiny(ab_dataset, out, epochs=1, epochs_decay=0, seed=1, replace=True))
    assert (out / "model.safetensors").read_bytes() != weights
    assert "replace" not in load_generator(out).train_info  # how a run was allowed to write is no part of its recipe


def test_a_run_says_its_plan_and_how_long_it_has_left(ab_dataset, tmp_path, capsys):
    train(tiny(ab_dataset, tmp_path / "said", epochs=1, epochs_decay=1))
    said = capsys.readouterr().out
    assert f"training on 4 images into {tmp_path / 'said'}: 1 + 1 epochs of 2 steps of 2\n" in said
    assert re.search(r"epoch 1/2 .* \(about \d+ s left\)", said) and not re.search(r"epoch 2/2 .*left", said)
    assert [spoken(s) for s in (0.4, 89, 600, 4 * 3600 + 610)] == ["0 s", "89 s", "10 min", "4 h 10 min"]


def test_a_run_stopped_by_ctrl_c_says_what_it_kept_and_resumes_from_it(ab_dataset, tmp_path, monkeypatch, capsys):
    from train.maps import main as maps_main

    run_epoch, calls = Trainer.run_epoch, []

    def interrupted_in_epoch_2(self):
        calls.append(self.epoch)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return run_epoch(self)

    monkeypatch.setattr(Trainer, "run_epoch", interrupted_in_epoch_2)
    out = tmp_path / "stopped"
    args = ["--data", str(ab_dataset), "--out", str(out), "--epochs", "2", "--epochs-decay", "1", "--batch-size", "2",
            "--image-size", "32", "--load-size", "40", "--ngf", "8", "--ndf", "8", "--depth", "5"]  # fmt: skip
    assert maps_main(args) == 130
    err = capsys.readouterr().err
    assert f"stopped: {out / 'train' / CHECKPOINT} holds the run after epoch 1: the same command with --resume" in err
    assert "Traceback" not in err and not (out / "model.safetensors").exists()
    monkeypatch.undo()
    assert maps_main([*args, "--resume"]) == 0 and load_generator(out).train_info["steps"] == 6  # 3 epochs of 2 steps


def test_a_run_stopped_in_its_first_epoch_says_nothing_was_kept(ab_dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(Trainer, "run_epoch", lambda self: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt, match="no epoch had finished, so nothing was kept"):
        train(tiny(ab_dataset, tmp_path / "early"))


def test_train_all_refuses_to_replace_models_unless_asked(tmp_path, capsys):
    from train import all as train_all

    (tmp_path / "titian-rgb").mkdir()
    (tmp_path / "titian-rgb" / "model.safetensors").write_bytes(b"")
    with pytest.raises(SystemExit) as exit_info:
        train_all.main(["--only", "titian-rgb", "maps-aerial2map", "--out", str(tmp_path), "--log-dir", str(tmp_path / "logs")])
    assert exit_info.value.code == 2 and f"{tmp_path} already holds titian-rgb, which" in capsys.readouterr().err
    assert not (tmp_path / "logs").exists()  # refused before any run started
    args = argparse.Namespace(paintings="p", maps="m", out=str(tmp_path), time_budget=None, replace=True, colorize_args="")
    assert train_all.command("titian-rgb", args)[-1] == "--replace"  # passed on to each run


def test_a_model_trained_without_out_goes_to_the_folder_the_app_reads(paintings, tmp_path, monkeypatch, capsys):
    """Without --out, a run writes into PIX2PIX_WEIGHTS (else the shipped weights/), whatever the working folder, so the
    app lists it at its next start; train.all checks that folder before its first run."""
    from pix2pix.registry import Registry
    from train import all as train_all
    from train.colorize import main

    monkeypatch.setenv("PIX2PIX_WEIGHTS", str(tmp_path / "w"))
    monkeypatch.chdir(tmp_path)  # another working folder: no weights/ here
    assert main(["--data", str(paintings), "--artist", "monet", "--epochs", "1", "--epochs-decay", "0", "--batch-size", "2",
                 "--image-size", "32", "--load-size", "40", "--ngf", "8", "--ndf", "8", "--depth", "5"]) == 0
    assert capsys.readouterr().out.strip().endswith(f"model written to {tmp_path / 'w' / 'monet-lab'}")
    assert list(Registry(hub_repos=[]).entries) == ["monet-lab"]
    (tmp_path / "w" / "titian-rgb").mkdir()
    (tmp_path / "w" / "titian-rgb" / "model.safetensors").write_bytes(b"")
    with pytest.raises(SystemExit):
        train_all.main(["--only", "titian-rgb", "--log-dir", str(tmp_path / "logs")])
    assert f"{tmp_path / 'w'} already holds titian-rgb" in capsys.readouterr().err


def test_an_out_folder_behind_a_file_is_refused_before_training(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ConfigError, match="a-file is a file, not a folder"):
        Trainer(tiny(tmp_path / "no-data-needed", tmp_path / "a-file" / "model"))


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (["--artist", "Titian", "--min-scale", "2"], "between 0 and 1"),
        (["--artist", "Titian", "--photos"], "not allowed with argument"),
        (["--photos", "--keep-best", "--tune-percent", "10"], "needs --artist"),
        (["--artist", "Titian", "--hint-inputs-only", "--keep-best", "--tune-percent", "10"], "leaves as they were"),
        ([], "one of the arguments --artist --photos is required"),
    ],
)
def test_colorize_options_are_checked_before_any_data_is_read(options, error, capsys):
    from train.colorize import main as colorize_main

    with pytest.raises(SystemExit) as exit_info:
        colorize_main(["--data", "/nonexistent", *options])
    assert exit_info.value.code == 2 and error in capsys.readouterr().err


RECIPES = sorted((ROOT / "train" / "recipes").glob("*.args"))
ADAPTERS = [r for r in RECIPES if r.stem.endswith(".adapter")]  # hint adapters: pix2pix.training.fit_adapter's


@pytest.mark.parametrize("recipe", ADAPTERS, ids=lambda p: p.stem)
def test_each_adapter_recipe_is_read_by_its_command_and_names_a_shipped_model_with_that_adapter(recipe):
    from pix2pix.training import fit_adapter

    args = fit_adapter.parser().parse_args([f"@{recipe}"])
    model = ROOT / "weights" / recipe.stem.split(".")[0]
    assert args.model == Path(model.relative_to(ROOT)) and args.init == Path("weights/photo-lab") and args.write
    config = json.loads((model / "config.json").read_text())
    assert config["hint_adapter"] and config["train_info"]["hint_adapter"]["steps"] == args.steps


@pytest.mark.parametrize("recipe", [r for r in RECIPES if r not in ADAPTERS], ids=lambda p: p.stem)
def test_each_shipped_recipe_is_read_by_its_command_and_names_its_model(recipe):
    from train import colorize, maps

    command = maps if recipe.stem.startswith("maps-") else colorize
    args = command.parser().parse_args([f"@{recipe}"])  # a model made in stages has one recipe per stage: <model>.<stage>.args
    assert args.out == f"weights/{recipe.stem.split('.')[0]}" and (ROOT / args.out / "model.safetensors").is_file()
    assert args.replace != (args.init == args.out)  # a recipe that starts its model afresh says it replaces the shipped one
    if recipe.stem in ("maps-map2aerial", "titian-rgb", "salvador-dali-lab"):  # given the resize decoder from themselves
        assert args.init == args.out and args.upsample == "resize"
    elif getattr(args, "hint_inputs_only", False):  # a later stage: the model's own hint weights trained alone
        assert args.init == args.out and args.hints and args.lambda_gan == 0 and not args.keep_best
    else:
        assert args.photos or args.artists and args.init == "weights/photo-lab"
    if command is colorize and args.space == "lab":  # every Lab colorizer takes hints: from its start, or (automatic
        later = recipe.with_name(f"{recipe.stem.split('.')[0]}.2.args")  # first) from a later stage that teaches them
        assert args.hints or recipe.stem == "photo-lab.1" or later.is_file() and "--hint-inputs-only" in later.read_text()
