"""Load test of the running app: N concurrent gradio_client users on loopback, bounded in time.

    python -m bench.load_app                                  # N = 8, 32, 64; concurrency 1 and 2
    python -m bench.load_app --clients 64 --concurrency 2 --requests 6
    python -m bench.load_app --workload compare --clients 1 4 8 --requests 2   # "Compare all models", shipped weights
    python -m bench.load_app --soak 30 --clients 4                             # staying up: 30 minutes of mixed use

For each --concurrency value the app is started (`python app.py --concurrency C`) on a free loopback port
with paper-sized generators (ngf=64, depth 8, random weights: latency does not depend on their values,
and the app labels them untrained), warmed up with one request of each kind, then each N in --clients runs:
N threads start together, each with its own client, and send --requests requests alternating Lab
colorization and aerial -> map translation of the bundled example photos. Latency is from submit to result,
queue wait included. A request that neither returns nor errors within --timeout counts as lost.
`--workload compare` sends "Compare all models" requests instead (every shipped colorizer in weights/ on one
photo), which shows how the server's memory grows with the number of models it holds.
The server's resident memory is sampled from /proc while each N runs. The app is stopped at the end.
`--soak MINUTES` serves the shipped weights for that long to --clients users (default 4), each sending colorize
(with and without colour hints), recolor, compare-all and aerial -> map requests in turn without pause; it prints
a table by minute (requests, errors, lost, resident memory) and the memory growth after the first 5 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from gradio_client import Client, handle_file

from bench.appserver import ROOT, start_server
from pix2pix.hub import Pix2PixGenerator

EXAMPLES = sorted((ROOT / "examples").glob("*.jpg"))


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost: int = 0
    done: list[float] = field(default_factory=list)  # when each request returned (for the soak's table by minute)
    lock: threading.Lock = field(default_factory=threading.Lock)


def paper_weights(folder: Path) -> Path:
    """The models the app would serve after training, at full size, with random weights."""
    Pix2PixGenerator(1, 2, task="colorize", space="lab", artist="Claude Monet", image_size=256).save(folder / "monet-lab")
    Pix2PixGenerator(3, 3, task="maps", direction="AtoB", image_size=256).save(folder / "maps-aerial2map")
    return folder


SOAK_HINTS = '[[100, 80, "#3b8fe0", 6], [300, 200, "#e02020", 6]]'


def request(client: Client, i: int, workload: str = "mixed"):
    image = handle_file(str(EXAMPLES[i % len(EXAMPLES)]))
    if workload == "compare":
        return client.submit(image, 1.0, api_name="/compare_all")
    if workload == "soak":  # every kind of request a user makes, in turn
        kind = i % 5
        if kind < 2:
            return client.submit(image, "photos", "lab", 1.0, SOAK_HINTS if kind else "", api_name="/colorize")
        if kind == 2:
            return client.submit(image, "Claude Monet", "lab", 0.7, api_name="/recolor")
        if kind == 3:
            return client.submit(image, 1.0, api_name="/compare_all")
    if i % 2 == 0:
        return client.submit(image, "Claude Monet", "lab", api_name="/colorize")
    return client.submit(image, "aerial photo -> map", api_name="/translate_map")


def user(url: str, downloads: str, n: int, offset: int, timeout: float, start: threading.Barrier, tally: Tally,
         workload: str, until: float = float("inf")) -> None:
    """One user's `n` requests (or, in a soak, requests until the time `until`), each waited for before the next."""
    client = Client(url, verbose=False, download_files=downloads)
    start.wait()
    for i in range(offset, offset + n):
        if time.time() >= until:
            break
        t = time.perf_counter()
        try:
            request(client, i, workload).result(timeout=timeout)
            with tally.lock:
                tally.latencies.append(time.perf_counter() - t)
                tally.done.append(time.time())
        except TimeoutError:
            with tally.lock:
                tally.lost += 1
        except Exception as e:  # the app's or the queue's error, reported in the table
            with tally.lock:
                tally.errors.append(str(e).splitlines()[0][:120])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_load(url: str, pid: int, clients: int, requests: int, timeout: float, downloads: str, workload: str) -> tuple[Tally,
                                                                                                                      float,
                                                                                                                          float]:
    """N users at once; returns the tally, wall seconds and the server's peak RSS (MB) while it ran."""
    tally, start = Tally(), threading.Barrier(clients + 1)
    threads = [threading.Thread(target=user, args=(url, downloads, requests, k, timeout, start, tally,
                                                   workload)) for k in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0, peak = time.perf_counter(), rss_mb(pid)
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.2)
    return tally, time.perf_counter() - t0, peak


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else (values or [float("nan")])[0]


def soak(minutes: float, clients: int, timeout: float) -> None:
    """The shipped models served for `minutes` to `clients` users without pause: a table by minute and the memory
    growth after the first 5 minutes (the app holds every model and a bounded cache: it should level off)."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = start_server(Path(tmp), ROOT / "weights")
        downloads = str(Path(tmp) / "downloads")
        try:
            warm = Client(srv.url, verbose=False, download_files=downloads)
            for kind in range(5):
                request(warm, kind, "soak").result(timeout=timeout)
            tally, start, t0 = Tally(), threading.Barrier(clients + 1), time.time()
            until = t0 + minutes * 60
            threads = [threading.Thread(target=user, args=(srv.url, downloads, 10**9, 7 * k, timeout, start, tally, "soak",
                                                           until)) for k in range(clients)]  # fmt: skip
            for t in threads:
                t.start()
            start.wait()
            memory = []  # (seconds since start, RSS MB)
            while any(t.is_alive() for t in threads):
                memory.append((time.time() - t0, rss_mb(srv.proc.pid)))
                time.sleep(5)
            print(soak_table(tally, memory, t0, clients))
        finally:
            srv.proc.terminate()
            srv.proc.wait(timeout=60)


def soak_table(tally: Tally, memory: list[tuple[float, float]], t0: float, clients: int) -> str:
    """Requests and resident memory by minute, then the totals and the growth after minute 5."""
    lines = [f"{clients} users, {len(tally.latencies)} requests ok, {len(tally.errors)} errors, {tally.lost} lost; "
             f"p50 {percentile(tally.latencies, 50):.2f} s, p95 {percentile(tally.latencies, 95):.2f} s", "",
             "| minute | requests ok | server RSS MB (end of minute) |", "|---:|---:|---:|"]  # fmt: skip
    for m in range(int(memory[-1][0] // 60) + 1):
        done = sum(m * 60 <= t - t0 < (m + 1) * 60 for t in tally.done)
        rss = [r for s, r in memory if s < (m + 1) * 60][-1]
        lines.append(f"| {m + 1} | {done} | {rss:.0f} |")
    settled = [r for s, r in memory if s >= 300]
    if settled:
        first, last = (statistics.median(r for s, r in memory if lo <= s < hi) for lo, hi in
                       ((300, 360), (memory[-1][0] - 300, memory[-1][0] + 1)))  # fmt: skip
        growth, peak = (last - first) / first, (max(settled) - settled[0]) / settled[0]
        lines.append(f"\nresident memory, the median of minute 6: {first:.0f} MB; of the last 5 minutes: {last:.0f} MB "
                     f"(growth {growth:+.1%}; target under +10%); at most {max(settled):.0f} MB, {peak:+.1%} over the "
                     f"first sample after minute 5 ({settled[0]:.0f} MB)")  # fmt: skip
    for e in sorted(set(tally.errors)):
        lines.append(f"error: {e} ({tally.errors.count(e)}x)")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m bench.load_app", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clients", type=int, nargs="+", help="users at once (default 8 32 64; with --soak, 4)")
    p.add_argument("--requests", type=int, default=4, help="requests per client")
    p.add_argument("--concurrency", type=int, nargs="+", default=[1, 2], help="app settings to compare")
    p.add_argument("--timeout", type=float, default=600, help="seconds after which a request counts as lost")
    p.add_argument("--workload", choices=["mixed", "compare"], default="mixed",
                   help="mixed: colorize + maps; compare: compare all")
    p.add_argument("--soak", type=float, metavar="MINUTES", help="serve the shipped weights this long to --clients users "
                   "(default 4) sending every kind of request, and report errors and memory by minute")
    args = p.parse_args()
    if args.soak:
        soak(args.soak, (args.clients or [4])[0], args.timeout)
        return
    load_table(args.clients or [8, 32, 64], args.requests, args.concurrency, args.timeout, args.workload)


def load_table(clients: list[int], requests: int, concurrency: list[int], timeout: float, workload: str) -> None:
    """The load table: for each app concurrency setting a fresh server, its idle memory, then each number of clients."""
    import torch

    what = ("compare all (every shipped colorizer in weights/ on one photo)" if workload == "compare"
            else "alternating colorize (Lab, 256 px model, full-res output) and aerial -> map (tiled at full size)")  # fmt: skip
    print(f"loopback, {torch.get_num_threads()} CPU threads, torch {torch.__version__}; {requests} requests per client, {what}\n")
    print("| app concurrency | clients | requests | ok | errors | lost | req/s | p50 s | p95 s | max s | server peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        weights = ROOT / "weights" if workload == "compare" else paper_weights(Path(tmp) / "weights")
        downloads = str(Path(tmp) / "downloads")
        for c in concurrency:
            root = Path(tmp) / f"c{c}"
            root.mkdir()
            srv = start_server(root, weights, PIX2PIX_CONCURRENCY=str(c))
            try:
                warm = Client(srv.url, verbose=False, download_files=downloads)
                for kind in (0, 1):  # load the models before timing anything
                    request(warm, kind, workload).result(timeout=timeout)
                print(f"| {c} | (idle, models loaded) | | | | | | | | | {rss_mb(srv.proc.pid):.0f} |", flush=True)
                for n in clients:
                    print_load_row(c, n, requests, *run_load(srv.url, srv.proc.pid, n, requests, timeout, downloads, workload))
            finally:
                srv.proc.terminate()
                srv.proc.wait(timeout=60)


def print_load_row(concurrency: int, clients: int, requests: int, tally: Tally, wall: float, peak: float) -> None:
    """One row of the load table, then one line per kind of error seen."""
    lat = tally.latencies
    cells = [concurrency, clients, clients * requests, len(lat), len(tally.errors), tally.lost, f"{len(lat) / wall:.2f}",
             f"{percentile(lat, 50):.2f}", f"{percentile(lat, 95):.2f}", f"{max(lat, default=float('nan')):.2f}",
             f"{peak:.0f}"]  # fmt: skip
    print("| " + " | ".join(map(str, cells)) + " |", flush=True)
    for e in sorted(set(tally.errors)):
        print(f"|   | error: {e} ({tally.errors.count(e)}x) |")


if __name__ == "__main__":
    main()
