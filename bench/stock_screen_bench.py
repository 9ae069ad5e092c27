"""The stock screen's reads (`tui.widgets.stock.listing`) with a large catalogue.

    .venv/bin/python bench/stock_screen_bench.py                  # 50,000 SKUs × 2 warehouses
    .venv/bin/python bench/stock_screen_bench.py --skus 2000 --repeat 5   # a quick run

The screen shows a page (100 rows) of what matches its filter, read in a worker thread.
`core.stock.levels.list_levels` and `core.stock.catalogue.list_skus` have no page or
search of their own, so each read asks the service for every row of the org, keeps the
ones that match and cuts the page. This times, median of `--repeat` runs (and the
slowest), on a fresh SQLite database (not timed: N SKUs inserted, one receipt of each
into each warehouse through `core.stock.operations.receive`):

| figure | what it reads |
|---|---|
| `levels_service` | `list_levels` alone: the floor of any read of the screen |
| `levels_page` | the screen's first page of levels, no filter |
| `levels_filter` | the same with a filter matching one SKU in each warehouse |
| `levels_low_first` | the same ordered lowest available first |
| `skus_page` | the first page of the catalogue (`list_skus`, ORM rows) |
| `plain_page` | the simplest way to read a page: one `SELECT … LIMIT 100` (driver only) |

`plain_page` is what a paged service could cost. It prints the ratio of `levels_page`
to `plain_page`, and the peak memory Python allocated during one `levels_page` read
(tracemalloc): the full answer lives only while the page is cut from it. The machine's
speed is a plain 20,000,000-step loop.
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
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="stock-screen-bench-"))
    url, cleanup = fresh_database("sqlite", work)
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

    page = listing.Query()
    one = listing.Query(text=codes[count // 2])
    low = listing.Query(low_first=True)
    runs: dict[str, Callable[[], object]] = {
        "levels_service": lambda: levels.list_levels(app, admin),
        "levels_page": lambda: listing.read_levels(app, admin, page),
        "levels_filter": lambda: listing.read_levels(app, admin, one),
        "levels_low_first": lambda: listing.read_levels(app, admin, low),
        "skus_page": lambda: listing.read_skus(app, admin, page),
        "plain_page": lambda: _plain_page(app, org.id),
    }
    figures: dict[str, object] = {"skus": count, "levels": count * len(HOUSES)}
    for name, run in runs.items():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        figures[f"{name}_ms"] = round(1000 * statistics.median(times), 1)
        figures[f"{name}_max_ms"] = round(1000 * max(times), 1)
    figures["page_vs_plain"] = round(
        figures["levels_page_ms"] / max(figures["plain_page_ms"], 0.01),  # type: ignore[operator]
        1,
    )
    tracemalloc.start()
    listing.read_levels(app, admin, page)
    figures["levels_page_peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
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


def _report(figures: dict[str, object]) -> None:
    print(f"stock screen reads: {figures['skus']:,} SKUs, {figures['levels']:,} levels (SQLite)")
    for name in (
        "levels_service",
        "levels_page",
        "levels_filter",
        "levels_low_first",
        "skus_page",
        "plain_page",
    ):
        print(f"  {name:<17} {figures[f'{name}_ms']:>8} ms  (slowest {figures[f'{name}_max_ms']})")
    print(f"  levels_page / plain_page: {figures['page_vs_plain']}×")
    print(f"  peak Python memory of one levels_page read: {figures['levels_page_peak_mib']} MiB")
    print(
        f"calibration: a plain 20,000,000-step loop takes {figures['calibration_s']:.2f} s here;"
        f" load average {figures['load_average']}"
    )


if __name__ == "__main__":
    raise SystemExit(main())
