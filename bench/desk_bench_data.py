"""The order desk bench's data: N orders of one org over 5 shops, written in bulk.

Spreads (seeded, so every build is the same): hub status 待审 12 %, 已审 8 %, 已打印 5 %,
已发货 25 %, 已签收 40 %, 已取消 6 %, 已退款 4 %; 1 % of open orders on hold, 3 % of
待审/已审 in the exception queue; 31 provinces weighted like a real shop's buyers (广东
≈ 12 %), two cities and two districts each; payments spread over 180 days; 1–3 goods
lines; 15 % of orders tagged (紧急, 国内快递, VIP, 赠品), 5 % flagged, 10 % with a buyer
memo, 5 % with a seller remark; a package and a waybill for every printed, shipped and
completed order. Rows go straight to the driver (`executemany` on SQLite, `COPY` on
PostgreSQL) with each column's own bind processor, as `core.orders.rows` writes them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table

from core import masking
from core.app import App
from core.crypto import Keyring
from core.models import (
    CarrierAccount,
    Order,
    OrderLine,
    OrderTag,
    Package,
    PackageLine,
    Shop,
    Tag,
    Waybill,
)

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
DAYS = 180
SHOPS = ("旗舰店", "杯子店", "家居店", "数码店", "服饰店")
TAGS = ("紧急", "国内快递", "VIP", "赠品")
STATUSES = (
    ("pending", 12),
    ("audited", 8),
    ("printed", 5),
    ("shipped", 25),
    ("completed", 40),
    ("cancelled", 6),
    ("refunded", 4),
)
PROVINCES = (
    ("广东省", 12),
    ("浙江省", 8),
    ("江苏省", 8),
    ("山东省", 7),
    ("河南省", 6),
    ("四川省", 5),
    ("湖北省", 5),
    ("湖南省", 5),
    ("河北省", 5),
    ("福建省", 4),
    ("上海市", 4),
    ("北京市", 4),
    ("安徽省", 4),
    ("辽宁省", 3),
    ("陕西省", 3),
    ("江西省", 3),
    ("广西壮族自治区", 3),
    ("重庆市", 3),
    ("云南省", 2),
    ("山西省", 2),
    ("天津市", 2),
    ("黑龙江省", 2),
    ("吉林省", 1),
    ("贵州省", 1),
    ("内蒙古自治区", 1),
    ("新疆维吾尔自治区", 1),
    ("甘肃省", 1),
    ("海南省", 1),
    ("宁夏回族自治区", 1),
    ("青海省", 1),
    ("西藏自治区", 1),
)
TITLES = ("保温杯 500ml 红色 L", "陶瓷杯 蓝色", "杯盖 通用", "儿童水杯 粉色", "茶杯套装")
FLAGS = ("red", "yellow", "green", "blue", "purple")
REASONS = ("address_invalid", "memo_present", "refund_in_progress", "amount_out_of_range")
OPEN = ("pending", "audited", "printed")
WITH_WAYBILL = ("printed", "shipped", "completed")
BATCH = 20_000


def build(app: App, org_id: int, count: int, seed: int = 7) -> dict:
    """Write the org's shops, tags, carrier account and `count` orders into an empty
    database; return samples (phones and waybill numbers that exist) for exact searches."""
    rng = random.Random(seed)
    keyring = app.keyring
    ids = _reference_rows(app, org_id)
    writer = RowWriter(app.engine)
    samples: dict[str, list[str]] = {"phones": [], "waybills": []}
    package_id = 0
    step = max(1, count // 1000)  # about 1,000 samples of each
    for start in range(0, count, BATCH):
        orders, lines, tags, packages, package_lines, waybills = [], [], [], [], [], []
        for order_id in range(start + 1, min(start + BATCH, count) + 1):
            row, goods, phone = _order(rng, keyring, org_id, ids, order_id)
            orders.append(row)
            lines += goods
            if rng.random() < 0.15:
                tags.append(
                    {
                        "order_id": order_id,
                        "tag_id": rng.choice(ids["tags"]),
                        "org_id": org_id,
                        "tagged_at": NOW,
                    }
                )
            if row["hub_status"] in WITH_WAYBILL:
                package_id += 1
                number = f"YT{7_000_000_000 + order_id}"
                packages.append(
                    {
                        "id": package_id,
                        "org_id": org_id,
                        "shop_id": row["shop_id"],
                        "status": "shipped",
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                )
                package_lines.append(
                    {
                        "org_id": org_id,
                        "package_id": package_id,
                        "order_id": order_id,
                        "line_no": 1,
                        "quantity": 1,
                    }
                )
                waybills.append(
                    {
                        "org_id": org_id,
                        "package_id": package_id,
                        "carrier_account_id": ids["carrier"],
                        "carrier": "manual",
                        "carrier_code": "YTO",
                        "number": number,
                        "status": "printed",
                        "allocated_at": NOW,
                    }
                )
                if order_id % step == 0:
                    samples["waybills"].append(number)
            if order_id % step == 0:
                samples["phones"].append(phone)
        writer.write(Order.__table__, orders)
        writer.write(OrderLine.__table__, lines)
        writer.write(OrderTag.__table__, tags)
        writer.write(Package.__table__, packages)
        writer.write(PackageLine.__table__, package_lines)
        writer.write(Waybill.__table__, waybills)
        writer.commit()
    writer.finish()
    return samples


def _reference_rows(app: App, org_id: int) -> dict[str, Any]:
    with app.tx() as session:
        shops = [
            Shop(org_id=org_id, platform="pinduoduo", platform_shop_id=f"90{n}", name=name)
            for n, name in enumerate(SHOPS)
        ]
        tags = [Tag(org_id=org_id, name=name, color="red") for name in TAGS]
        carrier = CarrierAccount(org_id=org_id, name="圆通主号", carrier="manual", wp_code="YTO")
        session.add_all([*shops, *tags, carrier])
        session.flush()
        return {"shops": [s.id for s in shops], "tags": [t.id for t in tags], "carrier": carrier.id}


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _order(rng: random.Random, keyring: Keyring, org_id: int, ids: dict, order_id: int):  # type: ignore[no-untyped-def]
    hub = _pick(rng, STATUSES)
    province = _pick(rng, PROVINCES)
    city = f"{province[:2]}{rng.choice('一二')}市"
    paid = NOW - timedelta(seconds=rng.randrange(DAYS * 86400))
    phone = f"1{rng.randrange(30, 99)}{rng.randrange(10**8):08d}"
    in_exception = hub in ("pending", "audited") and rng.random() < 0.03
    flag = rng.choice(FLAGS) if rng.random() < 0.05 else ""
    row = {
        "id": order_id,
        "org_id": org_id,
        "shop_id": rng.choice(ids["shops"]),
        "platform_order_no": f"261{order_id:012d}",
        "source": "sync",
        "hub_status": hub,
        "platform_status": "1",
        "refund_status": "refunded" if hub == "refunded" else "none",
        "on_hold": hub in OPEN and rng.random() < 0.01,
        "created_at_platform": paid - timedelta(minutes=rng.randrange(1, 30)),
        "paid_at": paid,
        "promised_ship_by": paid + timedelta(hours=48),
        "shipped_at": paid + timedelta(hours=20) if hub in ("shipped", "completed") else None,
        "goods_amount_fen": 3990,
        "pay_amount_fen": 3490,
        "buyer_memo": "请发顺丰" if rng.random() < 0.10 else "",
        "seller_remark": "送礼" if rng.random() < 0.05 else "",
        "flag_color": flag,
        "local_flag": "red" if rng.random() < 0.01 else "",
        "exception_reasons": [rng.choice(REASONS)] if in_exception else [],
        "in_exception": in_exception,
        "receiver_province": province,
        "receiver_city": city,
        "receiver_district": f"{city[:2]}{rng.choice('东西')}区",
        "receiver_name_masked": "王**",
        "receiver_phone_masked": masking.mask_phone(phone),
        "receiver_address_masked": "文三路 90 号****",
        "receiver_phone_hash": keyring.keyed_hash(phone, "receiver_phone"),
        "first_seen_at": paid,
        "updated_at": paid,
    }
    goods = [
        {
            "order_id": order_id,
            "org_id": org_id,
            "line_no": n + 1,
            "platform_sku_id": f"sku-{rng.randrange(200)}",
            "outer_id": f"CUP-{rng.randrange(50)}",
            "title": rng.choice(TITLES),
            "quantity": 1,
            "unit_price_fen": 3990,
        }
        for n in range(rng.choice((1, 1, 1, 2, 3)))
    ]
    return row, goods, phone


class RowWriter:
    """Rows of a table to the driver: every column filled (given, else its default), each
    through the column's own bind processor."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.raw = engine.raw_connection()
        self.dialect = engine.dialect

    def write(self, table: Table, rows: list[dict]) -> None:
        if not rows:
            return
        columns = [c for c in table.columns if c.name in rows[0] or _default(c) is not _NONE]
        names = [c.name for c in columns]
        processors = [c.type.bind_processor(self.dialect) for c in columns]
        defaults = [_default(c) for c in columns]
        values = [
            tuple(
                (p(v) if p else v)
                for p, v in zip(
                    processors,
                    (row.get(n, d) for n, d in zip(names, defaults, strict=True)),
                    strict=True,
                )
            )
            for row in rows
        ]
        cursor = self.raw.cursor()
        if self.dialect.name == "sqlite":
            marks = ", ".join("?" for _ in names)
            cursor.executemany(
                f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})", values
            )
        else:
            with cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        cursor.close()

    def commit(self) -> None:
        self.raw.commit()

    def finish(self) -> None:
        self.raw.commit()
        if self.dialect.name == "postgresql":
            cursor = self.raw.cursor()
            for table in ("orders", "packages"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            self.raw.commit()
        self.raw.close()


_NONE = object()


def _default(column) -> Any:  # type: ignore[no-untyped-def]
    if column.primary_key and column.autoincrement in (True, "auto"):
        return _NONE
    default = column.default
    if default is None:
        return None if column.nullable else _NONE
    # SQLAlchemy wraps a column's default callable to take the execution context.
    return default.arg(None) if default.is_callable else default.arg


def rows_in(engine: Engine) -> Iterator[tuple[str, int]]:
    with engine.connect() as conn:
        for table in ("orders", "order_lines", "order_tags", "waybills"):
            yield table, conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one()
