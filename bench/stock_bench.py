"""Shipping that competes for stock: W processes approve and ship N orders over S SKUs.

    .venv/bin/python bench/stock_bench.py                                   # 20,000 orders, 200 SKUs, 8 workers, PostgreSQL
    .venv/bin/python bench/stock_bench.py --backend sqlite --workers 1      # one writer on SQLite
    .venv/bin/python bench/stock_bench.py --orders 2000 --skus 50 --workers 4   # a quick look

Setup (not timed): a fresh database; one shop, a carrier account, S SKUs each received
with `--stock` pieces (by default 95 % of what the orders would take, so the last orders
find too little); N paid orders of 1–3 lines on random SKUs (their outer_id is the SKU's
code, so they map by themselves), each with a package and a typed waybill, written in
bulk as `bench/desk_bench_data` writes them.

Timed: W worker processes, started together, each taking every W-th chunk of `--chunk`
orders and, per chunk, `decisions.approve` (reserves; an order too short is held,
`库存不足`) then `confirm_packages` for the chunk's orders (ships; deducts) — the real
services, each in its own transaction, on SKU levels every worker wants at once.
`orders_per_s` is shipped orders over the wall time from the start signal to the last
worker's end. `plain_orders_per_s` is the simplest way to move the same stock: one
connection, per chunk one transaction of bare `UPDATE stock_levels` statements (reserve,
then deduct) on a copy of the starting levels — no orders, packages, ledger or audit.

Checked afterwards (exit 1 if any fails): `orderhub stock verify`, run as a command on the
bench's database, exits 0, and `levels.verify` finds no level differing from its ledger; no on hand, reserved or available below zero; nothing left reserved; every
order shipped or held for stock; per SKU, received − on hand = the pieces of the shipped
orders.
"""  # noqa: E501

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_db import fresh_database  # noqa: E402
from bench.calibration import loop_seconds  # noqa: E402
from bench.desk_bench_data import RowWriter  # noqa: E402
from core import crypto, masking  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.app import App  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.startup import open_app  # noqa: E402

PAID = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@dataclass
class World:
    """What the workers need: the org, its admin, the orders' numbers (in paid order) and
    each SKU's pieces received and wanted."""

    settings: Settings
    org_id: int
    user_id: int
    numbers: list[str]
    received: dict[str, int]
    pieces: dict[str, dict[str, int]] = field(default_factory=dict)  # number → code → qty


def settings_for(work: Path, url: str) -> Settings:
    return Settings(
        data_dir=work,
        database_url=url,
        secret_key=crypto.generate_key(),
        auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1),
        plugins=PluginSettings(only=("orderhub",)),
        source="bench",
    )


def build(settings: Settings, orders: int, skus: int, stock_share: float, seed: int = 11) -> World:
    """The org, its stock and `orders` numbered orders with packages and waybills."""
    from core.accounts.users import create_org_with_admin
    from core.models import CarrierAccount, Shop
    from core.stock import catalogue, operations, warehouses

    app = open_app(settings)
    try:
        org, user = create_org_with_admin(app, "stock-bench", "boss", "bench-password-1")
        admin = Actor(org_id=org.id, user_id=user.id, label="boss")
        with app.tx() as session:
            shop = Shop(org_id=org.id, platform="pinduoduo", platform_shop_id="9001", name="杯子店")
            carrier = CarrierAccount(
                org_id=org.id,
                name="圆通",
                carrier="manual",
                wp_code="YTO",
                logistics_company_id="85",
            )
            session.add_all([shop, carrier])
            session.flush()
            shop_id, carrier_id = shop.id, carrier.id
        warehouses.add_warehouse(app, admin, "主仓")
        codes = [f"SKU-{n:04d}" for n in range(skus)]
        for code in codes:
            catalogue.add_sku(app, admin, code)
        rng = random.Random(seed)
        pieces = _write_orders(app, org.id, shop_id, carrier_id, codes, orders, rng)
        wanted = Counter[str]()
        for lines in pieces.values():
            wanted.update(lines)
        received = {code: int(wanted[code] * stock_share) for code in codes}
        operations.receive(
            app,
            admin,
            [operations.Line(c, q) for c, q in received.items() if q > 0],
            reference="RK-BENCH",
        )
        return World(settings, org.id, user.id, list(pieces), received, pieces)
    finally:
        app.close()


def _write_orders(
    app: App,
    org_id: int,
    shop_id: int,
    carrier_id: int,
    codes: list[str],
    count: int,
    rng: random.Random,
) -> dict[str, dict[str, int]]:
    from core.models import Order, OrderLine, Package, PackageLine, Waybill

    writer = RowWriter(app.engine)
    pieces: dict[str, dict[str, int]] = {}
    orders, lines, packages, package_lines, waybills = [], [], [], [], []
    for n in range(1, count + 1):
        number = f"261207{n:09d}"
        paid = PAID + timedelta(seconds=n)
        orders.append(
            {
                "id": n,
                "org_id": org_id,
                "shop_id": shop_id,
                "platform_order_no": number,
                "source": "sync",
                "hub_status": "pending",
                "platform_status": "1",
                "refund_status": "none",
                "paid_at": paid,
                "created_at_platform": paid,
                "promised_ship_by": paid + timedelta(hours=48),
                "goods_amount_fen": 3990,
                "pay_amount_fen": 3990,
                "receiver_province": "浙江省",
                "receiver_city": "杭州市",
                "receiver_district": "余杭区",
                "receiver_name_masked": "王**",
                "receiver_phone_masked": masking.mask_phone("13800138000"),
                "receiver_address_masked": "文三路 90 号****",
                "first_seen_at": paid,
                "updated_at": paid,
            }
        )
        mine: dict[str, int] = defaultdict(int)
        for line_no, code in enumerate(rng.sample(codes, rng.choice((1, 1, 2, 3))), start=1):
            quantity = rng.choice((1, 1, 1, 2))
            mine[code] += quantity
            lines.append(
                {
                    "order_id": n,
                    "org_id": org_id,
                    "line_no": line_no,
                    "platform_sku_id": f"p-{code}",
                    "outer_id": code,
                    "title": f"商品 {code}",
                    "quantity": quantity,
                    "unit_price_fen": 3990,
                }
            )
            package_lines.append(
                {
                    "org_id": org_id,
                    "package_id": n,
                    "order_id": n,
                    "line_no": line_no,
                    "quantity": quantity,
                }
            )
        pieces[number] = dict(mine)
        packages.append(
            {
                "id": n,
                "org_id": org_id,
                "shop_id": shop_id,
                "carrier_account_id": carrier_id,
                "status": "waybill_allocated",
                "created_at": paid,
                "updated_at": paid,
            }
        )
        waybills.append(
            {
                "org_id": org_id,
                "package_id": n,
                "carrier_account_id": carrier_id,
                "carrier": "manual",
                "carrier_code": "YTO",
                "number": f"YT{8_000_000_000 + n}",
                "status": "allocated",
                "allocated_at": paid,
            }
        )
    for table, rows in (
        (Order.__table__, orders),
        (OrderLine.__table__, lines),
        (Package.__table__, packages),
        (PackageLine.__table__, package_lines),
        (Waybill.__table__, waybills),
    ):
        for start in range(0, len(rows), 20_000):
            writer.write(table, rows[start : start + 20_000])
        writer.commit()
    writer.finish()
    return pieces


def ship(world: World, workers: int, chunk: int) -> dict[str, object]:
    """Run the workers together; their counts and the wall time."""
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    results = context.Queue()
    chunks = [world.numbers[i : i + chunk] for i in range(0, len(world.numbers), chunk)]
    processes = [
        context.Process(
            target=_worker,
            args=(world.settings, world.org_id, world.user_id, chunks[w::workers], go, results),
        )
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    ready = [results.get(timeout=300) for _ in processes]
    assert all(r == "ready" for r in ready), ready
    started = time.perf_counter()
    go.set()
    counts = Counter[str]()
    for _ in processes:
        counts.update(results.get(timeout=3600))
    wall = time.perf_counter() - started
    for process in processes:
        process.join(timeout=60)
    return {"wall_s": round(wall, 2), **counts}


def _worker(settings: Settings, org_id: int, user_id: int, chunks, go, results) -> None:  # type: ignore[no-untyped-def]
    from core.auditing import decisions
    from core.errors import OrderhubError
    from core.shipback.confirm import confirm_packages

    app = open_app(settings)
    actor = Actor(org_id=org_id, user_id=user_id, label=f"bench-{os.getpid()}")
    counts = Counter[str]()
    results.put("ready")
    go.wait()
    try:
        for numbers in chunks:
            try:
                decisions.approve(app, actor, numbers)
                done = confirm_packages(app, actor, order_numbers=numbers)
            except OrderhubError as exc:  # counted, and fails the checks
                counts["errors"] += 1
                counts[f"error: {exc}"[:120]] += 1
                continue
            counts["shipped"] += len(done.confirmed)
            counts["refused"] += len(done.refused)
    finally:
        app.close()
        results.put(dict(counts))


def plain(world: World, chunk: int) -> float:
    """Seconds for the simplest way to move the same stock (see the module's doc)."""
    from sqlalchemy import text

    from core.db import create_db_engine

    engine = create_db_engine(world.settings.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS bench_levels"))
            conn.execute(
                text(
                    "CREATE TABLE bench_levels (code VARCHAR(64) PRIMARY KEY, "
                    "on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL)"
                )
            )
            conn.execute(
                text("INSERT INTO bench_levels VALUES (:code, :q, 0)"),
                [{"code": c, "q": q} for c, q in world.received.items()],
            )
        reserve = text(
            "UPDATE bench_levels SET reserved = reserved + :q "
            "WHERE code = :code AND on_hand - reserved >= :q"
        )
        deduct = text(
            "UPDATE bench_levels SET on_hand = on_hand - :q, reserved = reserved - :q "
            "WHERE code = :code"
        )
        started = time.perf_counter()
        for start in range(0, len(world.numbers), chunk):
            with engine.begin() as conn:
                for number in world.numbers[start : start + chunk]:
                    for code, q in sorted(world.pieces[number].items()):
                        conn.execute(reserve, {"code": code, "q": q})
                        conn.execute(deduct, {"code": code, "q": q})
        seconds = time.perf_counter() - started
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE bench_levels"))
        return seconds
    finally:
        engine.dispose()


def check(world: World) -> list[str]:
    """Invariant 5 after the run, and every order accounted for; [] when all holds."""
    from sqlalchemy import func, select

    from core.models import Order
    from core.stock import levels
    from core.stock.reservations import HOLD_PREFIX

    problems: list[str] = []
    app = open_app(world.settings)
    admin = Actor(org_id=world.org_id, user_id=world.user_id, label="boss")
    try:
        problems += [f"level differs from its ledger: {d}" for d in levels.verify(app, admin)]
        found = levels.list_levels(app, admin)
        for level in found:
            if min(level.on_hand, level.reserved, level.on_hand - level.reserved) < 0:
                problems.append(f"negative level: {level}")
            if level.reserved:
                problems.append(f"left reserved: {level}")
        with app.tx() as session:
            held = session.scalar(
                select(func.count()).where(
                    Order.org_id == world.org_id, Order.hold_reason.startswith(HOLD_PREFIX)
                )
            )
            shipped = list(
                session.scalars(
                    select(Order.platform_order_no).where(
                        Order.org_id == world.org_id, Order.hub_status == "shipped"
                    )
                )
            )
        if len(shipped) + held != len(world.numbers):
            problems.append(f"{len(shipped)} shipped + {held} held ≠ {len(world.numbers)}")
        taken = Counter[str]()
        for number in shipped:
            taken.update(world.pieces[number])
        on_hand = {lv.code: lv.on_hand for lv in found}
        for code, received in world.received.items():
            if received - on_hand.get(code, 0) != taken[code]:
                problems.append(
                    f"{code}: received {received} − on hand {on_hand.get(code)} ≠ "
                    f"shipped {taken[code]}"
                )
        return problems
    finally:
        app.close()


def cli_verify(world: World) -> tuple[int, str]:
    """`orderhub stock verify` on the bench's database, as an operator would run it: its
    exit status and last line."""
    settings = world.settings
    env = {
        **os.environ,
        "ORDERHUB_CONFIG": str(Path(settings.data_dir) / "absent.toml"),
        "ORDERHUB_DATA_DIR": str(settings.data_dir),
        "ORDERHUB_DATABASE_URL": settings.database_url,
        "ORDERHUB_SECRET_KEY": settings.secret_key,
    }
    command = [str(Path(sys.executable).with_name("orderhub")), "stock", "verify"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    lines = (done.stdout + done.stderr).strip().splitlines()
    return done.returncode, lines[-1] if lines else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--chunk", type=int, default=50, help="orders per approve/ship call")
    parser.add_argument("--stock", type=float, default=0.95, help="stock / demand per SKU")
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--json", action="store_true", help="figures as JSON")
    args = parser.parse_args(argv)
    figures: dict[str, object] = {
        "backend": args.backend,
        "orders": args.orders,
        "skus": args.skus,
        "workers": args.workers,
        "chunk": args.chunk,
        "calibration_s": loop_seconds(),
    }
    work = Path(tempfile.mkdtemp(prefix="stock-bench-"))
    url, cleanup = fresh_database(args.backend, work)
    try:
        started = time.perf_counter()
        world = build(settings_for(work, url), args.orders, args.skus, args.stock)
        figures["setup_s"] = round(time.perf_counter() - started, 1)
        figures.update(ship(world, args.workers, args.chunk))
        problems = check(world)
        figures["cli_verify_exit"], figures["cli_verify_says"] = cli_verify(world)
        if figures["cli_verify_exit"] != 0:
            problems.append(f"orderhub stock verify: {figures['cli_verify_says']}")
        plain_s = plain(world, args.chunk)
    finally:
        cleanup()
    shipped = int(figures.get("shipped", 0))  # type: ignore[call-overload]
    figures["orders_per_s"] = round(shipped / figures["wall_s"], 1)  # type: ignore[operator]
    figures["plain_orders_per_s"] = round(args.orders / plain_s, 1)
    figures["ratio_to_plain"] = round(figures["orders_per_s"] / figures["plain_orders_per_s"], 3)  # type: ignore[operator]
    figures["problems"] = problems
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    figures["cpus"] = os.cpu_count()
    figures["python"] = platform.python_version()
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key:>20}: {value}")
        print("invariant 5:", "holds" if not problems else "BROKEN")
    return 0 if not problems and not figures.get("errors") else 1


if __name__ == "__main__":
    sys.exit(main())
