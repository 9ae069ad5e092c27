"""Pack station scan-to-answer latency with 1,000,000 orders in the database.

    .venv/bin/python bench/pack_bench.py                           # 1,000,000 orders, SQLite
    .venv/bin/python bench/pack_bench.py --backend both            # + PostgreSQL
    .venv/bin/python bench/pack_bench.py --orders 3000 --packages 50 --json   # a quick run

Issue 12's target: scan-to-answer p95 ≤ 30 ms. Every scan goes through the service the
front ends call (`core.shipping.pack_station.PackStation.scan`): a waybill scan (the
package's lines, its holds), each item scan (counted in memory), the last item (the
verify transaction, audited) and a wrong item (one waybill look-up, refused).

The database is the order desk bench's (`desk_bench.prepared_database`: built once by
`desk_bench_data`, kept under `--cache`), so the two benches share one build. Each run
adds its own `--packages` printed packages (orders of a shop named 验货台, 1–3 lines of
1–2 units, numbers unique to the run), not timed, half for the service and half for the
baseline: the simplest way of doing the same work with the driver alone — the waybill and
its package by number, the lines with their orders and order lines, and for the last
item an `UPDATE … SET status = 'verified'` plus an audit row, committed. The ratio
printed is service ÷ baseline; the machine's speed is a plain 20,000,000-step loop and
its load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import desk_bench  # noqa: E402 - a sibling module: bench/ is the script's dir

from core import clock  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.app import App  # noqa: E402
from core.models import (  # noqa: E402
    CarrierAccount,
    Order,
    OrderLine,
    Org,
    Package,
    PackageLine,
    Shop,
    Waybill,
)
from core.shipping.pack_station import open_station  # noqa: E402
from core.startup import open_app  # noqa: E402

TARGET_P95_MS = 30.0
STATION_SHOP = "验货台"
CODES = tuple(f"CUP-{n}" for n in range(50))


def add_work(app: App, org_id: int, count: int, tag: str) -> list[tuple[str, list[str]]]:
    """`count` printed packages with waybills: (waybill number, item codes to scan)."""
    rng = random.Random(tag)
    work: list[tuple[str, list[str]]] = []
    with app.tx() as session:
        shop = session.query(Shop).filter_by(org_id=org_id, name=STATION_SHOP).one_or_none()
        if shop is None:
            shop = Shop(
                org_id=org_id, platform="manual", platform_shop_id="pack", name=STATION_SHOP
            )
            session.add(shop)
            session.flush()
        account = session.query(CarrierAccount).filter_by(org_id=org_id).first()
        assert account is not None
        for n in range(count):
            codes = rng.sample(CODES, rng.choice((1, 1, 2, 3)))
            quantities = [rng.choice((1, 1, 2)) for _ in codes]
            order = Order(
                org_id=org_id,
                shop_id=shop.id,
                platform_order_no=f"PK{tag}-{n:06d}",
                hub_status="printed",
                lines=[
                    OrderLine(
                        org_id=org_id,
                        line_no=i + 1,
                        outer_id=code,
                        platform_sku_id=f"sku-{code}",
                        title="保温杯",
                        quantity=q,
                    )
                    for i, (code, q) in enumerate(zip(codes, quantities, strict=True))
                ],
            )
            session.add(order)
            session.flush()
            package = Package(
                org_id=org_id,
                shop_id=shop.id,
                carrier_account_id=account.id,
                status="printed",
                lines=[
                    PackageLine(org_id=org_id, order_id=order.id, line_no=i + 1, quantity=q)
                    for i, q in enumerate(quantities)
                ],
            )
            session.add(package)
            session.flush()
            number = f"YT9{tag[-6:]}{n:06d}"
            session.add(
                Waybill(
                    org_id=org_id,
                    package_id=package.id,
                    carrier_account_id=account.id,
                    carrier="manual",
                    carrier_code="YTO",
                    number=number,
                    status="printed",
                )
            )
            work.append(
                (number, [c for c, q in zip(codes, quantities, strict=True) for _ in range(q)])
            )
    return work


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def through_service(app: App, actor: Actor, work: list[tuple[str, list[str]]]) -> dict[str, list]:
    station = open_station(app, actor)
    times: dict[str, list[float]] = {"waybill": [], "item": [], "verify": [], "wrong": []}
    for number, codes in work:
        started = time.perf_counter()
        answer = station.scan(number)
        times["waybill"].append(ms(started))
        assert answer.ok and answer.kind == "package", answer.message
        started = time.perf_counter()
        wrong = station.scan("NOT-AN-ITEM")
        times["wrong"].append(ms(started))
        assert wrong.kind == "wrong_item", wrong.message
        for i, code in enumerate(codes):
            started = time.perf_counter()
            answer = station.scan(code)
            took = ms(started)
            last = i == len(codes) - 1
            times["verify" if last else "item"].append(took)
            assert answer.kind == ("verified" if last else "item"), answer.message
    return times


def baseline(app: App, org_id: int, work: list[tuple[str, list[str]]]) -> dict[str, list]:
    """The same reads and the verify write with the driver alone: no ORM, no checks."""
    raw = app.engine.raw_connection()
    mark = "?" if app.engine.dialect.name == "sqlite" else "%s"
    find = (
        "SELECT w.package_id, w.status, p.status, p.hold_reason FROM waybills w "
        f"JOIN packages p ON p.id = w.package_id WHERE w.org_id = {mark} AND w.number = {mark}"
    )
    lines = (
        "SELECT pl.quantity, o.platform_order_no, o.on_hold, o.refund_status, ol.outer_id "
        "FROM package_lines pl JOIN orders o ON o.id = pl.order_id "
        "LEFT JOIN order_lines ol ON ol.order_id = pl.order_id AND ol.line_no = pl.line_no "
        f"WHERE pl.package_id = {mark}"
    )
    verify = f"UPDATE packages SET status = 'verified' WHERE id = {mark} AND status = 'printed'"
    event = (
        "INSERT INTO audit_events (org_id, actor_label, action, target_type, target_id, "
        f"detail, at) VALUES ({mark}, 'bench', 'package.verify', 'package', {mark}, '', {mark})"
    )
    times: dict[str, list[float]] = {"waybill": [], "verify": []}
    now = clock.now() if app.engine.dialect.name != "sqlite" else clock.now().isoformat()
    for number, _codes in work:
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.execute(find, (org_id, number))
        package_id = cursor.fetchone()[0]
        cursor.execute(lines, (package_id,))
        cursor.fetchall()
        raw.commit()
        times["waybill"].append(ms(started))
        started = time.perf_counter()
        cursor.execute(verify, (package_id,))
        cursor.execute(event, (org_id, str(package_id), now))
        raw.commit()
        times["verify"].append(ms(started))
        cursor.close()
    raw.close()
    return times


def percentile(values: list[float], share: float) -> float:
    return desk_bench.percentile(values, share) if values else 0.0


def measure(url: str, key: str, packages: int, work_dir: Path) -> dict[str, Any]:
    app = open_app(desk_bench._settings(url, key, work_dir))
    with app.tx() as session:
        org_id = session.query(Org.id).filter_by(name="bench").scalar()
    actor = Actor.system(org_id, label="bench")
    tag = f"{int(time.time()) % 10**8:08d}"
    work = add_work(app, org_id, packages, tag)
    half = len(work) // 2
    ours = through_service(app, actor, work[:half])
    plain = baseline(app, org_id, work[half:])
    figures: dict[str, Any] = {"backend": app.engine.dialect.name, "packages": half}
    for name, values in ours.items():
        figures[f"{name}_n"] = len(values)
        figures[f"{name}_p50"] = round(percentile(values, 0.5), 2)
        figures[f"{name}_p95"] = round(percentile(values, 0.95), 2)
    every = [v for values in ours.values() for v in values]
    figures["all_p95"] = round(percentile(every, 0.95), 2)
    for name, values in plain.items():
        figures[f"plain_{name}_p50"] = round(percentile(values, 0.5), 3)
    figures["waybill_ratio"] = round(
        figures["waybill_p50"] / max(figures["plain_waybill_p50"], 1e-3), 1
    )
    figures["verify_ratio"] = round(
        figures["verify_p50"] / max(figures["plain_verify_p50"], 1e-3), 1
    )
    with app.engine.connect() as conn:
        figures["orders"] = conn.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
    app.close()
    return figures


def report(results: list[dict[str, Any]], loop_s: float) -> None:
    for r in results:
        print(f"{r['backend']}: {r['orders']:,} orders, {r['packages']} packages scanned")
        for name, label in (
            ("waybill", "waybill scan"),
            ("item", "item scan"),
            ("verify", "last item (verify)"),
            ("wrong", "wrong item"),
        ):
            p95 = r[f"{name}_p95"]
            verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
            print(
                f"  {label:<20} n={r[f'{name}_n']:<5} p50 {r[f'{name}_p50']:>7.2f} ms  "
                f"p95 {p95:>7.2f} ms  ({p95 / TARGET_P95_MS:.2f}× of 30 ms, {verdict})"
            )
        print(
            f"  every scan p95 {r['all_p95']:.2f} ms; plain driver: waybill "
            f"{r['plain_waybill_p50']:.3f} ms (service {r['waybill_ratio']}×), verify "
            f"{r['plain_verify_p50']:.3f} ms (service {r['verify_ratio']}×)"
        )
    print(
        f"machine: {os.cpu_count()} CPUs, load average "
        f"{[round(x, 2) for x in os.getloadavg()]}, plain 20,000,000-step loop {loop_s:.2f} s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--packages", type=int, default=400, help="added per run (half timed)")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/orderhub-desk-bench"))
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    loop_s = desk_bench.calibration()
    results = []
    for backend in backends:
        url, key, _samples = desk_bench.prepared_database(
            backend, args.orders, args.cache, args.rebuild
        )
        results.append(measure(url, key, args.packages, args.cache))
    if args.json:
        print(json.dumps({"loop_s": round(loop_s, 3), "results": results}, ensure_ascii=False))
    else:
        report(results, loop_s)
    failed = any(r["all_p95"] > TARGET_P95_MS for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
