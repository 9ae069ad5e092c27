"""`bench/lowstock_bench.py` still runs (200 posts, SQLite): the benchmark itself is not a
test, but what it counts is — every crossing it sets up raises its alert, once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
