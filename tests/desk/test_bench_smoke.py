"""`bench/desk_bench.py` still runs end to end on a few thousand orders (the figures are
the benchmark's job; this keeps the script working)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_desk_bench_runs_on_two_thousand_orders(tmp_path: Path) -> None:
    argv = [sys.executable, str(ROOT / "bench" / "desk_bench.py"), "--orders", "2000"]
    argv += ["--repeat", "3", "--cache", str(tmp_path), "--json", "--verbose"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    (figures,) = json.loads(done.stdout)["results"]
    for name in ("typical", "counts", "phone", "waybill"):
        assert figures[f"{name}_p50"] > 0 and figures[f"{name}_p95"] >= figures[f"{name}_p50"]
    assert "ix_orders_org_tab" in figures["counts_indexes"]
    assert "ix_orders_org_phone_hash" in figures["phone_indexes"]
    assert "ix_waybills_org_number" in figures["waybill_indexes"]
    assert figures["page_rows"] >= 0 and "QUERY PLAN" not in done.stdout
    assert "SEARCH orders USING" in done.stderr  # --verbose: the plans
    again = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False, cwd=ROOT)
    assert again.returncode == 0 and "building" not in again.stderr  # the cached database
