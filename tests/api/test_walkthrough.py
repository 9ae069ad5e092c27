"""The script in docs/ that drives the whole flow through the API alone runs as documented:
a fresh data directory, the sandbox gateway, `orderhub serve` and `orderhub worker` as real
processes, every step checked by the script itself (exit 0)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_api_walkthrough_runs_from_a_fresh_data_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERHUB_")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "api_walkthrough.py"), "--keep", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    logs = "".join(
        f"\n--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in tmp_path.glob("*.log")
    )
    assert done.returncode == 0, done.stdout + done.stderr + logs
    out = done.stdout
    for step in (
        "bind the sandbox's shop",
        "审单",
        "print the labels",
        "pack station",
        "confirm shipment",
        "read a report",
        "done: the flow ran through the API",
    ):
        assert f"==> {step}" in out, out
    assert "a retry with the key: the same job" in out
    # Every label printed reached the printer once, and every parcel was confirmed once.
    labels = int(re.search(r"job \d+: (\d+) labels", out).group(1))  # type: ignore[union-attr]
    assert labels > 0
    assert f"the printer received {labels} label(s)" in out
    assert f"{labels} parcels verified" in out
    assert f"'done': {labels}," in out and "'needs_person': 0" in out
