"""`bench/sync_bench.py` still runs (with 2,000 orders): the benchmark itself is not a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sync_bench_runs_end_to_end() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sync_bench.py"), "--orders", "2000", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert figures["stored"] == figures["plain_rows"] == 2000
    assert figures["orders_per_s"] > 0 and figures["plain_rows_per_s"] > 0
    assert figures["plain_ratio"] > 0 and isinstance(figures["pass"], bool)
    assert figures["target_orders_per_s"] == 10_000
    assert figures["readers_cpu_s"] > 0  # the shipped defaults read the pass in processes
    assert figures["sandbox_cpu_s"] >= 0
