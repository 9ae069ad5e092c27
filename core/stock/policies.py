"""Per-SKU stock policies: low-stock thresholds (库存预警) and replenishment parameters.

A threshold, lead time or safety stock is set for a SKU in every warehouse, or for one
warehouse (which then overrides the SKU's). Setting and clearing need `stock.adjust` and
are audited (`stock.threshold.set`, `stock.threshold.clear`, `stock.plan.set`); listing
needs `stock.view`. Setting or clearing a threshold copies it to the SKU's levels and
settles them at once (`core.stock.lowstock.apply`): a level already at or below a new
threshold raises its alert now rather than at its next change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import Sku, StockPolicy, Warehouse
from core.stock import lowstock
from core.stock.catalogue import sku_by_code
from core.stock.warehouses import warehouse_named

MAX_UNITS = 10_000_000
MAX_DAYS = 365


@dataclass(frozen=True)
class PolicyInfo:
    code: str
    warehouse: str | None  # None: every warehouse
    low_stock: int | None
    lead_time_days: int | None
    safety_stock: int | None


def set_threshold(
    app: App, actor: Actor, code: str, threshold: int, *, warehouse: str | None = None
) -> PolicyInfo:
    """Alert when available stock of `code` is at or below `threshold` (in `warehouse`,
    or in each warehouse)."""
    _check_number(threshold, "threshold", 0, MAX_UNITS)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        sku, house, policy = _policy(session, actor.org_id, code, warehouse, create=True)
        before = policy.low_stock
        policy.low_stock, policy.updated_at = threshold, clock.now()
        lowstock.apply(session, actor.org_id, sku.id)
        _audit(session, actor, "stock.threshold.set", sku, house, {"low_stock": before}, policy)
        return _info(sku, house, policy)


def clear_threshold(app: App, actor: Actor, code: str, *, warehouse: str | None = None) -> None:
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        sku, house, policy = _policy(session, actor.org_id, code, warehouse, create=False)
        if policy is None or policy.low_stock is None:
            where = f" in {house.name}" if house else ""
            raise NotFound(f"SKU {sku.code} has no low-stock threshold{where}", field="code")
        before = policy.low_stock
        policy.low_stock, policy.updated_at = None, clock.now()
        lowstock.apply(session, actor.org_id, sku.id)
        _audit(session, actor, "stock.threshold.clear", sku, house, {"low_stock": before}, policy)
        _drop_if_empty(session, policy)


def set_plan(
    app: App,
    actor: Actor,
    code: str,
    *,
    lead_time_days: int | None,
    safety_stock: int | None,
    warehouse: str | None = None,
) -> PolicyInfo:
    """The lead time and safety stock of `code` for the replenishment report (None: the
    `[stock]` default)."""
    if lead_time_days is not None:
        _check_number(lead_time_days, "lead_time_days", 0, MAX_DAYS)
    if safety_stock is not None:
        _check_number(safety_stock, "safety_stock", 0, MAX_UNITS)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        sku, house, policy = _policy(session, actor.org_id, code, warehouse, create=True)
        before = {"lead_time_days": policy.lead_time_days, "safety_stock": policy.safety_stock}
        policy.lead_time_days, policy.safety_stock = lead_time_days, safety_stock
        policy.updated_at = clock.now()
        _audit(session, actor, "stock.plan.set", sku, house, before, policy)
        info = _info(sku, house, policy)
        _drop_if_empty(session, policy)
        return info


def list_policies(app: App, actor: Actor) -> list[PolicyInfo]:
    """Every policy of the org, by SKU code then warehouse (every-warehouse rows first)."""
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        rows = session.execute(
            select(StockPolicy, Sku.code, Warehouse.name)
            .join(Sku, Sku.id == StockPolicy.sku_id)
            .outerjoin(Warehouse, Warehouse.id == StockPolicy.warehouse_id)
            .where(StockPolicy.org_id == actor.org_id)
        ).all()
        found = [
            PolicyInfo(code, name, p.low_stock, p.lead_time_days, p.safety_stock)
            for p, code, name in rows
        ]
        return sorted(found, key=lambda p: (p.code, p.warehouse is not None, p.warehouse or ""))


def _policy(
    session: Session, org_id: int, code: str, warehouse: str | None, *, create: bool
) -> tuple[Sku, Warehouse | None, StockPolicy]:
    """The SKU (row-locked: one writer of its policies at a time), the warehouse (None:
    every warehouse) and its policy row, made when `create`."""
    sku = sku_by_code(session, org_id, (code or "").strip())
    session.refresh(sku, with_for_update=True)
    house = warehouse_named(session, org_id, warehouse) if warehouse is not None else None
    house_id = house.id if house else None
    query = select(StockPolicy).where(StockPolicy.org_id == org_id, StockPolicy.sku_id == sku.id)
    query = query.where(
        StockPolicy.warehouse_id.is_(None)
        if house_id is None
        else StockPolicy.warehouse_id == house_id
    )
    policy = session.scalars(query).first()
    if policy is None and create:
        policy = StockPolicy(org_id=org_id, sku_id=sku.id, warehouse_id=house_id)
        session.add(policy)
    return sku, house, policy  # type: ignore[return-value]


def _drop_if_empty(session: Session, policy: StockPolicy) -> None:
    if policy.low_stock is None and policy.lead_time_days is None and policy.safety_stock is None:
        session.delete(policy)


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    sku: Sku,
    house: Warehouse | None,
    before: dict[str, int | None],
    policy: StockPolicy,
) -> None:
    after = {name: getattr(policy, name) for name in before}
    audit.record(
        session,
        action,
        actor=actor,
        target_type="sku",
        target_id=sku.id,
        before=before,
        after=after,
        detail=f"{sku.code} in {house.name if house else 'every warehouse'}",
    )


def _info(sku: Sku, house: Warehouse | None, policy: StockPolicy) -> PolicyInfo:
    return PolicyInfo(
        sku.code,
        house.name if house else None,
        policy.low_stock,
        policy.lead_time_days,
        policy.safety_stock,
    )


def _check_number(value: int, field: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{field} must be a whole number {low} to {high}, not {value!r}", field=field
        )
