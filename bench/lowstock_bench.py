"""What the low-stock check costs `ledger.post`, the one writer of stock levels.

    .venv/bin/python bench/lowstock_bench.py                        # 5,000 posts, SQLite
    .venv/bin/python bench/lowstock_bench.py --backend postgres     # needs ORDERHUB_TEST_PG_URL
    .venv/bin/python bench/lowstock_bench.py --posts 500 --json     # a quick run

Each post is what approving one order does: a transaction reserving 1–3 SKUs of 200 in
one warehouse (`core.stock.ledger.post`: its row locks, the ledger rows and, since issue
14, the low-stock check). On a fresh database, the same seeded posts for each run:

- `no_check`: the post with the check switched off (the ledger as it was before);
- `no_thresholds`: the org has set none;
- `thresholds`: every SKU has one, far below its stock (each level settled, no alert);
- `crossing`: thresholds set so that about one post in fifty takes a level across one
  and raises an alert (two look-ups and an alert row; no second alert: the flag).

The first three run in turns of 100 posts (off, on, off, on …), so that the drift of a
long run (the ledger growing, WAL checkpoints, the machine's load) falls on each alike;
`crossing` runs last, alone. The baseline is the simplest way of doing the same writes
with the driver alone: per SKU an `UPDATE stock_levels SET reserved = reserved + ?` and
an `INSERT` into `stock_moves`, committed per post. Printed: posts/s and µs per post of
each run, its ratio to the baseline, and the check's cost (`no_thresholds` and
`thresholds` ÷ `no_check`, 1.0 = free); the machine's speed is a plain 20,000,000-step
loop.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bench_db  # noqa: E402 - a sibling module: bench/ is the script's dir
import calibration  # noqa: E402
from sqlalchemy import delete, func, select, text  # noqa: E402

from core import crypto  # noqa: E402
from core.accounts import users  # noqa: E402
from core.actor import Actor  # noqa: E402
from core.config import AuthSettings, PluginSettings, Settings  # noqa: E402
from core.models import Alert, StockPolicy  # noqa: E402
from core.startup import open_app  # noqa: E402
from core.stock import (  # noqa: E402
    catalogue,
    ledger,
    lowstock,
    operations,
    policies,
    warehouses,
)
from core.stock.operations import Line  # noqa: E402

SKUS = 200
STOCK = 1_000_000


def plan(posts: int, seed: int = 14) -> list[list[tuple[int, int]]]:
    """Per post: (SKU index, units) for 1–3 distinct SKUs."""
    rng = random.Random(seed)
    return [
        [(i, rng.randint(1, 3)) for i in rng.sample(range(SKUS), rng.randint(1, 3))]
        for _ in range(posts)
    ]


def run_posts(app, org_id: int, house: int, ids: list[int], work, tag: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for number, lines in enumerate(work):
        moves = [
            ledger.Move(
                house, ids[i], reserved=units, reason="reserve", reference=f"{tag}:{number}"
            )
            for i, units in lines
        ]
        with app.tx() as session:
            ledger.post(session, org_id, "bench", moves)
    return time.perf_counter() - started


CHUNK = 100


def interleaved(app, org_id: int, house: int, ids: list[int], work, tag: str):  # type: ignore[no-untyped-def]
    """(seconds without the check, seconds with it) for all of `work`, each chunk of
    `CHUNK` posts run once each way in turn."""
    check = lowstock.check
    off = on = 0.0
    for start in range(0, len(work), CHUNK):
        chunk = work[start : start + CHUNK]
        lowstock.check = lambda *args: []  # type: ignore[assignment]
        try:
            off += run_posts(app, org_id, house, ids, chunk, f"{tag}-off-{start}")
        finally:
            lowstock.check = check  # type: ignore[assignment]
        on += run_posts(app, org_id, house, ids, chunk, f"{tag}-on-{start}")
    return off, on


def run_baseline(app, org_id: int, house: int, ids: list[int], work) -> float:  # type: ignore[no-untyped-def]
    raw = app.engine.raw_connection()
    cursor = raw.cursor()
    mark = "?" if app.engine.dialect.name == "sqlite" else "%s"
    started = time.perf_counter()
    for number, lines in enumerate(work):
        for i, units in lines:
            cursor.execute(
                f"UPDATE stock_levels SET reserved = reserved + {mark} "
                f"WHERE warehouse_id = {mark} AND sku_id = {mark}",
                (units, house, ids[i]),
            )
            cursor.execute(
                "INSERT INTO stock_moves (org_id, warehouse_id, sku_id, on_hand_delta, "
                "reserved_delta, reason, reference, note, actor_label, at) VALUES "
                f"({mark}, {mark}, {mark}, 0, {mark}, 'reserve', {mark}, '', 'bench', "
                "CURRENT_TIMESTAMP)",
                (org_id, house, ids[i], units, f"base:{number}"),
            )
        raw.commit()
    elapsed = time.perf_counter() - started
    raw.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = plan(args.posts)
    with tempfile.TemporaryDirectory() as folder:
        url, cleanup = bench_db.fresh_database(args.backend, Path(folder))
        settings = Settings(
            data_dir=Path(folder),
            database_url=url,
            secret_key=crypto.generate_key(),
            auth=AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1),
            plugins=PluginSettings(only=("orderhub",)),
            source="bench",
        )
        app = open_app(settings)
        try:
            figures = measure(app, work)
        finally:
            app.close()
            cleanup()  # type: ignore[operator]
    figures["calibration_loop_s"] = calibration.loop_seconds()
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    figures["backend"], figures["posts"] = args.backend, args.posts
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(calibration.line())
    print(f"backend {args.backend}, {args.posts:,} posts of 1–3 SKUs (of {SKUS})")
    for name in ("baseline", "no_check", "no_thresholds", "thresholds", "crossing"):
        f = figures[name]
        ratio = f" ({f['ratio_to_baseline']:.2f}x the baseline)" if name != "baseline" else ""
        print(f"{name:>14}: {f['posts_per_s']:>8,.0f} posts/s, {f['us_per_post']:>7,.0f} µs{ratio}")
    ratios = figures["check_ratio"]
    print(
        f"the check: no_thresholds / no_check = {ratios['no_thresholds']:.3f}, "
        f"thresholds / no_check = {ratios['thresholds']:.3f}"
    )
    print(f"alerts raised in the crossing run: {figures['crossing']['alerts']}")


def measure(app, work) -> dict:  # type: ignore[no-untyped-def]
    org, admin = users.create_org_with_admin(app, "bench", "boss", "Correct-Horse-9")
    actor = Actor(org_id=org.id, user_id=admin.id, label="boss")
    house = warehouses.add_warehouse(app, actor, "主仓").id
    codes = [f"SKU-{n:03d}" for n in range(SKUS)]
    for code in codes:
        catalogue.add_sku(app, actor, code)
    operations.receive(app, actor, [Line(code, STOCK) for code in codes])
    ids = [s.id for s in sorted(catalogue.list_skus(app, actor), key=lambda s: s.code)]

    def timed(name: str, seconds: float, base: float | None, halve: bool = False) -> dict:
        posts = len(work) * (2 if halve else 1)
        out = {
            "seconds": round(seconds, 3),
            "posts_per_s": round(posts / seconds, 1),
            "us_per_post": round(seconds / posts * 1e6, 1),
        }
        if base is not None:
            out["ratio_to_baseline"] = round(seconds / base, 3)
        return out

    base = run_baseline(app, org.id, house, ids, work)
    figures = {"baseline": timed("baseline", base, None)}
    # The check's cost, measured in turns of CHUNK posts with it switched off and on, so
    # that the drift of a long run (the ledger growing, WAL checkpoints, the machine's
    # load) falls on both alike: first with no thresholds, then with one on every SKU.
    off_a, on_a = interleaved(app, org.id, house, ids, work, "a")
    for code in codes:
        policies.set_threshold(app, actor, code, 10)
    off_b, on_b = interleaved(app, org.id, house, ids, work, "b")
    figures["no_check"] = timed("no_check", off_a + off_b, base * 2, halve=True)
    figures["no_thresholds"] = timed("no_thresholds", on_a, base)
    figures["thresholds"] = timed("thresholds", on_b, base)
    figures["check_ratio"] = {
        "no_thresholds": round(on_a / off_a, 3),
        "thresholds": round(on_b / off_b, 3),
    }
    # Thresholds just below what is available now, so that roughly one post in fifty
    # takes a level across one (each level crosses at most once: the flag).
    with app.tx() as session:
        session.execute(delete(StockPolicy))
    reserved_per_sku = {i: 0 for i in range(SKUS)}
    for lines in work:
        for i, units in lines:
            reserved_per_sku[i] += units
    with app.tx() as session:
        levels = dict(
            session.execute(
                text("SELECT sku_id, on_hand - reserved FROM stock_levels WHERE org_id = :o"),
                {"o": org.id},
            ).all()
        )
    touched = sorted(i for i, units in reserved_per_sku.items() if units > 1)
    crossing = random.Random(7).sample(touched, min(len(touched), max(1, len(work) // 50)))
    for i in sorted(crossing):
        policies.set_threshold(app, actor, codes[i], levels[ids[i]] - reserved_per_sku[i] // 2)
    with app.tx() as session:
        before = session.scalar(select(func.count()).select_from(Alert))
    crossed = run_posts(app, org.id, house, ids, work, "cross")
    with app.tx() as session:
        after = session.scalar(select(func.count()).select_from(Alert))
    figures["crossing"] = {**timed("crossing", crossed, base), "alerts": after - before}
    return figures


if __name__ == "__main__":
    main()
