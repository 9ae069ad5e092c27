"""The stock screen's reads (`tui.widgets.stock.listing`) with a large catalogue.

    .venv/bin/python bench/stock_screen_bench.py                  # 50,000 SKUs × 2 warehouses
    .venv/bin/python bench/stock_screen_bench.py --backend postgres   # ORDERHUB_TEST_PG_URL
    .venv/bin/python bench/stock_screen_bench.py --skus 2000 --repeat 5   # a quick run

The screen shows a page (100 rows) of what matches its filter, read in a worker thread.
`core.stock.levels.list_levels` and `core.stock.catalogue.list_skus` read that page
themselves (a keyset `after` the last row's key, the filter in SQL), and the counts in
the status line are a separate call made with a filter's first page. This times, median
of `--repeat` runs (and the slowest, and the 95th percentile when there are 20 runs or
more), on a fresh database (not timed: N SKUs inserted, one receipt of each into each
warehouse through `core.stock.operations.receive`):

| figure | what it reads |
|---|---|
| `levels_service` | `list_levels` without a limit: every level, what the screen read before |
| `levels_paged` | `list_levels(limit=100)` alone: a page, by warehouse and code |
| `levels_page` | the screen's first page of levels with its counts, no filter |
| `levels_next_page` | the screen's `]` from the middle of the list (a page, counts reused) |
| `levels_filter` | the first page with a filter matching one SKU in each warehouse |
| `levels_low_first` | the first page ordered lowest available first, counts reused |
| `levels_low_next` | `]` in that order from the middle of the list |
| `skus_page` | the catalogue's first page with its count |
| `skus_next_page` | the catalogue's `]` from the middle |
| `skus_filter` | the catalogue's first page with a filter matching one SKU |
| `plain_page` | the simplest way to read a page: one `SELECT … LIMIT 100` (driver only) |
| `plain_indexed` | the simplest page an index serves: one warehouse by code, driver only |

`plain_page` orders by warehouse name and code, which no index serves (it sorts every
level); `plain_indexed` is the floor of an indexed page. It prints the ratio of
`levels_paged` and of `levels_page` to both, and the peak memory Python allocated during
one `levels_page` read (tracemalloc). The machine's speed is a plain 20,000,000-step loop.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import fresh_database  # noqa: E402 - a sibling module: bench/ is the script's dir
from calibration import loop_seconds  # noqa: E402 - a sibling module too
from sqlalchemy import insert, text  # noqa: E402

from core import crypto  # noqa: E402
from core.accounts.users import create_org_with_admin  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.app import App  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.models import Sku  # noqa: E402
from core.startup import open_app  # noqa: E402
from core.stock import levels, operations, warehouses  # noqa: E402
from core.stock.operations import Line  # noqa: E402
from tui.widgets.stock import listing  # noqa: E402

HOUSES = ("主仓", "北仓")
BATCH = 5_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stock-screen-bench-"))
    url, cleanup = fresh_database(args.backend, work)
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=crypto.generate_key(),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1),
        plugins=PluginSettings(only=("orderhub",)),
        source="bench",
    )
    app = open_app(settings)
    try:
        figures = _run(app, args.skus, args.repeat)
    finally:
        app.close()
        cleanup()  # type: ignore[operator]
    figures["backend"] = args.backend
    figures["calibration_s"] = loop_seconds()
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        _report(figures)
    return 0


def _run(app: App, count: int, repeat: int) -> dict[str, object]:
    org, user = create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    admin = Actor(org_id=org.id, user_id=user.id, label="boss")
    for name in HOUSES:
        warehouses.add_warehouse(app, admin, name)
    codes = [f"SKU-{n:06d}" for n in range(count)]
    with app.tx() as session:
        session.execute(
            insert(Sku),
            [
                {
                    "org_id": org.id,
                    "code": c,
                    "name": f"商品 {c} 红色 M",
                    "barcode": "",
                    "weight_g": 1,
                }
                for c in codes
            ],
        )
    for house in HOUSES:
        for start in range(0, count, BATCH):
            lines = [Line(c, 1 + n % 7) for n, c in enumerate(codes[start : start + BATCH])]
            operations.receive(app, admin, lines, warehouse=house)
    assert len(levels.list_levels(app, admin)) == count * len(HOUSES)
    if app.engine.dialect.name == "postgresql":
        with app.engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # as autovacuum would have by now

    page = listing.Query()
    counted = listing.read_levels(app, admin, page).counted
    middle = levels.list_levels(app, admin, limit=1, after=(HOUSES[0], codes[count // 2]))
    low_middle = levels.list_levels(app, admin, order="available")[count]
    sku_middle = codes[count // 2]
    skus_counted = listing.read_skus(app, admin, page).counted
    runs: dict[str, Callable[[], object]] = {
        "levels_service": lambda: levels.list_levels(app, admin),
        "levels_paged": lambda: levels.list_levels(app, admin, limit=100),
        "levels_page": lambda: listing.read_levels(app, admin, page),
        "levels_next_page": lambda: listing.read_levels(
            app, admin, listing.Query(after=middle[0].key, counted=counted)
        ),
        "levels_filter": lambda: listing.read_levels(
            app, admin, listing.Query(text=codes[count // 2])
        ),
        "levels_low_first": lambda: listing.read_levels(
            app, admin, listing.Query(low_first=True, counted=counted)
        ),
        "levels_low_next": lambda: listing.read_levels(
            app, admin, listing.Query(low_first=True, after=low_middle.key, counted=counted)
        ),
        "skus_page": lambda: listing.read_skus(app, admin, page),
        "skus_next_page": lambda: listing.read_skus(
            app, admin, listing.Query(after=sku_middle, counted=skus_counted)
        ),
        "skus_filter": lambda: listing.read_skus(app, admin, listing.Query(text=sku_middle)),
        "plain_page": lambda: _plain_page(app, org.id),
        "plain_indexed": lambda: _plain_indexed(app, org.id),
    }
    figures: dict[str, object] = {"skus": count, "levels": count * len(HOUSES)}
    for name, run in runs.items():
        times = []
        for _ in range(repeat if name != "levels_service" else min(repeat, 7)):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        figures[f"{name}_ms"] = round(1000 * statistics.median(times), 1)
        figures[f"{name}_max_ms"] = round(1000 * max(times), 1)
        if len(times) >= 20:
            figures[f"{name}_p95_ms"] = round(1000 * statistics.quantiles(times, n=20)[-1], 1)
    for floor, key in (("plain_page", "plain"), ("plain_indexed", "indexed")):
        plain = max(figures[f"{floor}_ms"], 0.01)  # type: ignore[type-var]
        for name in ("levels_paged", "levels_page"):
            figures[f"{name}_vs_{key}"] = round(figures[f"{name}_ms"] / plain, 2)  # type: ignore[operator]
    tracemalloc.start()
    listing.read_levels(app, admin, page)
    figures["levels_page_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
    tracemalloc.stop()
    return figures


def _plain_page(app: App, org_id: int) -> list[tuple[object, ...]]:
    with app.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT w.name, s.code, s.name, l.on_hand, l.reserved FROM stock_levels l"
                    " JOIN warehouses w ON w.id = l.warehouse_id JOIN skus s ON s.id = l.sku_id"
                    " WHERE l.org_id = :org ORDER BY w.name, s.code LIMIT 100"
                ),
                {"org": org_id},
            )
        )


def _plain_indexed(app: App, org_id: int) -> list[tuple[object, ...]]:
    """The simplest read an index serves: the first warehouse's levels by code."""
    with app.engine.connect() as conn:
        return list(
            conn.execute(
                text(
                    "SELECT w.name, s.code, s.name, l.on_hand, l.reserved FROM skus s"
                    " JOIN stock_levels l ON l.sku_id = s.id AND l.warehouse_id ="
                    " (SELECT min(id) FROM warehouses WHERE org_id = :org)"
                    " JOIN warehouses w ON w.id = l.warehouse_id"
                    " WHERE s.org_id = :org ORDER BY s.code LIMIT 100"
                ),
                {"org": org_id},
            )
        )


def _report(figures: dict[str, object]) -> None:
    print(
        f"stock screen reads: {figures['skus']:,} SKUs, {figures['levels']:,} levels"
        f" ({figures['backend']})"
    )
    for name in NAMES:
        p95 = figures.get(f"{name}_p95_ms")
        extra = f", p95 {p95}" if p95 is not None else ""
        print(
            f"  {name:<17} {figures[f'{name}_ms']:>8} ms"
            f"  (slowest {figures[f'{name}_max_ms']}{extra})"
        )
    for floor, key in (("plain_page", "plain"), ("plain_indexed", "indexed")):
        print(
            f"  levels_paged / {floor}: {figures[f'levels_paged_vs_{key}']}×;"
            f" levels_page (with counts) / {floor}: {figures[f'levels_page_vs_{key}']}×"
        )
    print(f"  peak Python memory of one levels_page read: {figures['levels_page_peak_mib']} MiB")
    print(
        f"calibration: a plain 20,000,000-step loop takes {figures['calibration_s']:.2f} s here;"
        f" load average {figures['load_average']}"
    )


NAMES = (
    "levels_service",
    "levels_paged",
    "levels_page",
    "levels_next_page",
    "levels_filter",
    "levels_low_first",
    "levels_low_next",
    "skus_page",
    "skus_next_page",
    "skus_filter",
    "plain_page",
    "plain_indexed",
)


if __name__ == "__main__":
    raise SystemExit(main())
