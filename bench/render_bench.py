"""Render throughput per document language, against one printer's paper speed.

    .venv/bin/python bench/render_bench.py [--labels N] [--repeats R] [--template NAME]
                                           [--dpi 203] [--languages tspl,zpl,escpos,png,pdf]

Renders N distinct labels (each its own waybill number, receiver and items, so no cache
can hide the per-label work) of a built-in template with the sample data, in one process,
one document per label ("single") and, for renderers that batch, 100 labels per document
("batch"). Prints labels/s (the best of R runs, after a warm-up; also per CPU-second of this
process, which stays meaningful on a busy machine), bytes per label, and how many printers
that keeps busy at 57.3 labels/min (a 76×130 mm label plus gap at 127 mm/s,
printing.md §7). Issue 4 asks for ≥ 200 labels/s for TSPL raster labels with Chinese text
and ≥ 1,000 labels/s for PDF. Rendering only: sending is the print-job benchmark's part.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.calibration import line as calibration_line
from core.contracts.renderer import RenderRequest
from core.templates import ItemLine, Party, builtin_template
from core.templates.samples import ITEMS, sample_label
from plugins.renderers.escpos import EscposRenderer
from plugins.renderers.pdf import PdfRenderer
from plugins.renderers.png import PngRenderer
from plugins.renderers.tspl import TsplRenderer
from plugins.renderers.zpl import ZplRenderer

PRINTER_LABELS_PER_MIN = 57.3  # 133 mm pitch at 127 mm/s
RENDERERS = {
    "tspl": TsplRenderer,
    "zpl": ZplRenderer,
    "escpos": EscposRenderer,
    "png": PngRenderer,
    "pdf": PdfRenderer,
}
STREETS = ("科技南十二路 2 号", "文一西路 969 号", "人民路 88 号 5 栋", "解放大道 1277 号")
NAMES = ("张晓明", "李娜", "王建国", "赵丽颖", "陈一鸣", "刘洋")
BATCH = 100


def requests(language: str, count: int, template: str, dpi: int) -> list[RenderRequest]:
    """`count` different labels: numbers, names, addresses and items all vary."""
    spec = builtin_template(template)
    out = []
    for i in range(count):
        label = sample_label(
            waybill_number=f"YT75{i:011d}",
            sort_code=f"{300 + i % 500}-A{i % 90:02d} {i % 1000:03d}",
        )
        receiver = Party(
            NAMES[i % len(NAMES)],
            f"1380000{i % 10000:04d}",
            f"广东省 深圳市 南山区 {STREETS[i % 4]} {i % 30} 楼",
        )
        items = (*ITEMS[: 1 + i % 3], ItemLine(f"赠品 {i % 7} 号", 1 + i % 2))
        data = label.__class__(**{**label.__dict__, "receiver": receiver, "items": items})
        out.append(RenderRequest(spec, data.to_mapping(), language, dpi=dpi))
    return out


def measure(
    language: str, batch: bool, reqs: Sequence[RenderRequest], repeats: int
) -> tuple[float, float, int]:
    """Best labels/s over `repeats` runs by the wall clock and by this process's CPU time
    (the second is what one core does when other processes share the machine), and bytes
    per label."""
    renderer = RENDERERS[language]()
    warm = reqs[: min(len(reqs), 20)]
    renderer.render_batch(warm) if batch else [renderer.render(r) for r in warm]
    best_wall = best_cpu = 0.0
    size = 0
    for _ in range(repeats):
        size = 0
        wall, cpu = time.perf_counter(), time.process_time()
        if batch:
            for i in range(0, len(reqs), BATCH):
                size += len(renderer.render_batch(reqs[i : i + BATCH]).content)
        else:
            for r in reqs:
                size += len(renderer.render(r).content)
        best_wall = max(best_wall, len(reqs) / (time.perf_counter() - wall))
        best_cpu = max(best_cpu, len(reqs) / max(time.process_time() - cpu, 1e-9))
    return best_wall, best_cpu, size // len(reqs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--template", default="label-76x130")
    parser.add_argument("--dpi", type=int, default=203)
    parser.add_argument("--languages", default=",".join(RENDERERS))
    args = parser.parse_args(argv)
    languages = [x for x in args.languages.split(",") if x]
    print(
        f"render bench: {args.labels} labels of {args.template} at {args.dpi} dpi, best of "
        f"{args.repeats}; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"one process; printer = {PRINTER_LABELS_PER_MIN} labels/min"
    )
    print(calibration_line())
    for language in languages:
        reqs = requests(language, args.labels, args.template, args.dpi)
        modes = [False] + ([True] if RENDERERS[language].SUPPORTS_BATCH else [])
        for batch in modes:
            rate, cpu_rate, size = measure(language, batch, reqs, args.repeats)
            printers = rate / (PRINTER_LABELS_PER_MIN / 60)
            mode = f"batch/{BATCH}" if batch else "single"
            print(
                f"{language:<7}{mode:<10}{rate:9.1f} labels/s ({cpu_rate:7.1f} per CPU-second)"
                f"  {size:>7,} B/label  ratio to one printer {printers:,.0f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
