"""The benchmarks of issue 14 still run end to end on a small size (the figures are
the benchmarks' job; these keep the scripts working): routing sends orders where its
rules say, and every low-stock crossing the low-stock bench sets up raises its alert, once."""

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


def test_lowstock_bench_runs_end_to_end() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "lowstock_bench.py"), "--posts", "200", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert figures["posts"] == 200 and figures["crossing"]["alerts"] == 4  # 200 // 50
    for run in ("baseline", "no_check", "no_thresholds", "thresholds", "crossing"):
        assert figures[run]["posts_per_s"] > 0
