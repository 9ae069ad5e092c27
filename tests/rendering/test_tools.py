"""The render benchmark runs (a tiny smoke run), and the docs' label picture is current."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from plugins.renderers import preview

ROOT = Path(__file__).resolve().parents[2]


def test_render_bench_smoke(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location(
        "render_bench", ROOT / "bench" / "render_bench.py"
    )
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--labels", "3", "--repeats", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("render bench: 3 labels of label-76x130 at 203 dpi")
    assert re.fullmatch(r"calibration: a plain 20,000,000-step loop takes [\d.]+ s here", out[1])
    rows = {tuple(line.split()[:2]) for line in out[2:]}
    assert rows == {
        ("tspl", "single"),
        ("tspl", "batch/100"),
        ("zpl", "single"),
        ("zpl", "batch/100"),
        ("escpos", "single"),
        ("escpos", "batch/100"),
        ("png", "single"),
        ("pdf", "single"),
        ("pdf", "batch/100"),
    }
    for line in out[2:]:
        match = re.search(r"([\d.]+) labels/s .* ratio to one printer ([\d,]+)", line)
        assert match and float(match[1]) > 0, line


def test_docs_label_picture_is_what_the_renderer_draws(tmp_path: Path) -> None:
    """docs/images/label-76x130.png is regenerated with the command in its error below."""
    fresh = tmp_path / "label.png"
    assert preview.main(["label-76x130", str(fresh)]) == 0
    committed = ROOT / "docs" / "images" / "label-76x130.png"
    assert committed.read_bytes() == fresh.read_bytes(), (
        "docs/images/label-76x130.png is stale: run "
        "python -m plugins.renderers.preview label-76x130 docs/images/label-76x130.png"
    )


def test_preview_writes_each_language_and_reports_bad_input(tmp_path: Path) -> None:
    for suffix in ("pdf", "tspl", "zpl", "escpos"):
        assert preview.main(["packing-slip-a5", str(tmp_path / f"slip.{suffix}")]) == 0
    assert (tmp_path / "slip.pdf").read_bytes().startswith(b"%PDF")
    assert preview.main(["no-such-template", str(tmp_path / "x.png")]) == 1
    with pytest.raises(SystemExit, match=r"unknown output type '\.gif'"):
        preview.main(["label-76x130", str(tmp_path / "x.gif")])
