"""Training survives being killed, and a failed checkpoint write never destroys the last good one."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from pix2pix.training import checkpoint as checkpoint_mod
from pix2pix.training.checkpoint import save_atomic
from pix2pix.training.config import CHECKPOINT

ROOT = Path(__file__).resolve().parents[1]


def _cmd(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "train.maps",
        "--data",
        str(data),
        "--out",
        str(out),
        "--epochs",
        "15",
        "--epochs-decay",
        "15",
        "--batch-size",
        "2",
        "--image-size",
        "64",
        "--load-size",
        "72",
        "--ngf",
        "16",
        "--ndf",
        "16",
        "--depth",
        "6",
        "--device",
        "cpu",
        *extra,
    ]


def test_sigkill_mid_training_then_resume_matches_an_uninterrupted_run(ab_dataset, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    straight = subprocess.run(_cmd(ab_dataset, tmp_path / "a"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert straight.returncode == 0, straight.stderr[-2000:]

    ckpt = tmp_path / "b" / "train" / CHECKPOINT
    proc = subprocess.Popen(
        _cmd(ab_dataset, tmp_path / "b"), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.time() + 300
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.3)  # land somewhere inside a later epoch
    if proc.poll() is not None:
        pytest.fail("training finished before it could be killed; make the run longer")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "b" / "model.safetensors").exists()
    state = torch.load(ckpt, weights_only=True)  # the checkpoint on disk is whole
    assert 1 <= state["epoch"] < 30

    resumed = subprocess.run(
        _cmd(ab_dataset, tmp_path / "b", "--resume"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resumed from {ckpt} at epoch" in resumed.stdout + resumed.stderr
    a, b = load_file(tmp_path / "a" / "model.safetensors"), load_file(tmp_path / "b" / "model.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / CHECKPOINT
    save_atomic({"epoch": 1}, path)

    def disk_full(obj, f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint_mod.torch, "save", disk_full)
    with pytest.raises(OSError, match="could not write .*No space left on device.*previous file there is intact"):
        save_atomic({"epoch": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT]  # no temp file left behind


def test_unwritable_output_folder_gives_a_clear_error_and_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / CHECKPOINT
    save_atomic({"epoch": 1}, path)

    def read_only(file, mode="r", *args, **kwargs):  # what open() does on a read-only mount (root ignores chmod)
        raise PermissionError(errno.EACCES, "Permission denied", str(file))

    monkeypatch.setattr(checkpoint_mod, "open", read_only, raising=False)
    with pytest.raises(OSError, match=f"could not write {path} \\(Permission denied\\).*previous file there is intact"):
        save_atomic({"epoch": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"epoch": 1}
