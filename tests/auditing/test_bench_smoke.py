"""`bench/audit_bench.py` still runs end to end on a few hundred orders (the figures are
the benchmark's job; this keeps the script working)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_audit_bench_runs_on_two_hundred_orders() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "audit_bench.py"),
            "--size",
            "200",
            "--backends",
            "sqlite",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert figures["sqlite_approved"] == 200 and figures["sqlite_in_exception"] == 20
    assert figures["sqlite_approve_s"] > 0 and figures["sqlite_plain_ratio"] > 0
    assert figures["calibration_s"] > 0
    assert "target ≤ 5.0 s" in done.stderr
