"""`bench/tui_bench.py` and `bench/stock_screen_bench.py` still run end to end on a small
database (the figures are the benchmarks' job; this keeps the scripts and their ways of
timing working)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_tui_bench_runs_on_fifteen_hundred_orders(tmp_path: Path) -> None:
    argv = [sys.executable, str(ROOT / "bench" / "tui_bench.py"), "--orders", "1500"]
    argv += ["--presses", "3", "--starts", "2", "--cache", str(tmp_path), "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=540, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "calibration: a plain 20,000,000-step loop" in done.stderr
    figures = json.loads(done.stdout)
    assert figures["matching"] == 1500
    for name in ("pagedown", "end", "home", "filter", "sweep"):
        assert 0 < figures[name]["p50"] <= figures[name]["p95"], name
    assert figures["pagedown"]["n"] == 3 and figures["sweep"]["n"] == figures["sweep_presses"]
    for name in ("next_page", "last_page", "first_page", "filter_page"):
        assert figures["plain"][name]["p50"] > 0, name
    assert figures["start_warm"]["p50"] > 0 and figures["start_cold"] > 0
    positions = [position for position, _ in figures["rss_mib"]]
    assert positions[0] == 0 and positions[-1] == 1500 and len(positions) >= 5
    assert all(rss > 0 for _, rss in figures["rss_mib"])


def test_stock_screen_bench_runs_on_three_hundred_skus() -> None:
    argv = [sys.executable, str(ROOT / "bench" / "stock_screen_bench.py")]
    argv += ["--skus", "300", "--repeat", "1", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    figures = json.loads(done.stdout)
    assert (figures["skus"], figures["levels"]) == (300, 600)
    for name in ("levels_service", "levels_paged", "levels_page", "levels_next_page", "plain_page"):
        assert 0 < figures[f"{name}_ms"] <= figures[f"{name}_max_ms"], name
    assert figures["calibration_s"] > 0 and figures["levels_page_peak_mib"] > 0
    assert figures["levels_paged_vs_plain"] > 0 and figures["backend"] == "sqlite"
