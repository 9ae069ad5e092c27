"""The one write path of stock levels: `post` applies moves and appends them to the ledger.

A move changes a level's on hand and reserved by deltas, with a reason (receipt, count,
transfer_out, transfer_in, reserve, release, deduct) and a reference (a document or
order number). `post` takes the levels it touches in a fixed order (warehouse, SKU) with
a row lock on PostgreSQL (on SQLite it first takes the write lock, `BEGIN IMMEDIATE`:
the driver would otherwise read the levels outside any transaction, and two writers
could both update from the same stale figure; `lock_levels` says how callers with
several batches avoid deadlocks), applies every delta,
and refuses the whole batch — nothing written — when a level would go below zero or a
reservation would exceed what is available (on hand − reserved), naming the SKU, the
warehouse and what there is. The `StockMove` rows are written in the same transaction, and
the database refuses to update or delete them (migration 0013), so a level always equals
the sum of its moves: `core.stock.levels.verify` proves it. Last, the levels it changed
are checked against the low-stock threshold each carries (`core.stock.lowstock`: no
query unless an alert is raised).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.db import open_write_transaction
from core.errors import Conflict, ValidationError
from core.models import Sku, StockLevel, StockMove, Warehouse
from core.stock import lowstock

REASONS = ("receipt", "count", "transfer_out", "transfer_in", "reserve", "release", "deduct")
#: Reasons that take from what is available and so must find it there.
_NEEDS_AVAILABLE = ("reserve", "transfer_out")
_CHUNK = 400  # keys per query: (warehouse, SKU) pairs are two bound parameters each


class InsufficientStock(Conflict):
    """A move would take more than a level has."""

    code = "insufficient_stock"


@dataclass(frozen=True)
class Move:
    warehouse_id: int
    sku_id: int
    on_hand: int = 0  # delta
    reserved: int = 0  # delta
    reason: str = "receipt"
    reference: str = ""
    note: str = ""
    counted: int | None = None  # a count: on hand becomes this (the delta is worked out)

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValidationError(f"unknown stock move reason {self.reason!r}", field="reason")


def post(session: Session, org_id: int, actor_label: str, moves: Iterable[Move]) -> list[Move]:
    """Apply `moves` (all or none) and write them to the ledger; the moves written (a
    count as its difference; moves that change nothing are left out)."""
    given = list(moves)
    levels = lock_levels(session, org_id, {(m.warehouse_id, m.sku_id) for m in given})
    # Worked out on copies first: a refused batch leaves the levels as they were, even
    # for a caller that catches the refusal and carries on in the same session.
    after = {key: (level.on_hand, level.reserved) for key, level in levels.items()}
    written = []
    for move in given:
        key = (move.warehouse_id, move.sku_id)
        on_hand, reserved = after[key]
        if move.counted is not None:  # under the lock: what the shelf has now
            move = replace(move, on_hand=move.counted - on_hand, counted=None)
        if not (move.on_hand or move.reserved):
            continue
        _check(session, levels[key], on_hand, reserved, move)
        after[key] = (on_hand + move.on_hand, reserved + move.reserved)
        written.append(move)
    for key, (on_hand, reserved) in after.items():
        levels[key].on_hand, levels[key].reserved = on_hand, reserved
    for move in written:
        session.add(
            StockMove(
                org_id=org_id,
                warehouse_id=move.warehouse_id,
                sku_id=move.sku_id,
                on_hand_delta=move.on_hand,
                reserved_delta=move.reserved,
                reason=move.reason,
                reference=move.reference[:128],
                note=move.note[:255],
                actor_label=actor_label[:100],
            )
        )
    session.flush()
    if written:
        changed = dict.fromkeys((m.warehouse_id, m.sku_id) for m in written)
        lowstock.check(session, org_id, [levels[key] for key in changed])
    return written


def lock_levels(
    session: Session, org_id: int, keys: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], StockLevel]:
    """The levels of these (warehouse, SKU) keys, created at zero when missing, locked for
    the rest of the transaction in one fixed order (warehouse, SKU).

    Every writer takes its levels through here, all it will touch at once: two
    transactions that each lock a few levels one after the other in their own order
    deadlock on PostgreSQL when their sets cross, so a caller posting several batches in
    one transaction (an approval of many orders) locks the union first. Locks already
    held are taken again at no cost. A new level starts with its low-stock threshold
    (`core.stock.lowstock`: one query, only when levels are created)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    open_write_transaction(session)
    missing = set(wanted) - set(_levels(session, wanted, lock=False))
    if missing:
        limits = lowstock.thresholds(session, org_id, {sku for _, sku in missing})
        rows = [
            {
                "org_id": org_id,
                "warehouse_id": w,
                "sku_id": k,
                "on_hand": 0,
                "reserved": 0,
                "low_stock": lowstock.threshold_of(limits, w, k),
                "low_alerted": False,
            }
            for w, k in sorted(missing)
        ]
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(StockLevel).values(rows).on_conflict_do_nothing())
    levels = _levels(session, wanted, lock=True)
    for level in levels.values():
        if level.org_id != org_id:
            raise ValidationError("that warehouse and SKU belong to another org", field="sku")
    return levels


def _levels(
    session: Session, keys: list[tuple[int, int]], *, lock: bool
) -> dict[tuple[int, int], StockLevel]:
    found: dict[tuple[int, int], StockLevel] = {}
    for start in range(0, len(keys), _CHUNK):
        part = keys[start : start + _CHUNK]
        query = (
            select(StockLevel)
            .where(tuple_(StockLevel.warehouse_id, StockLevel.sku_id).in_(part))
            .order_by(StockLevel.warehouse_id, StockLevel.sku_id)
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        for level in session.scalars(query):
            found[(level.warehouse_id, level.sku_id)] = level
    return found


def _check(session: Session, level: StockLevel, on_hand: int, reserved: int, move: Move) -> None:
    """`move` on a level now at `on_hand`/`reserved` (the batch's earlier moves applied)."""
    available = on_hand - reserved
    before_on_hand, before_reserved = on_hand, reserved
    on_hand, reserved = on_hand + move.on_hand, reserved + move.reserved
    taking = -move.on_hand if move.reason == "transfer_out" else move.reserved
    short = move.reason in _NEEDS_AVAILABLE and taking > available
    if on_hand >= 0 and reserved >= 0 and not short:
        return
    sku = session.get_one(Sku, level.sku_id)
    house = session.get_one(Warehouse, level.warehouse_id)
    raise InsufficientStock(
        f"not enough stock of SKU {sku.code} in {house.name}: on hand {before_on_hand}, "
        f"reserved {before_reserved}, available {available}; the {move.reason} of "
        f"{abs(move.on_hand or move.reserved)} ({move.reference or 'no reference'}) "
        "would leave it short",
        sku=sku.code,
        warehouse=house.name,
        available=available,
    )
