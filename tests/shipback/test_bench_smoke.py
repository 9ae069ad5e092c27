"""`bench/shipback_bench.py` still runs (300 packages, one worker, SQLite): the benchmark
itself is not a test, but its exactly-once check is."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_shipback_bench_runs_end_to_end() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "shipback_bench.py"),
            *("--size", "300", "--workers", "1", "--backend", "sqlite", "--json"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert figures["outbox_rows"] == 300 and figures["open"] == 0
    assert figures["sandbox_send_calls"]["applied"] == figures["sent"] > 250
    assert figures["packages_per_s"] > 0 and 0 < figures["ratio_to_limit"] < 1
