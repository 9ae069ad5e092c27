"""Order export at scale: 100,000 orders to XLSX through `core.exports.orders`.

    .venv/bin/python bench/export_bench.py                      # 100,000 orders, XLSX, SQLite
    .venv/bin/python bench/export_bench.py --format csv         # the same to CSV
    .venv/bin/python bench/export_bench.py --backend postgres   # needs ORDERHUB_TEST_PG_URL
    .venv/bin/python bench/export_bench.py --reveal             # receivers decrypted (audited)
    .venv/bin/python bench/export_bench.py --profile 25         # + the 25 hottest functions
    .venv/bin/python bench/export_bench.py --xlsxwriter         # + xlsxwriter on the same rows
    .venv/bin/python bench/export_bench.py --orders 2000 --json # what the smoke test runs

Issue 14's target: 100,000 orders to XLSX in ≤ 10 s with flat memory. The orders are
the order desk bench's (`desk_bench_data`: 1–3 lines each, so ≈ 167,000 rows), written
into a fresh database first (not timed; `--keep DIR` keeps and reuses the SQLite file).
Then, timed: the export of every order, the service the CLI calls, to a file. Printed:
elapsed and CPU seconds, rows and orders per second, the resident memory before the
export and its peak growth while it runs (/proc/self/statm sampled every 5 ms, in a
fresh process that built nothing), the file's size, the machine's speed and load, and
the ratio to the simplest way of writing the same file — the same rows already in
memory, handed to the XLSX writer itself (`core.tabular.xlsx_writer`; csv.writer for
CSV), no database — which is what the batches' queries and the row building cost on
top of the writer. `--xlsxwriter` also times xlsxwriter writing those rows (what the
exports used before; not a dependency, timed only if installed).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import desk_bench_data as data  # noqa: E402 - a sibling module: bench/ is the script's dir
from bench_db import fresh_database  # noqa: E402
from calibration import loop_seconds  # noqa: E402

from core import clock, crypto  # noqa: E402
from core.accounts.users import create_org_with_admin  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.app import App  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.exports import orders, scope  # noqa: E402
from core.models import Org  # noqa: E402
from core.startup import open_app  # noqa: E402

TARGET_S = 10.0
FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


class PeakRss:
    """The highest resident size seen while in the block (sampled every 5 ms)."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def settings(url: str, key: str, work: Path) -> Settings:
    return Settings(
        data_dir=work,
        database_url=url,
        secret_key=key,
        auth=FAST_AUTH,
        plugins=PluginSettings(only=("orderhub",)),
        source="bench",
    )


def prepared(backend: str, count: int, work: Path, keep: Path | None) -> tuple[str, str, Any]:
    """(url, key, cleanup) of a database holding `count` bench orders."""
    key_file = (keep or work) / "export-bench.key"
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(crypto.generate_key())
    key = key_file.read_text().strip()
    kept = keep / f"export_{count}.db" if keep is not None and backend == "sqlite" else None
    if kept is not None and kept.exists():
        return f"sqlite:///{kept}", key, lambda: None
    url, cleanup = fresh_database(backend, work)
    app = open_app(settings(url, key, work))
    started = time.perf_counter()
    org, _ = create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    data.build(app, org.id, count)
    with app.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    app.close()
    print(f"built {count:,} orders in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if kept is not None:
        (work / "bench.db").replace(kept)
        return f"sqlite:///{kept}", key, cleanup
    return url, key, cleanup


def measured(
    url: str, key: str, work: Path, fmt: str, reveal: bool, profile: int, xlsxwriter: bool
) -> dict:
    """`measure` in a fresh process (spawned, not forked), so the memory figures are the
    export's own, not what building the orders left behind."""
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        return pool.apply(
            _measure_in_child, (url, key, str(work), fmt, reveal, profile, xlsxwriter)
        )


def _measure_in_child(
    url: str, key: str, work: str, fmt: str, reveal: bool, profile: int, xlsxwriter: bool
) -> dict[str, Any]:
    app = open_app(settings(url, key, Path(work)))
    try:
        return measure(app, fmt, reveal, Path(work), profile, xlsxwriter)
    finally:
        app.close()


def cpu_seconds() -> float:
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def measure(
    app: App, fmt: str, reveal: bool, work: Path, profile: int, xlsxwriter: bool = False
) -> dict[str, Any]:
    with app.tx() as session:
        org_id = session.query(Org.id).filter_by(name="bench").scalar()
    actor = Actor.system(org_id, label="bench")
    target = work / f"orders.{fmt}"
    figures: dict[str, Any] = {"backend": app.engine.dialect.name, "format": fmt}
    with PeakRss() as rss, open(target, "wb") as out:
        cpu, started = cpu_seconds(), time.perf_counter()
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            done = profiler.runcall(orders.export_orders, app, actor, out, fmt, reveal=reveal)
        else:
            done = orders.export_orders(app, actor, out, fmt, reveal=reveal)
        figures["elapsed_s"] = round(time.perf_counter() - started, 2)
        figures["cpu_s"] = round(cpu_seconds() - cpu, 2)
    figures["rows"] = done.rows
    figures["rows_per_s"] = round(done.rows / figures["elapsed_s"])
    figures["rss_before_mib"] = round(rss.start / 2**20, 1)
    figures["rss_growth_mib"] = round((rss.peak - rss.start) / 2**20, 1)
    figures["file_mib"] = round(target.stat().st_size / 2**20, 1)
    if profile:
        import pstats

        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(profile)
    rows = in_memory(app, actor)
    cpu, started = cpu_seconds(), time.perf_counter()
    simplest(rows, fmt, work / f"simplest.{fmt}")
    figures["simplest_s"] = round(time.perf_counter() - started, 2)
    figures["simplest_cpu_s"] = round(cpu_seconds() - cpu, 2)
    figures["ratio"] = round(figures["elapsed_s"] / figures["simplest_s"], 2)
    figures["cpu_ratio"] = round(figures["cpu_s"] / figures["simplest_cpu_s"], 2)
    if xlsxwriter and fmt == "xlsx" and importlib.util.find_spec("xlsxwriter") is None:
        print("--xlsxwriter: xlsxwriter is not installed, not timed", file=sys.stderr)
    elif xlsxwriter and fmt == "xlsx":
        cpu, started = cpu_seconds(), time.perf_counter()
        with_xlsxwriter(rows, work / "xlsxwriter.xlsx")
        figures["xlsxwriter_s"] = round(time.perf_counter() - started, 2)
        figures["xlsxwriter_cpu_s"] = round(cpu_seconds() - cpu, 2)
    return figures


def in_memory(app: App, actor: Actor) -> list[list[Any]]:
    """The export's rows, read once into a list (not timed)."""
    req = scope.request("", None, None, "xlsx")
    from sqlalchemy import select

    from core.models import Order

    base = select(Order.id).where(*scope.order_clauses(req, actor, app))
    return list(
        scope.batches(
            app, base, Order.id, lambda s, ids: orders._rows(s, actor.org_id, ids, False)[0]
        )
    )


def simplest(rows: list[list[Any]], fmt: str, path: Path) -> None:
    """The same rows written the plainest way: no batches, no database (CSV: csv.writer,
    no cell rules; XLSX: our writer itself, `core.tabular.xlsx_writer`)."""
    if fmt == "csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(orders.COLUMNS)
            writer.writerows(rows)
        return
    from core.tabular.xlsx_writer import write_xlsx

    with open(path, "wb") as out:
        write_xlsx(out, orders.COLUMNS, rows, "orders", max_rows=len(rows))


def with_xlsxwriter(rows: list[list[Any]], path: Path) -> None:
    """The same rows through xlsxwriter (what exports used before our writer), cell by
    cell with its plain `write` in `constant_memory` mode: `--xlsxwriter`, if installed."""
    import xlsxwriter  # not a dependency: only this comparison uses it

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    stamp = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    sheet.write_row(0, 0, orders.COLUMNS)
    for number, row in enumerate(rows, start=1):
        for col, cell in enumerate(row):
            if cell is None:
                continue
            sheet.write(
                number,
                col,
                cell.astimezone(clock.SHANGHAI).replace(tzinfo=None)
                if isinstance(cell, datetime)
                else cell,
                stamp if isinstance(cell, datetime) else None,
            )
    book.close()


def report(figures: dict[str, Any], orders_count: int, loop_s: float) -> None:
    verdict = "PASS" if figures["elapsed_s"] <= TARGET_S else "FAIL"
    print(
        f"export of {orders_count:,} orders to {figures['format'].upper()} ({figures['backend']})"
    )
    print(
        f"  elapsed   {figures['elapsed_s']:.2f} s (target ≤ {TARGET_S:.0f} s: "
        f"{figures['elapsed_s'] / TARGET_S:.2f}×, {verdict}); CPU {figures['cpu_s']:.2f} s"
    )
    print(
        f"  rows      {figures['rows']:,} ({figures['rows_per_s']:,} rows/s, "
        f"{round(orders_count / figures['elapsed_s']):,} orders/s), file {figures['file_mib']} MiB"
    )
    print(
        f"  memory    {figures['rss_before_mib']} MiB resident before, "
        f"+{figures['rss_growth_mib']} MiB at the peak of the export"
    )
    print(
        f"  simplest  {figures['simplest_s']:.2f} s, CPU {figures['simplest_cpu_s']:.2f} s (the "
        f"same rows from memory, plain writer): the export takes {figures['ratio']:.2f}× that "
        f"({figures['cpu_ratio']:.2f}× in CPU)"
    )
    if "xlsxwriter_s" in figures:
        print(
            f"  xlsxwriter {figures['xlsxwriter_s']:.2f} s, "
            f"CPU {figures['xlsxwriter_cpu_s']:.2f} s "
            "(the same rows from memory, what exports used before)"
        )
    print(
        f"  machine   {os.cpu_count()} CPUs, load {[round(x, 2) for x in os.getloadavg()]}, "
        f"calibration: a plain 20,000,000-step loop takes {loop_s:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--reveal", action="store_true", help="receivers decrypted (pii.view)")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite database here")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="N hottest functions")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    parser.add_argument(
        "--xlsxwriter", action="store_true", help="also time xlsxwriter writing the same rows"
    )
    args = parser.parse_args(argv)
    loop_s = loop_seconds()
    with tempfile.TemporaryDirectory(prefix="orderhub-export-bench-") as tmp:
        work = Path(tmp)
        url, key, cleanup = prepared(args.backend, args.orders, work, args.keep)
        try:
            figures = measured(
                url, key, work, args.format, args.reveal, args.profile, args.xlsxwriter
            )
        finally:
            cleanup()
    figures["orders"] = args.orders
    figures["loop_s"] = loop_s
    if args.json:
        print(json.dumps(figures))
    else:
        report(figures, args.orders, loop_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
