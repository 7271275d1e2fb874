"""Start the real app (`python app.py`) in a subprocess on a free loopback port: for the HTTP tests and the load test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running app: its URL, its log, and the two temp areas it may write to."""

    url: str
    proc: subprocess.Popen
    log: Path
    uploads: Path  # GRADIO_TEMP_DIR: uploads and outputs
    tmp: Path  # the process's TMPDIR: must stay empty

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_server(root: Path, weights: Path, **env: str) -> Server:
    """Start app.py on a free loopback port with its own temp folders and wait until it accepts connections."""
    port = free_port()
    uploads, tmp = root / "gradio", root / "tmp"
    uploads.mkdir()
    tmp.mkdir()
    env = {**os.environ, "PIX2PIX_WEIGHTS": str(weights), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1",
           "GRADIO_TEMP_DIR": str(uploads), "TMPDIR": str(tmp), **env}  # fmt: skip
    log = root / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/", proc, log, uploads, tmp)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited: {server.log_text()}")
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"app did not start in 120 s: {server.log_text()}")
