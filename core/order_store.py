"""Storing orders from platforms and imports: exactly once, never going backwards.

Invariant 1: an order synced any number of times, by any number of workers, exists once —
the unique key (shop_id, platform_order_no) with INSERT … ON CONFLICT DO NOTHING makes two
workers racing on a new order end with one row; and an update only applies when the
platform's `updated_at` is newer than the stored one (a guarded UPDATE, so a late, older
copy of an order can never overwrite a newer one, even between processes).

Written with SQLAlchemy Core in batches: a sync window of 100 orders costs a handful of
statements, not hundreds of ORM flushes (see bench/sync_bench.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import clock, masking, order_status
from core.contracts.types import PlatformOrder
from core.crypto import Keyring
from core.models import Alert, Order, OrderLine

ORDERS = Order.__table__
LINES = OrderLine.__table__
# Rows per INSERT statement. Fixed-size pages keep the number of distinct SQL texts small:
# SQLite's driver caches every prepared statement it sees, and a 1,000-row statement with
# ~40 parameters a row is megabytes of memory per distinct size.
INSERT_PAGE = 100


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
    result = UpsertResult(seen=len(orders))
    latest: dict[str, PlatformOrder] = {}
    for order in orders:
        kept = latest.get(order.order_number)
        if kept is None or order.updated_at > kept.updated_at:
            latest[order.order_number] = order
    if not latest:
        return result
    existing = _existing(session, shop_id, list(latest))
    fresh = [o for n, o in latest.items() if n not in existing]
    inserted = _insert_new(session, keyring, org_id, shop_id, fresh, source)
    for number, order_id in inserted.items():
        result.new += 1
        result.stored[number] = order_id
        result.created.add(number)
    # Lost an insert race to another worker: treat as an update of their row.
    raced = [o for o in fresh if o.order_number not in inserted]
    if raced:
        existing.update(_existing(session, shop_id, [o.order_number for o in raced]))
    for number, order in latest.items():
        if number in inserted:
            continue
        row = existing[number]
        if row.platform_updated_at is not None and order.updated_at <= row.platform_updated_at:
            result.unchanged += 1
            continue
        if _apply_update(session, keyring, org_id, row, order, result):
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
        ).where(ORDERS.c.shop_id == shop_id, ORDERS.c.platform_order_no.in_(numbers))
    ).all()
    return {r.platform_order_no: r for r in rows}


def _insert_new(
    session: Session,
    keyring: Keyring,
    org_id: int,
    shop_id: int,
    orders: list[PlatformOrder],
    source: str,
) -> dict[str, int]:
    if not orders:
        return {}
    now = clock.now()
    values = []
    for order in orders:
        derived = order_status.derive(None, order.status, order.refund_status)
        row = _order_values(keyring, order, derived)
        row.update(
            org_id=org_id,
            shop_id=shop_id,
            source=source,
            first_seen_at=now,
            updated_at=now,
            on_hold=False,
            hold_reason="",
            tags=list(order.tags),
        )
        values.append(row)
    # One cached statement executed for many rows: SQLAlchemy batches it into multi-row
    # INSERT … RETURNING ("insertmanyvalues") without compiling a new statement per batch.
    stmt = _insert_ignoring_duplicates(session).returning(ORDERS.c.id, ORDERS.c.platform_order_no)
    returned = session.execute(
        stmt.execution_options(insertmanyvalues_page_size=INSERT_PAGE), values
    )
    inserted = {r.platform_order_no: r.id for r in returned}
    by_number = {o.order_number: o for o in orders}
    _insert_lines(session, org_id, [(oid, by_number[n]) for n, oid in inserted.items()])
    return inserted


def _insert_ignoring_duplicates(session: Session):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(ORDERS).on_conflict_do_nothing(
        index_elements=["shop_id", "platform_order_no"]
    )


def _order_values(keyring: Keyring, order: PlatformOrder, derived: order_status.Derived) -> dict:
    receiver = order.receiver
    clear = not receiver.encrypted
    phone_hash = None
    if clear and receiver.phone:
        phone_hash = keyring.keyed_hash(masking.normalise_phone(receiver.phone), "receiver_phone")
    return {
        "platform_order_no": order.order_number,
        "hub_status": derived.hub_status,
        "platform_status": order.platform_status or order.status.value,
        "refund_status": order.refund_status.value,
        "exception_reasons": list(derived.exception_reasons),
        "created_at_platform": order.created_at,
        "paid_at": order.paid_at,
        "promised_ship_by": order.ship_by,
        "platform_updated_at": order.updated_at,
        "goods_amount_fen": order.goods_fen,
        "discount_fen": order.discount_fen,
        "postage_fen": order.postage_fen,
        "pay_amount_fen": order.paid_fen,
        "buyer_memo": order.buyer_memo,
        "seller_remark": order.seller_remark,
        "flag_color": order.remark_flag,
        "receiver_province": receiver.province,
        "receiver_city": receiver.city,
        "receiver_district": receiver.district,
        "receiver_name": receiver.name or None,
        "receiver_phone": receiver.phone or None,
        "receiver_address": receiver.address or None,
        "receiver_name_masked": receiver.name_masked
        or (masking.mask_name(receiver.name) if clear else ""),
        "receiver_phone_masked": receiver.phone_masked
        or (masking.mask_phone(receiver.phone) if clear else ""),
        "receiver_address_masked": receiver.address_masked
        or (masking.mask_address(receiver.address) if clear else ""),
        "receiver_phone_hash": phone_hash,
        "receiver_is_platform_encrypted": receiver.encrypted,
        "raw": order.raw,  # EncryptedJSON serialises the mapping proxy as it is
    }


def _insert_lines(session: Session, org_id: int, orders: list[tuple[int, PlatformOrder]]) -> None:
    rows = [
        {
            "order_id": order_id,
            "org_id": org_id,
            "line_no": index,
            "platform_goods_id": line.goods_id,
            "platform_sku_id": line.sku_id,
            "outer_id": line.outer_id,
            "outer_goods_id": "",
            "title": line.title,
            "spec": line.spec,
            "quantity": line.quantity,
            "unit_price_fen": line.unit_price_fen,
            "is_gift": False,
        }
        for order_id, order in orders
        for index, line in enumerate(order.lines, start=1)
    ]
    if rows:
        session.execute(insert(LINES), rows)


def _apply_update(
    session: Session,
    keyring: Keyring,
    org_id: int,
    row: object,
    order: PlatformOrder,
    result: UpsertResult,
) -> bool:
    """Guarded update: applies only if the stored copy is still older than `order`."""
    derived = order_status.derive(
        row.hub_status, order.status, order.refund_status, tuple(row.exception_reasons or ())
    )
    values = _order_values(keyring, order, derived)
    values["updated_at"] = clock.now()
    values["tags"] = list(order.tags)
    if derived.hold and not row.on_hold:
        values["on_hold"] = True
        values["hold_reason"] = derived.hold_reason
    stmt = (
        update(ORDERS)
        .where(
            ORDERS.c.id == row.id,
            or_(
                ORDERS.c.platform_updated_at.is_(None),
                ORDERS.c.platform_updated_at < order.updated_at,
            ),
        )
        .values(values)
    )
    if session.execute(stmt).rowcount != 1:
        return False  # another worker stored a newer copy meanwhile
    session.execute(delete(LINES).where(LINES.c.order_id == row.id))
    _insert_lines(session, org_id, [(row.id, order)])
    if derived.hold and not row.on_hold:
        alert = Alert(
            org_id=org_id,
            kind="order.refund_hold",
            severity="critical",
            message=(
                f"订单 {order.order_number} {derived.hold_reason}: 已拦截，请勿发货 / "
                f"order {order.order_number} is on hold, do not ship"
            ),
        )
        session.add(alert)
        session.flush()
        result.alerts.append(alert.id)
    return True
