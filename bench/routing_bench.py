"""分仓 cost: what choosing each arriving order's warehouse adds to storing orders.

    .venv/bin/python bench/routing_bench.py                    # 20,000 orders, both backends
    .venv/bin/python bench/routing_bench.py --size 500         # what the smoke test runs
    .venv/bin/python bench/routing_bench.py --backends sqlite  # PostgreSQL: ORDERHUB_TEST_PG_URL

For each backend, a fresh migrated database gets two orgs. One keeps no stock: storing
its orders routes nothing (one query per batch finds no warehouse). The other has three
warehouses, 200 SKUs with stock in two of them and three rules — by province, by shop,
and by stock that fills the whole order — so most orders run the stock rule, the dearest
path (the order's SKUs resolved, the levels of two warehouses read). Timed:

- `store_plain_s` / `store_routed_s`: `--size` orders of 1–3 lines stored through the order
  store (`upsert_orders`, batches of 1,000) into each org, a batch into one then the same
  into the other; `routing_share` is the extra time as a share of storing — the simplest
  way of doing the work, storing the orders with no warehouse to choose, is the baseline;
- `route_s`: routing alone (`core.orders.routed.route_new_orders`, the reads and the
  choice; the warehouse goes into the insert's row, so there is no write), per batch of
  1,000 orders encoded beforehand, and `route_ms_per_1000`.

A plain 20,000,000-step Python loop calibrates the machine. No target is set by the issue;
the import's (100,000 rows ≤ 10 s) leaves 0.1 ms per order, which the figures compare to.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import fresh_database  # noqa: E402 - a sibling module: bench/ is the script's dir
from calibration import loop_seconds  # noqa: E402 - a sibling module too
from sqlalchemy import select  # noqa: E402

from core import crypto  # noqa: E402
from core.accounts.users import create_org_with_admin  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.contracts.types import (  # noqa: E402
    Contact,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.models import Order, Shop, Warehouse  # noqa: E402
from core.orders import store as order_store  # noqa: E402
from core.orders.routed import route_new_orders  # noqa: E402
from core.startup import open_app  # noqa: E402
from core.stock import catalogue, operations, routing_rules, warehouses  # noqa: E402
from core.stock.operations import Line  # noqa: E402

BATCH = 1_000
SKUS = tuple(f"SKU-{n:03d}" for n in range(200))
PROVINCES = ("浙江省", "广东省", "江苏省", "北京市", "河北省", "四川省")
PAID = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=20_000, help="orders stored per org")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not os.environ.get("ORDERHUB_TEST_PG_URL"):
        print("# PostgreSQL skipped: set ORDERHUB_TEST_PG_URL", file=sys.stderr)
        backends.remove("postgres")
    figures: dict[str, object] = {"size": args.size, "calibration_s": loop_seconds()}
    ok = True
    for backend in backends:
        result = _run(backend, args.size)
        ok = ok and result["routed"] == args.size
        figures.update({f"{backend}_{k}": v for k, v in result.items()})
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    _report(figures, backends, args.json)
    return 0 if ok else 1


def _run(backend: str, size: int) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="routing-bench-"))
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
        plain_org, plain_shop = _org(app, "plain")
        routed_org, routed_shop = _org(app, "routed")
        _stock_keeping(app, routed_org)
        orders = _orders(size)
        store_plain, store_routed = _store(
            app, (plain_org, plain_shop), (routed_org, routed_shop), orders
        )
        routed = _spread(app, routed_org)
        route_s = _route_alone(app, routed_org, routed_shop, orders)
        return {
            "routed": sum(routed.values()),
            "spread": routed,
            "store_plain_s": round(store_plain, 3),
            "store_routed_s": round(store_routed, 3),
            "routing_share": round(store_routed / store_plain - 1, 3),
            "route_s": round(route_s, 3),
            "route_ms_per_1000": round(route_s / size * 1_000_000, 2),
            "route_share": round(route_s / store_plain, 3),
        }
    finally:
        app.close()
        cleanup()  # type: ignore[operator]


def _org(app, name: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    org, _ = create_org_with_admin(app, name, f"boss-{name}", "Correct-Horse-9")
    with app.tx() as session:
        shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id=name, name="杯子店")
        session.add(shop)
        session.flush()
        return org.id, shop.id


def _stock_keeping(app, org_id: int) -> None:  # type: ignore[no-untyped-def]
    """Three warehouses, every SKU, a little stock in 北仓 and plenty in 南仓, three rules."""
    admin = Actor.system(org_id, label="bench")
    for name in ("主仓", "北仓", "南仓"):
        warehouses.add_warehouse(app, admin, name)
    for code in SKUS:
        catalogue.add_sku(app, admin, code)
    operations.receive(app, admin, [Line(c, 3) for c in SKUS], warehouse="北仓")
    operations.receive(app, admin, [Line(c, 10_000) for c in SKUS], warehouse="南仓")
    routing_rules.add_rule(app, admin, "北方", ["北仓"], provinces=["北京", "河北"])
    routing_rules.add_rule(app, admin, "别的店", ["主仓"], shops=["杯子店"], provinces=["西藏"])
    routing_rules.add_rule(app, admin, "有货", ["北仓", "南仓"], by_stock=True)


def _orders(size: int) -> list[PlatformOrder]:
    rng = random.Random(14)
    orders = []
    for index in range(size):
        codes = rng.sample(SKUS, rng.choice((1, 1, 2, 3)))
        lines = tuple(
            PlatformOrderLine(
                sku_id=f"p-{code}", title="保温杯", quantity=rng.choice((1, 1, 2)),
                unit_price_fen=3990, outer_id=code,
            )
            for code in codes
        )  # fmt: skip
        receiver = Contact(
            f"买家{index}", f"138{index:08d}", rng.choice(PROVINCES), "某市", "某区", "1 号"
        )
        orders.append(
            PlatformOrder(
                order_number=f"R{index:08d}",
                status=OrderStatus.AWAITING_SHIPMENT,
                refund_status=RefundStatus.NONE,
                created_at=PAID,
                paid_at=PAID,
                updated_at=PAID,
                receiver=receiver,
                lines=lines,
                goods_fen=3990,
                paid_fen=3990,
            )
        )
    return orders


def _store(
    app, plain: tuple[int, int], routed: tuple[int, int], orders: list[PlatformOrder]
) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Seconds storing `orders` into each org, batch by batch in turn (so both meet a
    database of the same size)."""
    took = [0.0, 0.0]
    for start in range(0, len(orders), BATCH):
        for which, (org_id, shop_id) in enumerate((plain, routed)):
            started = time.perf_counter()
            with app.tx() as session:
                order_store.upsert_orders(
                    session,
                    app.keyring,
                    org_id=org_id,
                    shop_id=shop_id,
                    orders=orders[start : start + BATCH],
                )
            took[which] += time.perf_counter() - started
    return took[0], took[1]


def _spread(app, org_id: int) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        rows = session.execute(
            select(Warehouse.name, Order.id)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .where(Order.org_id == org_id)
        ).all()
    spread: dict[str, int] = {}
    for name, _ in rows:
        spread[name] = spread.get(name, 0) + 1
    return spread


def _route_alone(app, org_id: int, shop_id: int, orders: list[PlatformOrder]) -> float:  # type: ignore[no-untyped-def]
    """Seconds routing `orders` as the store does, batch by batch (encoded untimed)."""
    took = 0.0
    for start in range(0, len(orders), BATCH):
        with app.tx() as session:
            encoder = order_store.encoder_for(
                session, app.keyring, org_id=org_id, shop_id=shop_id, source="sync"
            )
            prepared = encoder.encode(orders[start : start + BATCH])
            started = time.perf_counter()
            route_new_orders(session, encoder, prepared)
            took += time.perf_counter() - started
            assert all(encoder.column(p.row, "warehouse_id") for p in prepared)
    return took


def _report(figures: dict[str, object], backends: list[str], as_json: bool) -> None:
    if as_json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    out = sys.stderr if as_json else sys.stdout
    print(f"# 分仓 bench: {figures['size']:,} orders per org, batches of {BATCH:,}", file=out)
    print(f"# calibration (20M-step Python loop): {figures['calibration_s']} s", file=out)
    rows = (
        "routed", "spread", "store_plain_s", "store_routed_s", "routing_share", "route_s",
        "route_ms_per_1000", "route_share",
    )  # fmt: skip
    print(f"{'figure':<18}" + "".join(f"{b:>40}" for b in backends), file=out)
    for row in rows:
        cells = "".join(f"{figures[f'{b}_{row}']!s:>40}" for b in backends)
        print(f"{row:<18}{cells}", file=out)
    print(f"load {figures['load_average']}", file=out)


if __name__ == "__main__":
    sys.exit(main())
