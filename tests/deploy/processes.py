"""Real `orderhub serve` and `orderhub worker` processes for the deployment test.

Each runs `python -m cli.main …` from this checkout (PYTHONPATH), reads a TOML config
through `ORDERHUB_CONFIG` with every other `ORDERHUB_*` variable removed — as an operator
starts one — and logs to a file of its own.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.sync.processes import clean_env

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """`orderhub ARGS…`, its output in `log`."""

    def __init__(self, config: Path, log: Path, *args: str) -> None:
        self.config, self.log, self.args = config, log, args
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        env = clean_env(self.config)
        env["PYTHONPATH"] = str(ROOT)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli.main", *self.args],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.alive(), f"{self.args} exited early:\n{self.output()}"
            assert time.monotonic() < deadline, f"{self.args}: no {text!r}:\n{self.output()}"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up, leases stay behind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM and wait; the exit code (None when it was not running)."""
        if not self.alive():
            return None if self.process is None else self.process.returncode
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=30)


class Serve(Process):
    def __init__(self, config: Path, log: Path) -> None:
        self.port = free_port()
        super().__init__(config, log, "serve", "--port", str(self.port))
        self.base = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                httpx.get(f"{self.base}/v1/openapi.json", timeout=2).raise_for_status()
                return
            except httpx.TransportError:
                assert self.alive(), f"serve exited early:\n{self.output()}"
                assert time.monotonic() < deadline, f"serve did not start:\n{self.output()}"
                time.sleep(0.1)


class Worker(Process):
    def __init__(self, config: Path, log: Path, worker_id: str) -> None:
        super().__init__(config, log, "worker", "--worker-id", worker_id, "--poll", "0.2")
        self.worker_id = worker_id

    def wait_started(self, timeout: float = 60) -> None:
        self.wait_for(f"worker {self.worker_id} started", timeout)
