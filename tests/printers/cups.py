"""A running CUPS scheduler for the spooler tests, and raw queues pointed at loopback
printers. In CI (CI=true) a missing or dead CUPS fails the run; locally it skips, saying
why. `.ci/run` installs and starts CUPS."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CI = os.environ.get("CI", "").lower() == "true"
C_LOCALE = {**os.environ, "LC_ALL": "C", "LANG": "C"}


def unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"CUPS is required in CI: {reason}")
    pytest.skip(f"CUPS is not available here: {reason}")


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=C_LOCALE, timeout=30)


def scheduler_running() -> bool:
    return "scheduler is running" in run("lpstat", "-r").stdout


def ensure_scheduler() -> None:
    """Start `cupsd` if it is installed but not running (needs root), then wait for it."""
    for tool in ("lp", "lpstat", "lpadmin"):
        if shutil.which(tool) is None:
            unavailable(f"{tool!r} is not installed (apt-get install cups cups-client cups-bsd)")
    if scheduler_running():
        return
    cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
    if not os.path.exists(cupsd):
        unavailable("cupsd is not installed")
    if os.geteuid() != 0:
        unavailable("cupsd is not running and only root may start it here")
    subprocess.run([cupsd], capture_output=True, timeout=30)  # daemonises
    for _ in range(100):
        if scheduler_running():
            return
        time.sleep(0.1)
    unavailable("cupsd did not start within 10 s")


@contextmanager
def raw_queue(port: int) -> Iterator[str]:
    """A raw CUPS queue (no model: jobs pass through untouched) to 127.0.0.1:`port`."""
    name = f"orderhub-test-{uuid.uuid4().hex[:8]}"
    created = run("lpadmin", "-p", name, "-E", "-v", f"socket://127.0.0.1:{port}")
    if created.returncode != 0:
        unavailable(f"lpadmin could not create a raw queue: {created.stderr.strip()}")
    try:
        yield name
    finally:
        run("lpadmin", "-x", name)
