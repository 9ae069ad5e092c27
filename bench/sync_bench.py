"""Order sync throughput: sandbox orders over loopback HTTP into a fresh SQLite database.

    .venv/bin/python bench/sync_bench.py                  # 100,000 orders (issue 3's figure)
    .venv/bin/python bench/sync_bench.py --orders 2000    # what the smoke test runs
    .venv/bin/python bench/sync_bench.py --profile 25     # also the 25 hottest functions
    .venv/bin/python bench/sync_bench.py --profile 60 --profile-sort cumulative

The sandbox gateway runs in a child process (its own interpreter and GIL) with every order
rendered beforehand and its rate limits off, as is the client's limiter: the figure is
orderhub's own cost — signing, HTTP, JSON, mapping, encryption, the upsert — not the
platform's ceiling (about 5,000 orders/s for one shop: 3,000 calls/min × 100). The timed
part is one manual `orderhub sync` pass of the bound shop from an empty database: every
window paged from its last page back, upserted and committed with the cursor.

Then the same rows, exactly as stored (ciphertexts included), are upserted with plain
`sqlite3` `executemany` into a fresh copy of the schema: the floor a Python program pays
for the writes alone. Figures: orders/s end to end (target ≥ 10,000), the plain upsert's
rows/s and the ratio, CPU seconds (trust them over wall time on a busy machine; the load
average is printed), and PASS/FAIL against the target.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import sqlite3
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import fresh_database  # noqa: E402 - a sibling module: bench/ is the script's dir
from calibration import loop_seconds  # noqa: E402 - a sibling module too

from core import crypto  # noqa: E402
from core.accounts.users import create_org_with_admin  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings, SyncSettings  # noqa: E402
from core.shops import binding  # noqa: E402
from core.startup import open_app  # noqa: E402
from core.sync.scheduler import Control, sync_shop  # noqa: E402
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxProcess  # noqa: E402

TARGET = 10_000  # orders per second, issue 3
REDIRECT = "http://127.0.0.1:8765/callback"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=1.0, help="history the orders span")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="print N hot spots")
    parser.add_argument(
        "--profile-sort",
        default="tottime",
        choices=("tottime", "cumulative"),
        help="hot spots by their own time or with their callees'",
    )
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres needs ORDERHUB_TEST_PG_URL; the plain sqlite3 comparison is SQLite's",
    )
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    config = SandboxConfig(
        seed=42, shops=1, orders=args.orders, history_days=args.days, rate_limits=False
    )
    started = time.perf_counter()
    with SandboxProcess(config, prerender=True) as sandbox:
        setup_s = time.perf_counter() - started
        url, cleanup = fresh_database(args.backend, work)
        app, shop_id, actor = _prepare(work, url, sandbox, args.days)
        try:
            sandbox_pid = sandbox._process.pid  # type: ignore[union-attr]
            sandbox_cpu0 = _process_cpu(sandbox_pid)
            figures = _timed_sync(app, actor, shop_id, args.profile, args.profile_sort)
            figures["sandbox_cpu_s"] = round(_process_cpu(sandbox_pid) - sandbox_cpu0, 2)
            if args.backend == "sqlite":
                plain = _plain_upsert(work / "bench.db", work / "plain.db")
                figures.update(plain)
                ratio = figures["orders_per_s"] / plain["plain_rows_per_s"]
                figures["plain_ratio"] = round(ratio, 3)
        finally:
            app.close()
            cleanup()  # type: ignore[operator]
    figures["backend"] = args.backend
    figures["sandbox_setup_s"] = round(setup_s, 1)
    figures["target_orders_per_s"] = TARGET
    figures["pass"] = figures["orders_per_s"] >= TARGET
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    figures["cpus"] = os.cpu_count()
    figures["calibration_s"] = loop_seconds()
    _report(figures, args.json)
    return 0 if figures["stored"] == args.orders else 1


def _prepare(work: Path, url: str, sandbox: SandboxProcess, days: float):  # type: ignore[no-untyped-def]
    settings = Settings(
        data_dir=work,
        database_url=url,
        secret_key=crypto.generate_key(),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1),
        plugins=PluginSettings(only=("orderhub",)),
        sync=replace(SyncSettings(), initial_days=int(days) + 2),
        platforms={
            "pinduoduo": {
                **sandbox.client_settings(),
                "rate_limit_enabled": False,
                "read_timeout": 60,
            }
        },
        source="bench",
    )
    app = open_app(settings, bulk_writes=True)
    org, _user = create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    admin = Actor(org_id=org.id, user_id=_user.id, label="boss")
    start = binding.start_authorization(app, admin, "pinduoduo", REDIRECT)
    code = httpx.post(f"{sandbox.control_url}/codes", json={}, timeout=30).json()["code"]
    shop = binding.complete_authorization(app, code, start.state)
    httpx.post(f"{sandbox.control_url}/clock/advance", json={"seconds": 600}, timeout=30)
    return app, shop.id, Actor.system(org.id, label="bench")


def _timed_sync(app, actor, shop_id: int, profile: int, sort: str = "tottime") -> dict:  # type: ignore[no-untyped-def]
    profiler = cProfile.Profile() if profile else None
    children0 = _children_cpu()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    report = sync_shop(app, actor, shop_id, control=Control())
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    readers_cpu = _children_cpu() - children0
    if report.status != "ok":
        raise SystemExit(f"the sync failed: {report.error}")
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats(sort).print_stats(profile)
    pages = sum(w.pages for w in report.windows)
    return {
        "stored": report.new,
        "windows": len(report.windows),
        "pages": pages,
        "elapsed_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "readers_cpu_s": round(readers_cpu, 2),
        "orders_per_s": round(report.new / wall),
        "orders_per_cpu_s": round(report.new / cpu) if cpu else None,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _process_cpu(pid: int) -> float:
    """CPU seconds of a running process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    """CPU seconds of finished child processes (the sync's reader processes, once the
    pass has ended them; the sandbox child is still running and not counted)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _plain_upsert(source: Path, target: Path) -> dict:
    """The stored orders and lines, upserted again with plain sqlite3 into an empty copy
    of the same schema (same columns, same values, same WAL/synchronous settings)."""
    src = sqlite3.connect(source)
    schema = [
        r[0]
        for r in src.execute("SELECT sql FROM sqlite_master WHERE type='table' OR type='index'")
        if r[0]
    ]
    orders = src.execute("SELECT * FROM orders").fetchall()
    order_cols = [d[0] for d in src.execute("SELECT * FROM orders LIMIT 0").description]
    lines = src.execute("SELECT * FROM order_lines").fetchall()
    line_cols = [d[0] for d in src.execute("SELECT * FROM order_lines LIMIT 0").description]
    src.close()
    dst = sqlite3.connect(target, isolation_level=None)
    dst.execute("PRAGMA journal_mode=WAL")
    dst.execute("PRAGMA synchronous=NORMAL")
    dst.execute("PRAGMA foreign_keys=OFF")
    for statement in schema:
        dst.execute(statement)
    update = ", ".join(
        f"{c}=excluded.{c}" for c in order_cols if c not in ("id", "shop_id", "platform_order_no")
    )
    order_sql = (
        f"INSERT INTO orders ({', '.join(order_cols)}) VALUES ({', '.join('?' * len(order_cols))}) "
        f"ON CONFLICT(shop_id, platform_order_no) DO UPDATE SET {update} "
        "WHERE excluded.platform_updated_at > orders.platform_updated_at"
    )
    line_sql = (
        f"INSERT INTO order_lines ({', '.join(line_cols)}) "
        f"VALUES ({', '.join('?' * len(line_cols))})"
    )
    started = time.perf_counter()
    dst.execute("BEGIN")
    dst.executemany(order_sql, orders)
    dst.executemany(line_sql, lines)
    dst.execute("COMMIT")
    elapsed = time.perf_counter() - started
    dst.close()
    return {
        "plain_rows": len(orders),
        "plain_s": round(elapsed, 3),
        "plain_rows_per_s": round(len(orders) / elapsed),
    }


def _report(figures: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    verdict = "PASS" if figures["pass"] else "FAIL"
    print(
        f"sync: {figures['stored']:,} orders in {figures['elapsed_s']} s "
        f"({figures['windows']} windows, {figures['pages']} pages), "
        f"peak RSS {figures['peak_rss_mib']} MiB"
    )
    total = figures["cpu_s"] + figures["readers_cpu_s"] + figures["sandbox_cpu_s"]
    print(
        f"CPU: {figures['cpu_s']} s syncing process (writer) + {figures['readers_cpu_s']} s "
        f"reader processes + {figures['sandbox_cpu_s']} s sandbox = "
        f"{1e6 * total / max(1, figures['stored']):.0f} µs per order"
    )
    print(
        f"orders/s: {figures['orders_per_s']:,} (per CPU second: {figures['orders_per_cpu_s']:,})"
    )
    if "plain_rows_per_s" in figures:
        plain, ratio = figures["plain_rows_per_s"], figures["plain_ratio"]
        print(
            f"plain sqlite3 executemany upsert of the same rows: {plain:,} rows/s "
            f"(sync runs at {ratio:.3f} of it)"
        )
    print(
        f"machine: {figures['cpus']} CPUs, load average {figures['load_average']}, "
        f"backend {figures['backend']}; a plain 20,000,000-step loop: "
        f"{figures['calibration_s']:.2f} s"
    )
    print(f"target ≥ {figures['target_orders_per_s']:,} orders/s: {verdict}")


if __name__ == "__main__":
    sys.exit(main())
