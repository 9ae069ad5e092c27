"""Order desk search at scale: 1,000,000 orders, a typical filter, tab counts, exact search.

    .venv/bin/python bench/desk_bench.py                          # 1,000,000 orders, SQLite
    .venv/bin/python bench/desk_bench.py --backend both           # SQLite and PostgreSQL
    .venv/bin/python bench/desk_bench.py --verbose                # + every query's plan
    .venv/bin/python bench/desk_bench.py --orders 3000 --json     # what the smoke test runs

Issue 11's targets, through the services the front ends call (`core.desk.search`):
a typical filter (`status:pending paid:A..B province:P tag:T`, a 7-day window, the first
page of 100 rows) p50 ≤ 20 ms and p95 ≤ 50 ms; counts of every tab ≤ 300 ms; an exact
phone or waybill search ≤ 10 ms. Each figure is printed with its ratio to the target
(below 1 passes), the machine's speed (a plain 20,000,000-step loop) and its load.

Building a million orders costs minutes on two CPUs, so the database is built once and
kept: a SQLite file under `--cache` (default /tmp/orderhub-desk-bench), or a PostgreSQL
database named after the order count and the schema's fingerprint (its indexes), reused
until the schema changes or `--rebuild`. Which index carries which query is read from the
plans (`EXPLAIN QUERY PLAN` / `EXPLAIN`) and printed with the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import desk_bench_data as data  # noqa: E402 - a sibling module: bench/ is the script's dir
from bench_db import fresh_database  # noqa: E402
from sqlalchemy import Engine, create_engine, event, inspect, text  # noqa: E402

from core import clock, crypto  # noqa: E402
from core.accounts.users import create_org_with_admin  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.app import App  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.db import normalise_url  # noqa: E402
from core.desk import search  # noqa: E402
from core.models import Base, Org  # noqa: E402
from core.startup import open_app  # noqa: E402

TARGETS = {"typical_p50": 20, "typical_p95": 50, "counts": 300, "phone": 10, "waybill": 10}
TOP_PROVINCES = ("广东省", "浙江省", "江苏省", "山东省", "河南省", "四川省")
FAST_AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)
BUILD_VERSION = 1  # bump when desk_bench_data changes what it writes


#: The tables the searches read: a change to their columns or indexes means a new build.
READ_TABLES = (
    "carrier_accounts",
    "order_lines",
    "order_tags",
    "orders",
    "package_lines",
    "packages",
    "print_job_items",
    "shops",
    "tags",
    "users",  # every search loads its user (core.accounts.authz)
    "waybills",
)


def schema_fingerprint() -> str:
    """Changes when a table the searches read changes its columns (or when the data's
    recipe changes); indexes are brought in line on the cached database instead."""
    parts = [f"v{BUILD_VERSION}"]
    for table in (Base.metadata.tables[name] for name in READ_TABLES):
        parts.append(table.name + ":" + ",".join(c.name for c in table.columns))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


def align_indexes(engine: Engine) -> None:
    """Create the model's indexes the cached database lacks and drop those the model no
    longer has, so trying an index costs its creation, not a rebuild of the data."""
    found = inspect(engine)
    changed = []
    for name in READ_TABLES:
        table = Base.metadata.tables[name]
        wanted = {i.name: i for i in table.indexes}
        present = {i["name"] for i in found.get_indexes(name)}
        for index_name in sorted(set(wanted) - present):
            wanted[index_name].create(engine)
            changed.append(f"+{index_name}")
        for index_name in sorted(present - set(wanted)):
            if index_name.startswith("ix_"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP INDEX {index_name}")
                changed.append(f"-{index_name}")
    if changed:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        print(f"cached database's indexes aligned: {' '.join(changed)}", file=sys.stderr)


def _settings(url: str, key: str, work: Path) -> Settings:
    return Settings(
        data_dir=work,
        database_url=url,
        secret_key=key,
        auth=FAST_AUTH,
        plugins=PluginSettings(only=("orderhub",)),
        source="bench",
    )


def prepared_database(
    backend: str, orders: int, cache: Path, rebuild: bool
) -> tuple[str, str, Path]:
    """(url, key, samples file) of a database holding the bench's orders, built now or
    reused. The samples are phones and waybill numbers that exist (phones are stored only
    hashed, so the build keeps a few in clear beside the database)."""
    cache.mkdir(parents=True, exist_ok=True)
    key_file = cache / "desk-bench.key"
    if not key_file.exists():
        key_file.write_text(crypto.generate_key())
        key_file.chmod(0o600)
    key = key_file.read_text().strip()
    name = f"desk_{orders}_{schema_fingerprint()}"
    samples = cache / f"{name}.{backend}.samples.json"
    if backend == "sqlite":
        path = cache / f"{name}.db"
        if path.exists() and samples.exists() and not rebuild:
            return f"sqlite:///{path}", key, samples
        work = cache / f"{name}.building"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        url, _cleanup = fresh_database("sqlite", work)
        _build(url, key, orders, work, samples)
        (work / "bench.db").replace(path)
        shutil.rmtree(work, ignore_errors=True)
        return f"sqlite:///{path}", key, samples
    admin_url = os.environ.get("ORDERHUB_TEST_PG_URL")
    if not admin_url:
        sys.exit("--backend postgres needs ORDERHUB_TEST_PG_URL")
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT")
    db_name = f"orderhub_bench_{name}"
    url = admin.url.set(database=db_name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": db_name})
        if exists.first() and samples.exists() and not rebuild:
            return url, key, samples
        conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
    from core import migrate  # late: only a PostgreSQL build migrates here
    from core.db import create_db_engine  # late: likewise

    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{db_name}"'))
    engine = create_db_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    _build(url, key, orders, cache, samples)
    return url, key, samples


def _build(url: str, key: str, orders: int, work: Path, samples: Path) -> None:
    started = time.perf_counter()
    print(f"building {orders:,} orders in {url.split('@')[-1]} (once) …", file=sys.stderr)
    app = open_app(_settings(url, key, work))
    org, _admin = create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    samples.write_text(json.dumps(data.build(app, org.id, orders), ensure_ascii=False))
    with app.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        # PostgreSQL: VACUUM sets the visibility map, as autovacuum would on a live
        # database after bulk loading, so index-only scans need no heap visits.
        conn.exec_driver_sql("ANALYZE" if app.engine.dialect.name == "sqlite" else "VACUUM ANALYZE")
    counts = ", ".join(f"{n:,} {t}" for t, n in data.rows_in(app.engine))
    app.close()
    print(f"built in {time.perf_counter() - started:.0f} s: {counts}", file=sys.stderr)


# ---------------------------------------------------------------- measuring


@contextmanager
def captured(app: App):  # type: ignore[no-untyped-def]
    statements: list[tuple[str, Any]] = []

    def keep(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(app.engine, "before_cursor_execute", keep)
    try:
        yield statements
    finally:
        event.remove(app.engine, "before_cursor_execute", keep)


def plans(app: App, call: Callable[[], object]) -> list[tuple[str, str]]:
    """(statement, plan) of every statement `call` runs."""
    with captured(app) as statements:
        call()
    found = []
    with app.engine.connect() as conn:
        for statement, parameters in statements:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            word = "EXPLAIN QUERY PLAN " if app.engine.dialect.name == "sqlite" else "EXPLAIN "
            rows = conn.exec_driver_sql(word + statement, parameters).all()
            found.append((statement, "\n".join(" ".join(str(c) for c in r) for r in rows)))
    return found


def indexes(found: list[tuple[str, str]]) -> list[str]:
    names: list[str] = []
    for _statement, plan in found:
        for name in re.findall(r"\b((?:ix|uq|pk)_\w+|sqlite_autoindex_\w+)", plan):
            if name not in names:
                names.append(name)
    return names


def timed(call: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(
    url: str, key: str, samples_file: Path, repeat: int, verbose: bool, work: Path
) -> dict[str, Any]:
    app = open_app(_settings(url, key, work))
    align_indexes(app.engine)
    clock.set_clock(lambda: data.NOW)
    with app.tx() as session:
        org_id = session.query(Org.id).filter_by(name="bench").scalar()
    actor = Actor.system(org_id, label="bench")
    samples = json.loads(samples_file.read_text())
    rng = random.Random(11)

    def typical_query() -> str:
        start = (data.NOW - timedelta(days=rng.randrange(7, data.DAYS))).astimezone(clock.SHANGHAI)
        end = start + timedelta(days=7)
        return (
            f"status:pending paid:{start.date()}..{end.date()} "
            f"province:{rng.choice(TOP_PROVINCES)} tag:{rng.choice(data.TAGS)}"
        )

    queries = {
        "typical": lambda: search.search_orders(app, actor, typical_query(), limit=100),
        "counts": lambda: search.count_tabs(app, actor),
        "phone": lambda: search.search_orders(app, actor, f"phone:{rng.choice(samples['phones'])}"),
        "waybill": lambda: search.search_orders(
            app, actor, f"waybill:{rng.choice(samples['waybills'])}"
        ),
    }
    figures: dict[str, Any] = {"backend": app.engine.dialect.name}
    for name, call in queries.items():
        call()  # warm the caches once
        times = timed(call, repeat if name != "counts" else max(3, repeat // 5))
        figures[f"{name}_p50"] = round(percentile(times, 0.5), 2)
        figures[f"{name}_p95"] = round(percentile(times, 0.95), 2)
        found = plans(app, call)
        # The first statement finds the orders; the others are the second paging phase
        # (orders without the sort value) and the reads of the page's rows by id.
        figures[f"{name}_indexes"] = indexes(found[:1])
        figures[f"{name}_row_indexes"] = indexes(found[1:])
        if verbose:
            for statement, plan in found:
                print(f"--- {figures['backend']} {name}\n{statement}\n{plan}\n", file=sys.stderr)
    figures["page_rows"] = len(queries["typical"]().rows)
    clock.set_clock(None)
    app.close()
    return figures


def calibration() -> float:
    started = time.perf_counter()
    for _ in range(20_000_000):
        pass
    return time.perf_counter() - started


def report(results: list[dict[str, Any]], loop_s: float) -> None:
    backends = [r["backend"] for r in results]
    print(f"{'figure':<22}{'target':>9}" + "".join(f"{b:>26}" for b in backends))
    rows = (
        ("typical p50 (ms)", "typical_p50", TARGETS["typical_p50"]),
        ("typical p95 (ms)", "typical_p95", TARGETS["typical_p95"]),
        ("all tab counts (ms)", "counts_p50", TARGETS["counts"]),
        ("phone search (ms)", "phone_p50", TARGETS["phone"]),
        ("waybill search (ms)", "waybill_p50", TARGETS["waybill"]),
    )
    for label, key, target in rows:
        cells = "".join(
            f"{r[key]:>12.2f} ({r[key] / target:.2f}×, {'PASS' if r[key] <= target else 'FAIL'})"
            for r in results
        )
        print(f"{label:<22}{target:>9}{cells}")
    for r in results:
        for name in ("typical", "counts", "phone", "waybill"):
            carried = ", ".join(r[f"{name}_indexes"]) or "no index (full scan)"
            rows = ", ".join(r[f"{name}_row_indexes"])
            then = f"; then (null-sort phase, the page's rows) {rows}" if rows else ""
            print(f"{r['backend']:<11}{name:<9} carried by {carried}{then}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average "
        f"{[round(x, 2) for x in os.getloadavg()]}, plain 20,000,000-step loop {loop_s:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=40, help="runs per figure (counts: 1/5)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/orderhub-desk-bench"))
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--verbose", action="store_true", help="print every query's plan")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    loop_s = calibration()
    results = []
    for backend in backends:
        url, key, samples = prepared_database(backend, args.orders, args.cache, args.rebuild)
        results.append(measure(url, key, samples, args.repeat, args.verbose, args.cache))
    if args.json:
        print(json.dumps({"loop_s": round(loop_s, 3), "results": results}, ensure_ascii=False))
    else:
        report(results, loop_s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
