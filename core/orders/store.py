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

Imports (source "import") add one rule, because import formats derive an order's update
time from the row's own times, so a corrected file (a price, a receiver's address) brings
the same time again. An import's copy that is not newer than the stored one is compared
on its content (`rows.CONTENT_COLUMNS`, decrypted, and its lines): equal, it is unchanged;
different, with the same time, from an earlier import, it is a *correction* and applied;
different from a newer copy or the platform's own, the stored copy is *kept* and the
result says so (the import report warns). The sync path never reads content.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    bindparam,
    delete,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from core import clock
from core.bound_lists import among
from core.contracts.types import OrderStatus, PlatformOrder, RefundStatus
from core.crypto import Keyring
from core.db import open_write_transaction
from core.holds.packages import has_live_waybill, hold_packages
from core.models import Alert
from core.orders import status as order_status
from core.orders.rows import (
    CONTENT_COLUMNS,
    CONTENT_LINE_COLUMNS,
    HOLD_COLUMNS,
    LINE_COLUMNS,
    LINES,
    ORDER_COLUMNS,
    ORDERS,
    UPDATE_COLUMNS,
    OrderEncoder,
    Precheck,
    PreparedOrder,
)
from core.stock import reservations


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
    #: Imports only: orders updated as a correction (counted in `updated`), and orders
    #: whose different copy was not applied, with the verdict why (counted in `unchanged`).
    corrected: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)

    def add(self, other: UpsertResult) -> None:
        self.seen += other.seen
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.stored.update(other.stored)
        self.created |= other.created
        self.alerts += other.alerts
        self.corrected += other.corrected
        self.kept.update(other.kept)


#: Verdicts of `judge` on an import's copy that is not newer than the stored order.
UNCHANGED = "unchanged"  # the same content
CORRECTION = "correction"  # different; same time, stored by an import: apply it
NEWER = "newer"  # different, and the stored copy is newer: keep it
PLATFORM = "platform"  # different, and the stored copy came from the platform: keep it


def encoder_for(
    session: Session,
    keyring: Keyring,
    *,
    org_id: int,
    shop_id: int,
    source: str,
    precheck: Precheck | None = None,
) -> OrderEncoder:
    """The encoder for this session's backend."""
    return OrderEncoder(
        session.get_bind().dialect,
        keyring,
        org_id=org_id,
        shop_id=shop_id,
        source=source,
        precheck=precheck,
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
    session: Session,
    encoder: OrderEncoder,
    prepared: Sequence[PreparedOrder],
    *,
    before_insert: Callable[[list[PreparedOrder]], None] | None = None,
) -> UpsertResult:
    """`upsert_orders` for orders already encoded (possibly in another process) by an
    encoder for the same backend, org, shop and source. `before_insert` sees the orders
    not stored yet, before they are inserted, and may replace their rows (the audit's
    verdict is written with the insert: `core.auditing.admission`)."""
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
    if before_insert is not None and fresh:
        before_insert(fresh)
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
    compare = encoder.source == "import"
    held: list[PreparedOrder] = []  # an import's copies that are not newer
    for number, item in latest.items():
        if number in inserted:
            continue
        row = existing[number]
        if row.platform_updated_at is not None and item.updated_at <= row.platform_updated_at:
            if compare:
                held.append(item)
            else:
                result.unchanged += 1
            continue
        if _apply_update(session, encoder, row, item, now, result):
            result.updated += 1
            result.stored[number] = row.id
        else:
            result.unchanged += 1
    if held:
        _settle(session, encoder, [(existing[p.number], p) for p in held], now, result)
    changed = [order_id for n, order_id in result.stored.items() if n not in result.created]
    # A platform's cancellation, refund or shipment elsewhere moves the order's stock.
    reservations.reconcile(session, encoder.org_id, changed, encoder.source)
    return result


def judge(
    session: Session, encoder: OrderEncoder, items: Sequence[PreparedOrder]
) -> dict[str, str]:
    """Order number → verdict (`UNCHANGED`, `CORRECTION`, `NEWER`, `PLATFORM`) for an
    import's copies of stored orders that are not newer than the stored ones. Reads only:
    the import and its dry run both decide by it."""
    stored = _stored_content(session, encoder, [p.number for p in items])
    verdicts = {}
    for item in items:
        source, updated_at, content = stored[item.number]
        if encoder.content(item) == content:
            verdicts[item.number] = UNCHANGED
        elif source != "import":
            verdicts[item.number] = PLATFORM
        elif updated_at == item.updated_at:
            verdicts[item.number] = CORRECTION
        else:
            verdicts[item.number] = NEWER
    return verdicts


def _settle(
    session: Session,
    encoder: OrderEncoder,
    held: list[tuple[object, PreparedOrder]],
    now: object,
    result: UpsertResult,
) -> None:
    """An import's copies that are not newer: apply corrections, count the rest."""
    verdicts = judge(session, encoder, [item for _, item in held])
    for row, item in held:
        verdict = verdicts[item.number]
        if verdict == CORRECTION:
            if _apply_update(session, encoder, row, item, now, result, correction=True):
                result.updated += 1
                result.stored[item.number] = row.id
                result.corrected.append(item.number)
                continue
            verdict = NEWER  # another import or a sync stored a copy meanwhile
        result.unchanged += 1
        if verdict != UNCHANGED:
            result.kept[item.number] = verdict


def _stored_content(
    session: Session, encoder: OrderEncoder, numbers: list[str]
) -> dict[str, tuple[str, object, tuple]]:
    """Order number → (source, platform update time, content as `OrderEncoder.content`
    gives it) of stored orders."""
    orders, lines_of = _CONTENT[session.get_bind().dialect.name]
    params = {"shop_id": encoder.shop_id, "numbers": numbers}
    rows = session.execute(orders, params).all()
    lines: dict[int, list[tuple]] = {r[0]: [] for r in rows}
    if lines:
        for line in session.execute(lines_of, params):
            lines[line[0]].append(tuple(line[1:]))
    return {r[1]: (r[2], r[3], encoder.content_of(list(r[4:]), tuple(lines[r[0]]))) for r in rows}


def _raw(column: ColumnElement[object]) -> ColumnElement[object]:
    """`column` read as the driver returns it, without its type's result processing:
    parsing times and JSON on both sides would double the cost of importing a file
    again (`OrderEncoder.content_of` makes them comparable)."""
    return type_coerce(column, NullType()).label(column.name)


def _content_statements(dialect_name: str) -> tuple[Select[Any], Select[Any]]:
    """Stored content of one shop's orders among bound numbers, and of their lines; built
    once (a fresh `type_coerce` would compile again for every batch)."""
    where = shop_numbers(dialect_name)
    head = (ORDERS.c.id, ORDERS.c.platform_order_no, ORDERS.c.source, ORDERS.c.platform_updated_at)
    orders = select(*head, *(_raw(ORDERS.c[c]) for c in CONTENT_COLUMNS)).where(*where)
    lines = (
        select(LINES.c.order_id, *(_raw(LINES.c[c]) for c in CONTENT_LINE_COLUMNS))
        .where(LINES.c.order_id.in_(select(ORDERS.c.id).where(*where)))
        .order_by(LINES.c.order_id, LINES.c.line_no)
    )
    return orders, lines


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
    `numbers`): the numbers as one parameter (`core.bound_lists`), which keeps the unique
    index on PostgreSQL's generic plans and spares SQLAlchemy rendering 1,000 of them."""
    shop = ORDERS.c.shop_id == bindparam("shop_id")
    return shop, among(ORDERS.c.platform_order_no, dialect_name, key="numbers")


_CONTENT = {name: _content_statements(name) for name in ("postgresql", "sqlite")}


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
    correction: bool = False,
) -> bool:
    """Guarded update: applies only if the stored copy is still older than `item` — or, for
    a `correction`, still the import's copy of the same time. Bumps the order's version, so
    an operator's edit of the copy loaded before it conflicts instead of landing on it."""
    derived = order_status.derive(
        row.hub_status,
        OrderStatus(item.status),
        RefundStatus(item.refund_status),
        tuple(row.exception_reasons or ()),
    )
    if not row.on_hold:  # a pending order may have a waybill drawn already: hold it too
        held = order_status.held_for_its_waybill(
            derived, row.hub_status, RefundStatus(item.refund_status)
        )
        if held is not None and has_live_waybill(session, row.id):
            derived = held
    hold = derived.hold and not row.on_hold
    values = encoder.update_row(item, derived, now, hold)
    connection = session.connection()
    marker = _placeholder(connection.dialect.paramstyle)
    columns = UPDATE_COLUMNS + HOLD_COLUMNS if hold else UPDATE_COLUMNS
    assignments = ", ".join(f"{c} = {marker}" for c in columns)
    guard = item.row[ORDER_COLUMNS.index("platform_updated_at")]
    condition = (
        f"platform_updated_at = {marker} AND source = 'import'"
        if correction
        else f"(platform_updated_at IS NULL OR platform_updated_at < {marker})"
    )
    changed = connection.exec_driver_sql(
        f"UPDATE orders SET {assignments}, version = version + 1 "
        f"WHERE id = {marker} AND {condition}",
        (*values, row.id, guard),
    ).rowcount
    if changed != 1:
        return False  # another worker stored a newer copy meanwhile
    session.execute(delete(LINES).where(LINES.c.order_id == row.id))
    _insert_lines(connection, marker, [(row.id, item.lines)])
    if hold:
        held = hold_packages(session, [row.id], derived.hold_reason)
        where = f" (包裹 / package {', '.join(map(str, held))})" if held else ""
        alert = Alert(
            org_id=encoder.org_id,
            kind="order.refund_hold",
            severity="critical",
            message=(
                f"订单 {item.number}{where} {derived.hold_reason}: 已拦截，请勿发货 / "
                f"order {item.number} is on hold, do not ship"
            ),
        )
        session.add(alert)
        session.flush()
        result.alerts.append(alert.id)
    return True


__all__ = ["UpsertResult", "encoder_for", "judge", "upsert_orders", "write_prepared"]
