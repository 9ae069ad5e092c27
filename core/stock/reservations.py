"""Orders and stock: reserve on approval, deduct on shipment, release otherwise.

Not events but a reconciliation: `reconcile` works out what each order should hold from
its status now, reads what it holds from the ledger (its moves carry the reference
`order:<id>`), and posts the difference. So every path that changes an order's status —
a person's approval or rejection, the rules' auto-approval, a confirmed shipment, a sync
saying cancelled or refunded — calls the same function in its own transaction, and a
repeat call changes nothing.

What an order should hold, per merchant SKU of its lines (`core.stock.mapping`), in the
org's default warehouse:

- 已审 / 已打印 (audited, printed): reserved its quantities;
- 已发货 / 已签收 (shipped, completed): deducted — on hand down by its quantities, nothing
  reserved;
- anything else (待审, cancelled, refunded — or audited with its refund done): nothing
  reserved. Stock already deducted stays deducted: goods coming back are a receipt.

An order whose reservation would take more than is available is put on hold with
"库存不足 / insufficient stock" naming the SKU, and reserves nothing (no oversell); its
packages are held with it and its trail says so (`core.holds`, the path every hold takes).
When stock arrives (a receipt, a count, a transfer in), `retry_held` tries such orders
again, oldest first, and lifts the hold of each that now fits. A
shipment whose deduction would leave a level below zero is not posted and is reported in
`Reconciled.short` (the books, not the goods, are wrong: a count puts them right).

Only an org that keeps stock — at least one SKU and one warehouse — is reconciled; for the
others this costs one small query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.holds import orders as holds
from core.models import Order, OrderLine, Shop, Sku, StockMove, Warehouse
from core.stock import ledger
from core.stock.ledger import InsufficientStock, Move
from core.stock.mapping import LineKey, components

#: Hub statuses (core.orders.status) that hold a reservation, and those that deduct.
RESERVING = ("audited", "printed")
DEDUCTING = ("shipped", "completed")
HOLD_PREFIX = "库存不足 / insufficient stock"


@dataclass
class Reconciled:
    moves: int = 0
    held: list[str] = field(default_factory=list)  # order numbers put on hold
    short: list[str] = field(default_factory=list)  # shipped orders not deducted


def reference(order_id: int) -> str:
    return f"order:{order_id}"


def reconcile(
    session: Session, org_id: int, order_ids: Sequence[int], actor_label: str
) -> Reconciled:
    """Bring the stock held by `order_ids` in line with their statuses (see above)."""
    result = Reconciled()
    if not order_ids:
        return result
    house = _default_house(session, org_id)
    if house is None or session.scalars(select(Sku.id).where(Sku.org_id == org_id)).first() is None:
        return result
    query = select(Order).where(Order.org_id == org_id, Order.id.in_(list(order_ids)))
    # Callers changed statuses with plain UPDATEs: read the rows as they are now.
    orders = {o.id: o for o in session.scalars(query.execution_options(populate_existing=True))}
    needs = _needs(session, org_id, list(orders))
    held = _held(session, org_id, list(orders))
    planned = {
        order_id: _moves(order, house, needs.get(order_id, {}), held.get(order_id, {}))
        for order_id, order in sorted(orders.items())
    }
    # Every level any of the orders touches, locked at once in one order (no deadlock
    # with another transaction reconciling other orders on the same SKUs).
    ledger.lock_levels(
        session, org_id, {(m.warehouse_id, m.sku_id) for ms in planned.values() for m in ms}
    )
    try:  # the common case: everything fits, one post (a refused post writes nothing)
        batch = [m for moves in planned.values() for m in moves]
        result.moves += len(ledger.post(session, org_id, actor_label, batch))
        planned = {}
    except InsufficientStock:
        pass  # some order is short: order by order, so the others still go through
    to_hold: list[tuple[Order, str]] = []
    for order_id, moves in planned.items():
        order = orders[order_id]
        if not moves:
            continue
        try:
            result.moves += len(ledger.post(session, org_id, actor_label, moves))
        except InsufficientStock as exc:
            if order.hub_status in RESERVING:
                if not order.on_hold:  # a hold for another reason (a refund) keeps its own
                    to_hold.append((order, f"{HOLD_PREFIX}: {exc.details.get('sku')}"))
                result.held.append(order.platform_order_no)
            else:
                result.short.append(order.platform_order_no)
    # Printing, packing and ship-back refuse held orders and packages: nothing oversold.
    holds.hold(session, org_id, to_hold, actor_label=actor_label)
    session.flush()
    return result


def _default_house(session: Session, org_id: int) -> int | None:
    return session.scalars(
        select(Warehouse.id).where(Warehouse.org_id == org_id, Warehouse.is_default.is_(True))
    ).first()


def _moves(
    order: Order, house: int, need: dict[int, int], held: dict[tuple[int, int], tuple[int, int]]
) -> list[Move]:
    """The moves from what `order` holds (`held`: (warehouse, SKU) → (on hand delta,
    reserved)) to what its status asks."""
    ref = reference(order.id)
    moves = []
    keys = {(house, sku) for sku in need} | set(held)
    for warehouse, sku in sorted(keys):
        deducted, reserved = held.get((warehouse, sku), (0, 0))
        wanted = need.get(sku, 0) if warehouse == house else 0
        if order.hub_status in RESERVING and order.refund_status != "refunded":
            if wanted != reserved:
                reason = "reserve" if wanted > reserved else "release"
                moves.append(
                    Move(warehouse, sku, reserved=wanted - reserved, reason=reason, reference=ref)
                )
        elif order.hub_status in DEDUCTING:
            if reserved or wanted != -deducted:
                moves.append(
                    Move(
                        warehouse,
                        sku,
                        on_hand=-wanted - deducted,
                        reserved=-reserved,
                        reason="deduct",
                        reference=ref,
                    )
                )
        elif reserved:
            moves.append(Move(warehouse, sku, reserved=-reserved, reason="release", reference=ref))
    return moves


def _needs(session: Session, org_id: int, ids: list[int]) -> dict[int, dict[int, int]]:
    """Order id → merchant SKU id → pieces its lines need (unmapped lines need nothing:
    the audit rule `unmapped_sku` stops such orders)."""
    lines = session.execute(
        select(
            OrderLine.order_id,
            Shop.platform,
            OrderLine.platform_sku_id,
            OrderLine.outer_id,
            OrderLine.quantity,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Shop, Shop.id == Order.shop_id)
        .where(OrderLine.org_id == org_id, OrderLine.order_id.in_(ids))
    ).all()
    resolved = components(session, org_id, [LineKey(p, s, o) for _, p, s, o, _ in lines])
    needs: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for order_id, platform, sku_key, outer_id, quantity in lines:
        for sku_id, per_unit in resolved[LineKey(platform, sku_key, outer_id)] or ():
            needs[order_id][sku_id] += per_unit * quantity
    return needs


def _held(
    session: Session, org_id: int, ids: list[int]
) -> dict[int, dict[tuple[int, int], tuple[int, int]]]:
    """Order id → (warehouse, SKU) → (on hand delta, reserved) its ledger moves add up to."""
    refs = {reference(i): i for i in ids}
    rows = session.execute(
        select(
            StockMove.reference,
            StockMove.warehouse_id,
            StockMove.sku_id,
            func.sum(StockMove.on_hand_delta),
            func.sum(StockMove.reserved_delta),
        )
        .where(StockMove.org_id == org_id, StockMove.reference.in_(list(refs)))
        .group_by(StockMove.reference, StockMove.warehouse_id, StockMove.sku_id)
    )
    held: dict[int, dict[tuple[int, int], tuple[int, int]]] = defaultdict(dict)
    for ref, warehouse, sku, on_hand, reserved in rows:
        held[refs[ref]][(warehouse, sku)] = (int(on_hand or 0), int(reserved or 0))
    return held


def _waiting(session: Session, org_id: int) -> list[Order]:
    """Orders held for want of stock that could still reserve, oldest first."""
    return list(
        session.scalars(
            select(Order)
            .where(
                Order.org_id == org_id,
                Order.on_hold.is_(True),
                Order.hold_reason.startswith(HOLD_PREFIX),
                Order.hub_status.in_(RESERVING),
            )
            .order_by(Order.paid_at, Order.id)
        )
    )


def lock_for_arrival(session: Session, org_id: int, keys: set[tuple[int, int]]) -> None:
    """Before stock arrives at `keys` ((warehouse, SKU) levels): lock them together with
    the levels that orders waiting for stock would reserve (`retry_held` takes those next
    in the same transaction; taking them all now, in one order, cannot deadlock)."""
    house = _default_house(session, org_id)
    waiting = [o.id for o in _waiting(session, org_id)]
    if house is not None and waiting:
        keys = keys | {
            (house, sku) for need in _needs(session, org_id, waiting).values() for sku in need
        }
    ledger.lock_levels(session, org_id, keys)


def retry_held(session: Session, org_id: int, actor_label: str) -> Reconciled:
    """Orders held for want of stock, tried again oldest first after stock arrived: each
    that fits now is reserved and its hold lifted; the others stay held as they were."""
    waiting = _waiting(session, org_id)
    result = Reconciled()
    fitted = []
    for order in waiting:  # one at a time: the oldest order gets the stock first
        done = reconcile(session, org_id, [order.id], actor_label)
        result.moves += done.moves
        if done.held:
            result.held += done.held
        else:
            fitted.append(order)
    holds.release(session, org_id, fitted, actor_label=actor_label)
    return result
