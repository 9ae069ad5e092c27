"""`bench/routing_bench.py` still runs end to end on a few hundred orders (the figures are
the benchmark's job; this keeps the script working and its routing honest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_routing_bench_runs_on_a_few_hundred_orders() -> None:
    argv = [sys.executable, str(ROOT / "bench" / "routing_bench.py"), "--size", "300"]
    argv += ["--backends", "sqlite", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert figures["sqlite_routed"] == 300
    # the province rule and the stock rule both send orders somewhere; nobody is short
    assert set(figures["sqlite_spread"]) == {"北仓", "南仓"}
    assert figures["sqlite_route_s"] > 0 and figures["sqlite_route_share"] > 0
