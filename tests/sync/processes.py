"""Real `orderhub worker` processes for the chaos and multi-worker tests.

Each process reads a TOML config file (database, key, `[sync]`, `[platforms.pinduoduo]`
pointing at the sandbox) through `ORDERHUB_CONFIG`, with every other `ORDERHUB_*`
variable of the test run removed, exactly as an operator would start one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

STARTED = "started"


def write_config(path: Path, sections: dict[str, Any]) -> Path:
    """A TOML file from plain values and (nested) tables; strings as JSON strings, which
    are valid TOML basic strings."""
    lines: list[str] = []

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)

    def table(name: str, items: dict[str, Any]) -> None:
        nested = {k: v for k, v in items.items() if isinstance(v, dict)}
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {value(v)}" for k, v in items.items() if not isinstance(v, dict))
        for key, sub in nested.items():
            table(f"{name}.{key}", sub)

    top = {k: v for k, v in sections.items() if not isinstance(v, dict)}
    lines.extend(f"{k} = {value(v)}" for k, v in top.items())
    for name, items in sections.items():
        if isinstance(items, dict):
            table(name, items)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def orderhub_command() -> list[str]:
    script = Path(sys.executable).with_name("orderhub")
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli.main"]


def clean_env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERHUB_")}
    env["ORDERHUB_CONFIG"] = str(config)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def child_pids(pid: int) -> set[int]:
    """Processes whose parent is `pid` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.add(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its (new) parent to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class WorkerProcess:
    """`orderhub worker --worker-id ID --poll S`, its log in a file."""

    def __init__(self, config: Path, worker_id: str, log: Path, poll: float = 0.2) -> None:
        self.config, self.worker_id, self.log, self.poll = config, worker_id, log, poll
        self.process: subprocess.Popen[bytes] | None = None
        self._offset = 0

    def start(self) -> WorkerProcess:
        self._offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    *orderhub_command(),
                    "worker",
                    "--worker-id",
                    self.worker_id,
                    "--poll",
                    str(self.poll),
                ],
                env=clean_env(self.config),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def output(self) -> str:
        """What this run (since the last `start`) logged."""
        if not self.log.exists():
            return ""
        with self.log.open("rb") as handle:
            handle.seek(self._offset)
            return handle.read().decode("utf-8", errors="replace")

    def wait_started(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while f"worker {self.worker_id} {STARTED}" not in self.output():
            if self.process is None or self.process.poll() is not None:
                raise AssertionError(f"worker {self.worker_id} exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {self.worker_id} did not start:\n{self.output()}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is cleaned up."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def kill_with_children(self, timeout: float = 15) -> tuple[set[int], set[int]]:
        """SIGKILL the worker alone, then wait for its child processes (sync readers) to
        end on their own: (children it had, children still alive after `timeout`)."""
        assert self.process is not None
        children = child_pids(self.process.pid)
        self.kill()
        deadline = time.monotonic() + timeout
        alive = children
        while alive and time.monotonic() < deadline:
            time.sleep(0.1)
            alive = {pid for pid in alive if _running(pid)}
        return children, alive

    def terminate(self, timeout: float = 60) -> int:
        """SIGTERM and wait for the graceful exit; the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None
