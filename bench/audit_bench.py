"""审单 throughput: approving 10,000 orders by rule, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/audit_bench.py                    # 10,000 approvals (issue 11's figure)
    .venv/bin/python bench/audit_bench.py --size 500         # what the smoke test runs
    .venv/bin/python bench/audit_bench.py --backends sqlite  # PostgreSQL needs ORDERHUB_TEST_PG_URL

For each backend, a fresh migrated database gets `--size` clean orders plus one in ten
more that fail a rule (a buyer memo, a bad phone, two of one receiver), stored through the
order store without checking (not timed). Timed: the periodic pass (`engine.run_due`)
that checks them all — rule set, orders, quantities, duplicates, merge candidates, the
guarded writes, one `order.approve` audit event per approval — and commits. The simplest
way to the same end is one plain `UPDATE … SET hub_status = 'audited'` of the clean
orders (no rules, no audit): timed first, undone, and its time is the ratio's floor.
A plain 20,000,000-step Python loop calibrates the machine (compare figures across runs
through it). Target (issue 11): ≤ 5 s for 10,000 approvals on each backend.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import fresh_database  # noqa: E402 - a sibling module: bench/ is the script's dir
from calibration import loop_seconds  # noqa: E402 - a sibling module too
from sqlalchemy import text  # noqa: E402

from core import clock, crypto  # noqa: E402
from core.accounts.users import create_org_with_admin  # noqa: E402
from core.auditing import engine  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.contracts.types import (  # noqa: E402
    Contact,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.models import Shop  # noqa: E402
from core.orders import store as order_store  # noqa: E402
from core.startup import open_app  # noqa: E402

TARGET_S = 5.0
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
PAID = NOW - timedelta(hours=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="orders that pass (approved)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not os.environ.get("ORDERHUB_TEST_PG_URL"):
        print("# PostgreSQL skipped: set ORDERHUB_TEST_PG_URL", file=sys.stderr)
        backends.remove("postgres")
    figures: dict[str, object] = {"size": args.size, "calibration_s": loop_seconds()}
    ok = True
    clock.set_clock(lambda: NOW)
    try:
        for backend in backends:
            result = _run(backend, args.size)
            ok = ok and result["approved"] == args.size
            figures.update({f"{backend}_{k}": v for k, v in result.items()})
    finally:
        clock.set_clock(None)
    figures["target_s"] = TARGET_S
    figures["pass"] = all(figures[f"{b}_approve_s"] <= TARGET_S for b in backends)  # type: ignore[operator]
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    _report(figures, backends, args.json)
    return 0 if ok else 1


def _run(backend: str, size: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    url, cleanup = fresh_database(backend, work)
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
        org, _ = create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
        with app.tx() as session:
            shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="1", name="bench")
            session.add(shop)
            session.flush()
            shop_id = shop.id
        failing = max(3, size // 10)
        _store(app, org.id, shop_id, size, failing)
        plain_s = _plain(app, org.id, size)
        cpu0 = time.process_time()
        started = time.perf_counter()
        report = engine.run_due(app, now=NOW)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu0
        return {
            "orders": size + failing,
            "approved": len(report.approved),
            "in_exception": len(report.failures),
            "approve_s": round(elapsed, 3),
            "approve_cpu_s": round(cpu, 3),
            "orders_per_s": round((size + failing) / elapsed),
            "plain_update_s": round(plain_s, 3),
            "plain_ratio": round(elapsed / plain_s, 1),
        }
    finally:
        app.close()
        cleanup()  # type: ignore[operator]


def _store(app, org_id: int, shop_id: int, size: int, failing: int) -> None:  # type: ignore[no-untyped-def]
    orders = [_order(i, i >= size) for i in range(size + failing)]
    for start in range(0, len(orders), 2000):
        with app.tx() as session:
            order_store.upsert_orders(
                session,
                app.keyring,
                org_id=org_id,
                shop_id=shop_id,
                orders=orders[start : start + 2000],
            )


def _order(index: int, bad: bool) -> PlatformOrder:
    kind = index % 3
    same = bad and kind == 2  # one receiver for all of these: merge candidates
    receiver = Contact(
        name="买家同一人" if same else f"买家{index}",
        phone="12345" if bad and kind == 1 else ("13800000000" if same else f"138{index:08d}"),
        province="浙江省",
        city="杭州市",
        district="西湖区",
        address="文三路 1 号" if same else f"文三路 {index} 号",
    )
    return PlatformOrder(
        order_number=f"B{index:08d}",
        status=OrderStatus.AWAITING_SHIPMENT,
        refund_status=RefundStatus.NONE,
        created_at=PAID,
        paid_at=PAID,
        updated_at=PAID,
        receiver=receiver,
        lines=(PlatformOrderLine(sku_id="s1", title="保温杯", quantity=1, unit_price_fen=3990),),
        goods_fen=3990,
        paid_fen=3990,
        buyer_memo="请发顺丰" if bad and kind == 0 else "",
    )


def _plain(app, org_id: int, size: int) -> float:  # type: ignore[no-untyped-def]
    """The simplest way: one UPDATE of the clean orders (the bench's floor), then undone."""
    clean = "org_id = :org AND hub_status = 'pending' AND platform_order_no < :first_bad"
    with app.engine.begin() as conn:
        started = time.perf_counter()
        conn.execute(
            text(f"UPDATE orders SET hub_status = 'audited', audited_at = :now WHERE {clean}"),
            {"org": org_id, "now": NOW, "first_bad": f"B{size:08d}"},
        )
        elapsed = time.perf_counter() - started
    with app.engine.begin() as conn:
        conn.execute(
            text("UPDATE orders SET hub_status = 'pending', audited_at = NULL WHERE org_id = :o"),
            {"o": org_id},
        )
    return elapsed


def _report(figures: dict[str, object], backends: list[str], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
    out = sys.stderr if as_json else sys.stdout
    size = figures["size"]
    print(f"# 审单 bench: {size:,} orders approved by rule + 10 % in exception", file=out)
    print(f"# calibration (20M-step Python loop): {figures['calibration_s']} s", file=out)
    rows = ("approve_s", "approve_cpu_s", "orders_per_s", "plain_update_s", "plain_ratio")
    print(f"{'figure':<16}" + "".join(f"{b:>14}" for b in backends), file=out)
    for row in ("approved", "in_exception", *rows):
        cells = "".join(f"{figures[f'{b}_{row}']!s:>14}" for b in backends)
        print(f"{row:<16}{cells}", file=out)
    verdict = "PASS" if figures["pass"] else "FAIL"
    print(f"target ≤ {TARGET_S} s per backend: {verdict}; load {figures['load_average']}", file=out)


if __name__ == "__main__":
    sys.exit(main())
