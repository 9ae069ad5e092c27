"""Reading the ledger (库存流水): the org's stock moves, newest first, a page at a time.

Needs `stock.view`. A move is one change of one level (`core.stock.ledger`): the deltas
of on hand and reserved, why (receipt, count, transfer, reservation, deduction …), the
document or order it belongs to, who made it and when. The list can be narrowed to one
warehouse, one SKU, one reason or one reference, and pages by keyset: `after` a row's
`key` (its time and id), walking `ix_stock_moves_org_at` backwards — the 500th page
costs what the first does, and moves posted meanwhile never shift a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, or_, select

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Sku, StockMove, Warehouse
from core.stock.catalogue import sku_by_code
from core.stock.ledger import REASONS
from core.stock.paging import bad_key, check_limit
from core.stock.warehouses import warehouse_named


@dataclass(frozen=True)
class MoveInfo:
    id: int
    at: datetime
    warehouse: str
    code: str
    on_hand_delta: int
    reserved_delta: int
    reason: str
    reference: str
    note: str
    actor: str  # who posted it (a user name, or the system's label)
    # The row's sort key, (time as ISO text, id): `after=` it reads the next page
    key: tuple[str, int] = field(default=("", 0), compare=False, repr=False)


def list_moves(
    app: App,
    actor: Actor,
    *,
    warehouse: str | None = None,
    code: str | None = None,
    reason: str | None = None,
    reference: str | None = None,
    after: tuple[object, ...] | None = None,
    limit: int | None = None,
) -> list[MoveInfo]:
    """The org's moves, newest first (of one `warehouse`, SKU `code`, `reason` or
    `reference` when given; an unknown warehouse or SKU is NotFound); at most `limit`
    (all when None), from the row after the key `after` (a row's `key`)."""
    check_limit(limit)
    if reason is not None and reason not in REASONS:
        raise ValidationError(
            f"reason: one of {', '.join(REASONS)}, not {str(reason)[:32]!r}", field="reason"
        )
    start = _start(after)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        query = (
            select(StockMove, Warehouse.name, Sku.code)
            .join(Warehouse, Warehouse.id == StockMove.warehouse_id)
            .join(Sku, Sku.id == StockMove.sku_id)
            .where(StockMove.org_id == actor.org_id)
            .order_by(StockMove.at.desc(), StockMove.id.desc())
        )
        if warehouse is not None:
            house = warehouse_named(session, actor.org_id, warehouse)
            query = query.where(StockMove.warehouse_id == house.id)
        if code is not None:
            query = query.where(StockMove.sku_id == sku_by_code(session, actor.org_id, code).id)
        if reason is not None:
            query = query.where(StockMove.reason == reason)
        if reference is not None:
            query = query.where(StockMove.reference == reference)
        if start is not None:
            at, move_id = start
            query = query.where(
                or_(StockMove.at < at, and_(StockMove.at == at, StockMove.id < move_id))
            )
        if limit is not None:
            query = query.limit(limit)
        return [
            MoveInfo(
                move.id,
                move.at,
                house_name,
                sku_code,
                move.on_hand_delta,
                move.reserved_delta,
                move.reason,
                move.reference,
                move.note,
                move.actor_label,
                (move.at.isoformat(), move.id),
            )
            for move, house_name, sku_code in session.execute(query)
        ]


def _start(after: tuple[object, ...] | None) -> tuple[datetime, int] | None:
    if after is None:
        return None
    if len(after) != 2 or not isinstance(after[0], str) or type(after[1]) is not int:
        raise bad_key(after)
    try:
        at = datetime.fromisoformat(after[0])
    except ValueError:
        raise bad_key(after) from None
    if at.tzinfo is None:
        raise bad_key(after)
    return at, after[1]
