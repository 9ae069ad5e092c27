"""`bench/api_bench.py` still runs end to end on a small database (the figures are the
benchmark's job; this keeps the script working): the real `orderhub serve --workers 2`, the
load generator process, the bare Starlette ceiling."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_api_bench_runs_on_fifteen_hundred_orders(tmp_path: Path) -> None:
    argv = [sys.executable, str(ROOT / "bench" / "api_bench.py"), "--orders", "1500"]
    argv += ["--seconds", "1", "--warmup", "0.5", "--concurrency", "4"]
    argv += ["--cache", str(tmp_path), "--sections", "3", "--json"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 1: the target not met
    (figures,) = json.loads(done.stdout)["results"]
    for run in ("api", "bare"):
        assert figures[run]["requests"] > 0 and figures[run]["non_200"] == {}, figures
        assert figures[run]["p99_ms"] >= figures[run]["p50_ms"] > 0
        assert figures[run]["server_cpu_s"] > 0 and figures[run]["server_processes"] >= 3
    assert figures["ratio_to_bare"] > 0
    assert set(figures["sections"]) == {
        "authenticate",
        "search_orders",
        "encode_page",
        "whole_request",
    }
