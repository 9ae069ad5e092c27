"""`bench/print_bench.py` still runs end to end on a few labels (the figures are the
benchmark's job; this keeps the script working)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_print_bench_runs_on_sixty_labels() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "print_bench.py"),
            "--labels",
            "60",
            "--memory-sizes",
            "30,60",
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
    for language in ("tspl", "pdf"):
        assert figures[f"{language}_labels_per_s"] > 0
        assert figures[f"{language}_printers_kept_busy"] >= 1
    assert 0 < figures["first_label_s"] < 30
    assert figures["peak_rss_mib_30"] > 0 and figures["peak_rss_ratio"] > 0
    assert "printers' paper speed" in done.stderr and "first_label_s" in done.stderr
