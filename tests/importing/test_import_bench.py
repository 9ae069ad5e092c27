"""bench/import_bench.py runs end to end on a small file (the figures are the bench's job;
this only keeps the script working)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_bench_runs_on_a_thousand_rows() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "import_bench.py"),
            "--size",
            "1000",
            "--encoding",
            "gbk",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imported: 1000 rows, 1000 new" in done.stdout
    assert "re-import: imported: 1000 rows, 0 new, 0 updated, 1000 unchanged" in done.stdout
    for figure in ("elapsed_s", "rows_per_s", "peak_rss_mib"):
        assert figure in done.stdout
