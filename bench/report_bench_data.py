"""The report bench's data: N orders of one org (and a few of another) written by SQL.

Every row is made by the database itself: one `INSERT … SELECT` over a recursive counter
per table, the spreads drawn from a multiplicative hash of the row number (so every build
is the same and no Python loop touches a million rows). A million orders take about a
minute on the 2-CPU development VM; the file is kept between runs (report_bench.py).

Spreads: payments over 365 days (every hour of the day, so Shanghai's midnight is
crossed); 5 shops; 31 provinces; hub status 待审 10 %, 已审 5 %, 已打印 5 %, 已发货 30 %,
已签收 40 %, 已取消 6 %, 已退款 4 %; 3 % of orders in the exception queue, 1 % on hold;
a package (100–4,990 g) with a waybill of one of 4 carrier accounts for every printed,
shipped and completed order, printed by one of 6 users 0.5–30 h after payment, shipped
2–70 h after; 2 % of labels printed again; promised ship-by 48 h after payment; 2,000
SKUs with a level and a cost, one deduct move per shipped order; a rate card for every
carrier account and province.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine, Table

from core.models import Base

START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 365
SHOPS = ("旗舰店", "杯子店", "家居店", "数码店", "服饰店")
CARRIERS = (("圆通", "YTO"), ("中通", "ZTO"), ("韵达", "YUNDA"), ("顺丰", "SF"))
USERS = ("printer1", "printer2", "printer3", "packer1", "packer2", "manager")
PROVINCES = [
    "广东省",
    "浙江省",
    "江苏省",
    "山东省",
    "河南省",
    "四川省",
    "湖北省",
    "湖南省",
    "河北省",
    "福建省",
    "上海市",
    "北京市",
    "安徽省",
    "辽宁省",
    "陕西省",
    "江西省",
    "广西壮族自治区",
    "重庆市",
    "云南省",
    "山西省",
    "天津市",
    "黑龙江省",
    "吉林省",
    "贵州省",
    "内蒙古自治区",
    "新疆维吾尔自治区",
    "甘肃省",
    "海南省",
    "宁夏回族自治区",
    "青海省",
    "西藏自治区",
]
SKUS = 2_000
_NOW_TEXT = "2027-01-02 00:00:00.000000"


def hashed(expr: str, modulus: int, salt: int = 0) -> str:
    """A well spread number 0 … modulus-1 from the integer SQL expression `expr`: the
    product of two linear forms modulo a prime, different for every salt, so two spreads
    drawn with different salts are independent (one linear form shifted by a salt would
    make them move together). Every step stays below 2^62: SQLite integers never overflow."""
    a = f"((({expr}) * 48271 + {salt * 7919 + 1}) % 2147483647)"
    b = f"((({expr}) * 16807 + {salt * 104729 + 3}) % 2147483647)"
    return f"(({a} * {b}) % 2147483647 % {modulus})"


def at(seconds: str) -> str:
    """SQL text of START + `seconds`, as the UTC column type stores it on SQLite."""
    start = int(START.timestamp())
    return f"strftime('%Y-%m-%d %H:%M:%S.000000', {start} + ({seconds}), 'unixepoch')"


def case(index: str, values: tuple[str, ...]) -> str:
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE {index} {whens} END)"


def _pick_int(index: str, values: list[int]) -> str:
    whens = " ".join(f"WHEN {i} THEN {v}" for i, v in enumerate(values))
    return f"(CASE ({index}) % {len(values)} {whens} END)"


def insert(conn, table: Table, count: int | str, values: Mapping[str, str]) -> None:  # type: ignore[no-untyped-def]
    """`count` rows into `table`, row number `n` (1 … count), or one row per row of the
    `FROM …` clause `count` (which names `n`); unnamed columns take their model default
    (a fixed time for `clock.now`)."""
    names, exprs = [], []
    for column in table.columns:
        if column.name in values:
            expr = values[column.name]
        else:
            expr = _default(column)
            if expr is None:
                continue
        names.append(column.name)
        exprs.append(expr)
    if isinstance(count, int):
        source = (
            f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq "
            f"WHERE n < {count}) SELECT {', '.join(exprs)} FROM seq"
        )
    else:
        source = f"SELECT {', '.join(exprs)} {count}"
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(names)}) {source}")


def _default(column) -> str | None:  # type: ignore[no-untyped-def]
    if column.primary_key:
        return None
    default = column.default
    if default is None:
        return "NULL" if column.nullable else None
    if not default.is_callable:
        arg = default.arg
        if isinstance(arg, bool):
            return "1" if arg else "0"
        if isinstance(arg, int | float):
            return str(arg)
        return "'" + str(arg).replace("'", "''") + "'"
    value = default.arg(None)
    if isinstance(value, datetime):
        return f"'{_NOW_TEXT}'"
    if isinstance(value, list):
        return "'[]'"
    if isinstance(value, dict):
        return "'{}'"
    raise ValueError(f"no SQL default for {column}")


def build(engine: Engine, org_id: int, other_org_id: int, user_ids: list[int], count: int) -> None:
    """Write everything above into a migrated SQLite database holding the two orgs."""
    t = Base.metadata.tables
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA cache_size=-400000")
        insert(
            conn,
            t["shops"],
            len(SHOPS) + 1,
            {
                "id": "n",
                "org_id": f"CASE WHEN n <= {len(SHOPS)} THEN {org_id} ELSE {other_org_id} END",
                "platform": "'pinduoduo'",
                "platform_shop_id": "'90' || n",
                "name": case("n - 1", (*SHOPS, "别人的店")),
            },
        )
        insert(
            conn,
            t["carrier_accounts"],
            len(CARRIERS),
            {
                "id": "n",
                "org_id": str(org_id),
                "name": case("n - 1", tuple(c[0] for c in CARRIERS)),
                "carrier": "'manual'",
                "wp_code": case("n - 1", tuple(c[1] for c in CARRIERS)),
            },
        )
        _orders(conn, t, org_id, count)
        _other_org(conn, t, other_org_id, count)
        _packages(conn, t, org_id, user_ids, count)
        _stock(conn, t, org_id, count)
        _rates(conn, t, org_id)
        extras(conn, t, org_id)


STATUS = hashed("n", 100, 1)
#: Seconds from payment to the first print, and to shipment.
PRINT_DELAY = f"(1800 + {hashed('n', 28 * 3600, 3)})"
SHIP_DELAY = f" + {PRINT_DELAY} + 3600 + {hashed('n', 40 * 3600, 10)}"


def paid_seconds(count: int) -> str:
    step = DAYS * 86400 // count or 1
    return f"(n * {step} + {hashed('n', step, 2)})"


def _orders(conn, t, org_id: int, count: int) -> None:  # type: ignore[no-untyped-def]
    status = STATUS
    hub = (
        f"(CASE WHEN {status} < 10 THEN 'pending' WHEN {status} < 15 THEN 'audited' "
        f"WHEN {status} < 20 THEN 'printed' WHEN {status} < 50 THEN 'shipped' "
        f"WHEN {status} < 90 THEN 'completed' WHEN {status} < 96 THEN 'cancelled' "
        "ELSE 'refunded' END)"
    )
    paid = paid_seconds(count)
    printed = at(f"{paid} + {PRINT_DELAY}")
    exceptional = f"({hashed('n', 100, 4)} < 3 AND {status} < 15)"
    reasons = case(
        hashed("n", 4, 5),
        (
            '["buyer_memo"]',
            '["address_unknown_city"]',
            '["unmapped_sku", "buyer_memo"]',
            '["duplicate_order"]',
        ),
    )
    insert(
        conn,
        t["orders"],
        count,
        {
            "id": "n",
            "org_id": str(org_id),
            "shop_id": f"1 + {hashed('n', len(SHOPS), 6)}",
            "platform_order_no": "'26' || printf('%012d', n)",
            "hub_status": hub,
            "platform_status": "'paid'",
            "paid_at": at(paid),
            "created_at_platform": at(paid),
            "promised_ship_by": at(f"{paid} + 172800"),
            "shipped_at": f"CASE WHEN {status} BETWEEN 20 AND 89 THEN {at(paid + SHIP_DELAY)} END",
            "printed_at": f"CASE WHEN {status} BETWEEN 15 AND 89 THEN {printed} END",
            "goods_amount_fen": f"990 + {hashed('n', 20000, 7)}",
            "pay_amount_fen": f"990 + {hashed('n', 20000, 7)}",
            "receiver_province": case(hashed("n", len(PROVINCES), 8), tuple(PROVINCES)),
            "exception_reasons": f"CASE WHEN {exceptional} THEN {reasons} ELSE '[]' END",
            "in_exception": f"CASE WHEN {exceptional} THEN 1 ELSE 0 END",
            "on_hold": f"CASE WHEN {hashed('n', 100, 9)} = 0 AND {status} < 20 THEN 1 ELSE 0 END",
            "hold_reason": f"CASE WHEN {hashed('n', 100, 9)} = 0 AND {status} < 20 "
            "THEN '缺货 / out of stock' ELSE '' END",
        },
    )


def _other_org(conn, t, other_org_id: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """A thousand orders of another org on the same days: never counted."""
    insert(
        conn,
        t["orders"],
        1000,
        {
            "id": f"{count} + n",
            "org_id": str(other_org_id),
            "shop_id": str(len(SHOPS) + 1),
            "platform_order_no": "'99' || printf('%012d', n)",
            "hub_status": "'shipped'",
            "paid_at": at(f"n * {DAYS * 86400 // 1000}"),
            "shipped_at": at(f"n * {DAYS * 86400 // 1000} + 3600"),
        },
    )


def _packages(conn, t, org_id: int, user_ids: list[int], count: int) -> None:  # type: ignore[no-untyped-def]
    """Package n, its line and waybill n for every printed, shipped or completed order n,
    and the labels' print jobs (500 labels a job) and items; 2 % printed again."""
    paid = paid_seconds(count)
    source = (
        f"FROM (SELECT id AS n FROM orders WHERE org_id = {org_id} "
        "AND hub_status IN ('printed', 'shipped', 'completed'))"
    )
    carrier = f"1 + {hashed('n', len(CARRIERS), 11)}"
    insert(
        conn,
        t["packages"],
        source,
        {
            "id": "n",
            "org_id": str(org_id),
            "shop_id": f"1 + {hashed('n', len(SHOPS), 6)}",
            "carrier_account_id": carrier,
            "weight_g": f"100 + 10 * {hashed('n', 490, 12)}",
            "printed_at": at(f"{paid} + {PRINT_DELAY}"),
            "receiver_province": case(hashed("n", len(PROVINCES), 8), tuple(PROVINCES)),
            "status": f"CASE WHEN {STATUS} < 20 THEN 'printed' ELSE 'shipped' END",
        },
    )
    insert(
        conn,
        t["package_lines"],
        source,
        {
            "id": "n",
            "org_id": str(org_id),
            "package_id": "n",
            "order_id": "n",
            "line_no": "1",
            "quantity": "1",
        },
    )
    insert(
        conn,
        t["waybills"],
        source,
        {
            "id": "n",
            "org_id": str(org_id),
            "package_id": "n",
            "carrier_account_id": carrier,
            "carrier": "'manual'",
            "carrier_code": case(f"{carrier} - 1", tuple(c[1] for c in CARRIERS)),
            "number": "'YT' || (7000000000 + n)",
            "status": "'printed'",
            "allocated_at": at(f"{paid} + 600"),
            "printed_at": at(f"{paid} + {PRINT_DELAY}"),
        },
    )
    jobs = count // 500 + 1
    insert(
        conn,
        t["print_jobs"],
        jobs,
        {
            "id": "n",
            "org_id": str(org_id),
            "kind": "'label'",
            "status": "'done'",
            "created_by": _pick_int("n", user_ids),
        },
    )
    item = {
        "org_id": str(org_id),
        "job_id": "n / 500 + 1",
        "kind": "'label'",
        "package_id": "n",
        "order_id": "n",
        "waybill_id": "n",
        "state": "'done'",
    }
    insert(
        conn,
        t["print_job_items"],
        source,
        {**item, "id": "n", "position": "n", "done_at": at(f"{paid} + {PRINT_DELAY}")},
    )
    insert(
        conn,
        t["print_job_items"],
        source[:-1] + f" AND {hashed('id', 50, 13)} = 0)",
        {
            **item,
            "id": f"{count} + n",
            "position": f"{count} + n",
            "reprint": "1",
            "reprint_reason": "'卡纸 / paper jam'",
            "reprint_of_id": "n",
            "done_at": at(f"{paid} + {PRINT_DELAY} + 300"),
        },
    )


def _stock(conn, t, org_id: int, count: int) -> None:  # type: ignore[no-untyped-def]
    """One warehouse, SKUS SKUs (a few sell most), a receipt each and a deduct per shipped order."""
    paid = paid_seconds(count)
    insert(
        conn,
        t["warehouses"],
        1,
        {"id": "n", "org_id": str(org_id), "name": "'主仓'", "is_default": "1"},
    )
    insert(
        conn,
        t["skus"],
        SKUS,
        {
            "id": "n",
            "org_id": str(org_id),
            "code": "'SKU-' || printf('%05d', n)",
            "name": "'商品 ' || n",
            "weight_g": "300",
            "cost_fen": f"500 + {hashed('n', 5000, 14)}",
        },
    )
    sku = f"(1 + {hashed('n', SKUS, 15)} * {hashed('n', SKUS, 16)} / {SKUS})"
    insert(
        conn,
        t["stock_moves"],
        SKUS,
        {
            "id": "n",
            "org_id": str(org_id),
            "warehouse_id": "1",
            "sku_id": "n",
            "on_hand_delta": "5000",
            "reason": "'receipt'",
            "reference": "'RK-1'",
            "at": at("0"),
        },
    )
    insert(
        conn,
        t["stock_moves"],
        f"FROM (SELECT id AS n FROM orders WHERE org_id = {org_id} AND shipped_at IS NOT NULL)",
        {
            "id": f"{SKUS} + n",
            "org_id": str(org_id),
            "warehouse_id": "1",
            "sku_id": sku,
            "on_hand_delta": "-1",
            "reason": "'deduct'",
            "reference": "'26' || printf('%012d', n)",
            "at": at(f"{paid}{SHIP_DELAY}"),
        },
    )
    conn.exec_driver_sql(
        "INSERT INTO stock_levels (org_id, warehouse_id, sku_id, on_hand, reserved) "
        f"SELECT {org_id}, warehouse_id, sku_id, sum(on_hand_delta), 0 FROM stock_moves "
        "GROUP BY warehouse_id, sku_id"
    )


def _rates(conn, t, org_id: int) -> None:  # type: ignore[no-untyped-def]
    """Every carrier account: 首重 1 kg, 续重 per kg, dearer far away."""
    insert(
        conn,
        t["carrier_rates"],
        len(CARRIERS) * len(PROVINCES),
        {
            "org_id": str(org_id),
            "carrier_account_id": f"1 + (n - 1) / {len(PROVINCES)}",
            "province": case(f"(n - 1) % {len(PROVINCES)}", tuple(PROVINCES)),
            "first_weight_g": "1000",
            "first_fen": f"300 + 50 * ((n - 1) % {len(PROVINCES)}) / 4",
            "step_weight_g": "1000",
            "step_fen": f"100 + 20 * ((n - 1) % {len(PROVINCES)}) / 4",
        },
    )


def extras(conn, t, org_id: int) -> None:  # type: ignore[no-untyped-def]
    """A few quarantined orders and alerts (what the exceptions report counts besides)."""
    insert(
        conn,
        t["quarantined_orders"],
        100,
        {
            "org_id": str(org_id),
            "shop_id": "1",
            "platform_order_no": "'Q' || n",
            "reason": "'缺少收货地址 / no receiver address'",
            "first_seen_at": at("n * 86400 * 3"),
            "last_seen_at": at("n * 86400 * 3"),
        },
    )
    insert(
        conn,
        t["alerts"],
        200,
        {
            "org_id": str(org_id),
            "kind": case("n % 2", ("sync_failed", "stock_low")),
            "message": "'x'",
            "created_at": at("n * 86400 + 3600"),
        },
    )
