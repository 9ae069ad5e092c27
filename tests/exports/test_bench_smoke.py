"""`bench/export_bench.py` still runs end to end on a thousand orders (the figures are the
benchmark's job; this keeps the script working)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_export_bench_runs_on_a_thousand_orders() -> None:
    argv = [sys.executable, str(ROOT / "bench" / "export_bench.py"), "--orders", "1000", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert figures["orders"] == 1000 and figures["rows"] >= 1000  # one row per order line
    assert figures["elapsed_s"] > 0 and figures["simplest_s"] > 0 and figures["ratio"] > 0
    assert figures["rss_growth_mib"] >= 0 and figures["file_mib"] > 0 and figures["loop_s"] > 0
