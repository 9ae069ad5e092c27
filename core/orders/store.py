"""Storing orders from platforms and imports: exactly once, never going backwards.

Invariant 1: an order synced any number of times, by any number of workers, exists once —
the unique key (shop_id, platform_order_no) with INSERT … ON CONFLICT DO NOTHING makes two
workers racing on a new order end with one row; and an update only applies when the
platform's `updated_at` is newer than the stored one (a guarded UPDATE, so a late, older
copy of an order can never overwrite a newer one, even between processes).

Written in batches from prepared rows (`core.orders.rows`): a batch of new orders is one
`executemany` of the driver, inside a savepoint; if another worker inserted one of them
meanwhile (the row count says so), the savepoint is rolled back and the batch goes
through the exact path, one `INSERT … RETURNING` per order. Orders that exist already
take the guarded UPDATE one by one — after the first sync that is the rare case.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, String, any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from core import clock
from core.contracts.types import OrderStatus, PlatformOrder, RefundStatus
from core.crypto import Keyring
from core.db import open_write_transaction
from core.models import Alert
from core.orders import status as order_status
from core.orders.rows import (
    HOLD_COLUMNS,
    LINE_COLUMNS,
    LINES,
    ORDER_COLUMNS,
    ORDERS,
    UPDATE_COLUMNS,
    OrderEncoder,
    PreparedOrder,
)


@dataclass
class UpsertResult:
    """What one batch did. `stored` maps order number → row id for new and updated orders."""

    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: dict[str, int] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    alerts: list[int] = field(default_factory=list)

    def add(self, other: UpsertResult) -> None:
        self.seen += other.seen
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stored.update(other.stored)
        self.created |= other.created
        self.alerts += other.alerts


def encoder_for(
    session: Session, keyring: Keyring, *, org_id: int, shop_id: int, source: str
) -> OrderEncoder:
    """The encoder for this session's backend."""
    return OrderEncoder(
        session.get_bind().dialect, keyring, org_id=org_id, shop_id=shop_id, source=source
    )


def upsert_orders(
    session: Session,
    keyring: Keyring,
    *,
    org_id: int,
    shop_id: int,
    orders: Sequence[PlatformOrder],
    source: str = "sync",
) -> UpsertResult:
    """Insert new orders, apply newer versions of known ones, skip stale or equal copies.

    Runs in the caller's transaction: the sync engine commits it together with the shop's
    cursor (invariant 2). Duplicates inside `orders` are reduced to the newest copy.
    """
    encoder = encoder_for(session, keyring, org_id=org_id, shop_id=shop_id, source=source)
    return write_prepared(session, encoder, encoder.encode(orders))


def write_prepared(
    session: Session, encoder: OrderEncoder, prepared: Sequence[PreparedOrder]
) -> UpsertResult:
    """`upsert_orders` for orders already encoded (possibly in another process) by an
    encoder for the same backend, org, shop and source."""
    result = UpsertResult(seen=len(prepared))
    latest: dict[str, PreparedOrder] = {}
    for item in prepared:
        kept = latest.get(item.number)
        if kept is None or item.updated_at > kept.updated_at:
            latest[item.number] = item
    if not latest:
        return result
    shop_id = encoder.shop_id
    open_write_transaction(session)
    existing = _existing(session, shop_id, list(latest))
    fresh = [p for n, p in latest.items() if n not in existing]
    inserted = _insert_new(session, encoder, fresh)
    for number, order_id in inserted.items():
        result.new += 1
        result.stored[number] = order_id
        result.created.add(number)
    # Lost an insert race to another worker: treat as an update of their row.
    raced = [p.number for p in fresh if p.number not in inserted]
    if raced:
        existing.update(_existing(session, shop_id, raced))
    now = clock.now()
    for number, item in latest.items():
        if number in inserted:
            continue
        row = existing[number]
        if row.platform_updated_at is not None and item.updated_at <= row.platform_updated_at:
            result.unchanged += 1
            continue
        if _apply_update(session, encoder, row, item, now, result):
            result.updated += 1
            result.stored[number] = row.id
        else:
            result.unchanged += 1
    return result


def _existing(session: Session, shop_id: int, numbers: list[str]) -> dict[str, object]:
    rows = session.execute(
        select(
            ORDERS.c.id,
            ORDERS.c.platform_order_no,
            ORDERS.c.platform_updated_at,
            ORDERS.c.hub_status,
            ORDERS.c.on_hold,
            ORDERS.c.exception_reasons,
        ).where(*shop_numbers(session.get_bind().dialect.name)),
        {"shop_id": shop_id, "numbers": numbers},
    ).all()
    return {r.platform_order_no: r for r in rows}


def shop_numbers(dialect_name: str) -> tuple[ColumnElement[bool], ...]:
    """WHERE clauses for one shop's orders among bound numbers (params `shop_id`,
    `numbers`). PostgreSQL binds the numbers as one array (`= ANY`): psycopg prepares a
    statement run five times, and the generic plan for `IN ($2, …, $1001)` scans every
    order of the shop for each batch; with one array it uses the unique index."""
    shop = ORDERS.c.shop_id == bindparam("shop_id")
    if dialect_name == "postgresql":
        return shop, ORDERS.c.platform_order_no == any_(bindparam("numbers", type_=ARRAY(String)))
    return shop, ORDERS.c.platform_order_no.in_(bindparam("numbers", expanding=True))


def _insert_new(
    session: Session, encoder: OrderEncoder, fresh: list[PreparedOrder]
) -> dict[str, int]:
    """Order number → id of the orders this call inserted (not those a racer did)."""
    if not fresh:
        return {}
    connection = session.connection()
    marker = _placeholder(connection.dialect.paramstyle)
    savepoint = connection.begin_nested()
    count = connection.exec_driver_sql(_insert_sql(marker), [p.row for p in fresh]).rowcount
    if count == len(fresh):
        savepoint.commit()
        ids = _ids(session, encoder.shop_id, [p.number for p in fresh])
    else:  # someone else stored some of them meanwhile: find out exactly which are ours
        savepoint.rollback()
        ids = {}
        statement = _insert_returning_sql(marker)
        for item in fresh:
            row = connection.exec_driver_sql(statement, item.row).first()
            if row is not None:
                ids[item.number] = row[0]
    _insert_lines(connection, marker, [(ids[p.number], p.lines) for p in fresh if p.number in ids])
    return ids


def _ids(session: Session, shop_id: int, numbers: list[str]) -> dict[str, int]:
    rows = session.execute(
        select(ORDERS.c.platform_order_no, ORDERS.c.id).where(
            *shop_numbers(session.get_bind().dialect.name)
        ),
        {"shop_id": shop_id, "numbers": numbers},
    )
    return {number: order_id for number, order_id in rows}


def _placeholder(paramstyle: str) -> str:
    return "?" if paramstyle == "qmark" else "%s"


def _insert_sql(marker: str) -> str:
    return (
        f"INSERT INTO orders ({', '.join(ORDER_COLUMNS)}) "
        f"VALUES ({', '.join([marker] * len(ORDER_COLUMNS))}) "
        "ON CONFLICT (shop_id, platform_order_no) DO NOTHING"
    )


def _insert_returning_sql(marker: str) -> str:
    return _insert_sql(marker) + " RETURNING id"


def _insert_lines(connection, marker: str, orders: list[tuple[int, tuple]]) -> None:  # type: ignore[no-untyped-def]
    rows = [(order_id, *line) for order_id, lines in orders for line in lines]
    if not rows:
        return
    columns = ("order_id", *LINE_COLUMNS)
    connection.exec_driver_sql(
        f"INSERT INTO order_lines ({', '.join(columns)}) "
        f"VALUES ({', '.join([marker] * len(columns))})",
        rows,
    )


def _apply_update(
    session: Session,
    encoder: OrderEncoder,
    row: object,
    item: PreparedOrder,
    now: object,
    result: UpsertResult,
) -> bool:
    """Guarded update: applies only if the stored copy is still older than `item`."""
    derived = order_status.derive(
        row.hub_status,
        OrderStatus(item.status),
        RefundStatus(item.refund_status),
        tuple(row.exception_reasons or ()),
    )
    hold = derived.hold and not row.on_hold
    values = encoder.update_row(item, derived, now, hold)
    connection = session.connection()
    marker = _placeholder(connection.dialect.paramstyle)
    columns = UPDATE_COLUMNS + HOLD_COLUMNS if hold else UPDATE_COLUMNS
    assignments = ", ".join(f"{c} = {marker}" for c in columns)
    guard = item.row[ORDER_COLUMNS.index("platform_updated_at")]
    changed = connection.exec_driver_sql(
        f"UPDATE orders SET {assignments} WHERE id = {marker} "
        f"AND (platform_updated_at IS NULL OR platform_updated_at < {marker})",
        (*values, row.id, guard),
    ).rowcount
    if changed != 1:
        return False  # another worker stored a newer copy meanwhile
    session.execute(delete(LINES).where(LINES.c.order_id == row.id))
    _insert_lines(connection, marker, [(row.id, item.lines)])
    if hold:
        alert = Alert(
            org_id=encoder.org_id,
            kind="order.refund_hold",
            severity="critical",
            message=(
                f"订单 {item.number} {derived.hold_reason}: 已拦截，请勿发货 / "
                f"order {item.number} is on hold, do not ship"
            ),
        )
        session.add(alert)
        session.flush()
        result.alerts.append(alert.id)
    return True


__all__ = ["UpsertResult", "encoder_for", "upsert_orders", "write_prepared"]
