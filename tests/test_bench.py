"""Smoke runs of the benchmarks (they print tables; their numbers are results, not test conditions)."""

import re
import shutil
import subprocess
import sys

from bench.appserver import ROOT
from pix2pix.infer import bf16_supported


def table_rows(out: str) -> list[list[str]]:
    return [
        [c.strip() for c in line.strip("|").split("|")]
        for line in out.splitlines()
        if line.startswith("| ") and "---" not in line
    ][1:]


def bench_output(module: str, *args: str, timeout: int = 300) -> str:
    """What `python -m bench.<module> ARGS` prints, run from the repository root (a failed run fails the test)."""
    run = [sys.executable, "-m", f"bench.{module}", *args]
    return subprocess.run(run, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=True).stdout


def test_train_benchmark_runs_small_on_cpu():
    args = [
        "--device",
        "cpu",
        "--steps",
        "2",
        "--warmup",
        "1",
        "--images",
        "4",
        "--batch",
        "2",
        "--image-size",
        "32",
        "--workers",
        "1",
    ]
    out = bench_output("train_gpu", *args)
    rows = table_rows(out)
    assert [r[0].split(",")[0] for r in rows] == [
        "disk decode per step (1 workers)",
        "device-resident data",
        "device-resident data",
    ]
    precision = "bf16 autocast" if bf16_supported() else "fp32"
    assert rows[2][0] == f"device-resident data, batch 2, {precision}"  # CPU: no channels_last or fused Adam claimed
    assert all(float(r[1]) > 0 for r in rows) and rows[0][2] == "1.00x"
    flops = re.search(r"(\d+\.\d+) GFLOP per image", out)
    assert flops and float(flops.group(1)) > 0


def test_inference_benchmark_covers_every_workload_and_path():
    out = bench_output("infer_cpu", "--runs", "1", timeout=600)
    rows, hints = table_rows(out)[:9], table_rows(out)[10:]  # the second table after its own header
    assert len(rows) == 9 and len({r[0] for r in rows}) == 3
    assert all(r[1].startswith("app: ") for r in rows[2::3])  # the path the app runs is always measured
    assert all(float(r[4]) <= 8 / 255 for r in rows)  # every path stays within the app's stated tolerance
    assert [r[0] for r in hints] == ["automatic model (L in)", "automatic model, 100 hints (spread after it)",
                                     "hint model, no hints", "hint model, 100 hints",
                                     "hint model with a colour transfer, no hints",
                                     "hint model with a colour transfer, 100 hints",
                                     "automatic model with a hint adapter, no hints",
                                     "automatic model with a hint adapter, 100 hints"]  # fmt: skip
    assert hints[0][2] == "+0%" and all(float(r[1]) > 0 for r in hints)


def test_load_benchmark_serves_every_request_at_small_scale():
    args = ["--clients", "3", "--requests", "2", "--concurrency", "1", "--timeout", "300"]
    out = bench_output("load_app", *args, timeout=600)
    idle, row = table_rows(out)
    assert idle[1] == "(idle, models loaded)" and float(idle[-1]) > 0
    concurrency, clients, requests, ok, errors, lost = row[:6]
    assert (concurrency, clients, requests, ok, errors, lost) == ("1", "3", "6", "6", "0", "0")


def test_load_benchmark_compare_workload_serves_the_shipped_models():
    args = ["--workload", "compare", "--clients", "1", "--requests", "1", "--concurrency", "1", "--timeout", "300"]
    out = bench_output("load_app", *args, timeout=600)
    idle, row = table_rows(out)
    assert row[:6] == ["1", "1", "1", "1", "0", "0"] and float(row[-1]) >= float(idle[-1]) * 0.9


def test_soak_serves_every_kind_of_request_and_reports_memory_by_minute():
    args = ["--soak", "0.25", "--clients", "2", "--timeout", "300"]
    out = bench_output("load_app", *args, timeout=600)
    head = out.splitlines()[0]
    ok = int(head.split(" requests ok")[0].split(", ")[-1])
    assert ok >= 5 and ", 0 errors, 0 lost" in head  # at least one round of colorize, hints, recolor, compare and maps
    (minute, requests, rss), *_ = table_rows(out)
    assert minute == "1" and int(requests) == ok and float(rss) > 0


def test_the_soaks_memory_growth_is_the_level_not_one_sample_against_a_peak():
    """RSS samples 5 s apart move by tens of MB within a minute; the growth compares the median of minute 6 with the
    median of the last 5 minutes, and the peak over the first sample after minute 5 is reported beside it."""
    from bench.load_app import Tally, soak_table

    memory = [(s, 600.0 + (40 if s % 60 == 30 else 0) - (20 if s == 300 else 0)) for s in range(0, 1800, 5)]
    memory[-10:] = [(s, r + 30) for s, r in memory[-10:]]  # the last 50 s higher: not the level of 5 minutes
    out = soak_table(Tally(latencies=[0.5], done=[0.0]), memory, 0.0, 4)
    assert "the median of minute 6: 600 MB; of the last 5 minutes: 600 MB (growth +0.0%" in out
    assert "at most 670 MB, +15.5% over the first sample after minute 5 (580 MB)" in out


def test_request_time_breaks_a_colorize_request_down_against_the_translator():
    out = bench_output("request_time", "--runs", "1", timeout=600)
    rows = {r[0]: (float(r[1]), r[2]) for r in table_rows(out)}
    assert rows["Translator (the network and its colour conversions)"][1] == "1.0x"
    handler = next(v[0] for k, v in rows.items() if k.startswith("handler (decode + Translator + PNG download"))
    http, script = (next(v[0] for k, v in rows.items() if k.startswith(f"end to end {how}")) for how in ("over HTTP", "through"))
    assert http > handler > 0 and script > handler  # each client's whole wait includes the handler's
    assert next(v for k, v in rows.items() if k.startswith("a Gradio endpoint doing nothing"))[0] > 0
    assert "target, end to end over HTTP at most 3x the Translator" in out
    if shutil.which("chromium"):  # a user's own wait in the page, with and without a hint stroke (CI installs chromium)
        page = [v[0] for k, v in rows.items() if k.startswith("in chromium")]
        assert len(page) == 2 and min(page) > handler


def test_folder_benchmark_compares_the_loop_with_the_folder_run():
    args = ["--images", "3", "--size", "128"]
    out = bench_output("predict_folder", *args)
    rows = table_rows(out)
    assert [r[0].split(" (")[0] for r in rows] == ["single-image path in a loop", "folder run"]
    assert all(float(r[2]) > 0 for r in rows)


def test_decode_benchmark_times_a_photo_with_and_without_a_colour_profile():
    args = ["--megapixels", "0.3", "--runs", "1"]
    out = bench_output("decode", *args)
    rows = table_rows(out)
    assert [r[0].split(",")[0].split(" (")[0] for r in rows] == ["no colour profile", "Adobe RGB", "Adobe RGB",
                                                                 "training's read to 286 px", "training's read to 286 px"]
    assert rows[4][0].endswith("Adobe RGB")
    assert all(float(r[1]) > 0 for r in rows) and rows[0][2] == "1.00x"


def test_gpu_pack_keeps_the_training_paintings_squashed_to_the_load_size_under_their_names(paintings, tmp_path):
    from PIL import Image

    from bench.gpu_pack import LOAD, pack_paintings
    from pix2pix.training.data import painting_files

    pack_paintings(paintings, tmp_path / "packed", ["Monet"])
    packed = sorted((tmp_path / "packed" / "images").iterdir())
    assert [p.name for p in packed] == [p.name for p in painting_files(paintings, ["Monet"], "train")[1]]  # no held-out ones
    assert all(Image.open(p).size == (LOAD, LOAD) for p in packed)
    assert (tmp_path / "packed" / "artists.csv").exists()
