"""Stock operations by hand, with `stock.adjust`, each audited: receipts (入库), counts
(盘点, posting the difference from what was counted) and transfers (调拨) between two
warehouses. Each takes lines of (SKU code, quantity); a bad line (unknown code, a
quantity that is not a whole number above zero, or below zero for a count) fails the
whole call naming its line, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.bound_lists import among
from core.errors import NotFound, ValidationError
from core.models import Sku
from core.stock import ledger, reservations
from core.stock.ledger import Move
from core.stock.warehouses import warehouse_named


@dataclass(frozen=True)
class Line:
    code: str
    quantity: int


@dataclass(frozen=True)
class Posted:
    moves: int  # ledger rows written
    units: int  # the sum of the quantities moved (counts: of the differences)


def receive(
    app: App,
    actor: Actor,
    lines: Sequence[Line],
    *,
    warehouse: str | None = None,
    reference: str = "",
    note: str = "",
) -> Posted:
    """入库: `lines` arrive in `warehouse` (the default when None)."""

    def move(house_id: int, sku_id: int, qty: int) -> Move:
        return Move(house_id, sku_id, on_hand=qty, reason="receipt", reference=reference, note=note)

    return _at_one_warehouse(app, actor, lines, warehouse, "stock.receipt", move, 1, reference)


def count(
    app: App,
    actor: Actor,
    lines: Sequence[Line],
    *,
    warehouse: str | None = None,
    reference: str = "",
    note: str = "",
) -> Posted:
    """盘点: each line is what was counted on the shelf; the difference is posted."""

    def move(house_id: int, sku_id: int, qty: int) -> Move:
        return Move(house_id, sku_id, counted=qty, reason="count", reference=reference, note=note)

    return _at_one_warehouse(app, actor, lines, warehouse, "stock.count", move, 0, reference)


def _at_one_warehouse(
    app: App,
    actor: Actor,
    lines: Sequence[Line],
    warehouse: str | None,
    action: str,
    move: Callable[[int, int, int], Move],
    minimum: int,
    reference: str,
) -> Posted:
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        house = warehouse_named(session, actor.org_id, warehouse)
        resolved = _resolved(session, actor.org_id, lines, minimum=minimum)
        moves = [move(house.id, sku_id, qty) for sku_id, qty in resolved]
        return _posted(session, actor, action, house.name, moves, reference)


def transfer(
    app: App,
    actor: Actor,
    lines: Sequence[Line],
    *,
    source: str,
    destination: str,
    reference: str = "",
    note: str = "",
) -> Posted:
    """调拨: `lines` leave `source` (from what is available there) and arrive in
    `destination`, in one transaction."""
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        out = warehouse_named(session, actor.org_id, source)
        into = warehouse_named(session, actor.org_id, destination)
        if out.id == into.id:
            raise ValidationError("a transfer needs two different warehouses", field="destination")
        moves = []
        for sku_id, qty in _resolved(session, actor.org_id, lines, minimum=1):
            moves.append(
                Move(
                    out.id,
                    sku_id,
                    on_hand=-qty,
                    reason="transfer_out",
                    reference=reference,
                    note=note,
                )
            )
            moves.append(
                Move(
                    into.id,
                    sku_id,
                    on_hand=qty,
                    reason="transfer_in",
                    reference=reference,
                    note=note,
                )
            )
        where = f"{out.name} → {into.name}"
        return _posted(session, actor, "stock.transfer", where, moves, reference)


def _resolved(
    session: Session, org_id: int, lines: Sequence[Line], *, minimum: int
) -> list[tuple[int, int]]:
    if not lines:
        raise ValidationError("no lines: name at least one SKU and quantity", field="lines")
    codes = sorted({line.code.strip() for line in lines})
    dialect = session.get_bind().dialect.name
    ids = dict(  # one query for the whole file, however many lines (core.bound_lists)
        session.execute(
            select(Sku.code, Sku.id).where(
                Sku.org_id == org_id, among(Sku.code, dialect, values=codes)
            )
        ).all()
    )
    found = []
    for number, line in enumerate(lines, start=1):
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool):
            raise ValidationError(
                f"line {number}: the quantity must be a whole number", field="quantity", row=number
            )
        if line.quantity < minimum:
            raise ValidationError(
                f"line {number} ({line.code}): the quantity must be {minimum} or more, "
                f"not {line.quantity}",
                field="quantity",
                row=number,
            )
        sku_id = ids.get(line.code.strip())
        if sku_id is None:
            raise NotFound(
                f"line {number}: no SKU with code {line.code!r}", field="code", row=number
            )
        found.append((sku_id, line.quantity))
    return found


def _posted(
    session: Session, actor: Actor, action: str, where: str, moves: list[Move], reference: str
) -> Posted:
    if any(m.on_hand > 0 or m.counted is not None for m in moves):
        reservations.lock_for_arrival(
            session, actor.org_id, {(m.warehouse_id, m.sku_id) for m in moves}
        )
    written = ledger.post(session, actor.org_id, actor.label, moves)
    if any(m.on_hand > 0 for m in written):  # stock arrived: orders waiting for it may fit
        reservations.retry_held(session, actor.org_id, actor.label)
    units = sum(abs(m.on_hand) for m in written if m.reason != "transfer_in")
    audit.record(
        session,
        action,
        actor=actor,
        target_type="warehouse",
        target_id=where,
        after={"reference": reference, "moves": len(written), "units": units},
    )
    return Posted(len(written), units)
