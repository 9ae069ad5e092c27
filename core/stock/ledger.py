"""The one write path of stock levels: `post` applies moves and appends them to the ledger.

A move changes a level's on hand and reserved by deltas, with a reason (receipt, count,
transfer_out, transfer_in, reserve, release, deduct) and a reference (a document or
order number). `post` takes the levels it touches in a fixed order (warehouse, SKU) with
a row lock on PostgreSQL (on SQLite it first takes the write lock, `BEGIN IMMEDIATE`:
the driver would otherwise read the levels outside any transaction, and two writers
could both update from the same stale figure), applies every delta,
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

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import open_write_transaction
from core.errors import Conflict, ValidationError
from core.models import Sku, StockLevel, StockMove, Warehouse
from core.stock import lowstock

REASONS = ("receipt", "count", "transfer_out", "transfer_in", "reserve", "release", "deduct")
#: Reasons that take from what is available and so must find it there.
_NEEDS_AVAILABLE = ("reserve", "transfer_out")


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
    open_write_transaction(session)
    keys = sorted({(m.warehouse_id, m.sku_id) for m in given})
    levels = {key: _locked_level(session, org_id, *key) for key in keys}
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


def _locked_level(session: Session, org_id: int, warehouse_id: int, sku_id: int) -> StockLevel:
    query = select(StockLevel).where(
        StockLevel.warehouse_id == warehouse_id, StockLevel.sku_id == sku_id
    )
    level = session.scalars(query.with_for_update()).one_or_none()
    if level is None:
        level = StockLevel(
            org_id=org_id,
            warehouse_id=warehouse_id,
            sku_id=sku_id,
            on_hand=0,
            reserved=0,
            low_stock=lowstock.initial(session, org_id, warehouse_id, sku_id),
        )
        session.add(level)
        session.flush()
    elif level.org_id != org_id:
        raise ValidationError("that warehouse and SKU belong to another org", field="sku")
    return level


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
