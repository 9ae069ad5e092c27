"""Warehouses (仓库): where stock lies. The first one an org adds is its default; stock
operations and, later, order routing name a warehouse or fall back to the default.

Listing needs `stock.view`; adding needs `stock.adjust`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, ValidationError
from core.models import Warehouse


@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    name: str
    is_default: bool
    contact: str
    phone: str
    address: str  # province city district address, one line


def add_warehouse(
    app: App,
    actor: Actor,
    name: str,
    *,
    contact: str = "",
    phone: str = "",
    province: str = "",
    city: str = "",
    district: str = "",
    address: str = "",
    default: bool = False,
) -> WarehouseInfo:
    name = name.strip()
    if not 1 <= len(name) <= 64:
        raise ValidationError("a warehouse name is 1 to 64 characters", field="name")
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        existing = list(session.scalars(select(Warehouse).where(Warehouse.org_id == actor.org_id)))
        if any(w.name == name for w in existing):
            raise Conflict(f"warehouse {name!r} exists already", field="name")
        if default:
            for other in existing:
                other.is_default = False
        house = Warehouse(
            org_id=actor.org_id,
            name=name,
            contact=contact.strip(),
            phone=phone.strip(),
            province=province.strip(),
            city=city.strip(),
            district=district.strip(),
            address=address.strip(),
            is_default=default or not existing,
        )
        session.add(house)
        session.flush()
        audit.record(
            session,
            "warehouse.create",
            actor=actor,
            target_type="warehouse",
            target_id=house.id,
            after={"name": name, "default": house.is_default},
        )
        return _info(house)


def list_warehouses(app: App, actor: Actor) -> list[WarehouseInfo]:
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        rows = session.scalars(
            select(Warehouse).where(Warehouse.org_id == actor.org_id).order_by(Warehouse.id)
        )
        return [_info(w) for w in rows]


def warehouse_named(session: Session, org_id: int, name: str | None) -> Warehouse:
    """The org's warehouse `name`, or its default when None."""
    query = select(Warehouse).where(Warehouse.org_id == org_id)
    if name is None:
        house = session.scalars(query.where(Warehouse.is_default.is_(True))).first()
        if house is None:
            raise NotFound("no warehouse yet: add one (orderhub warehouse add)", field="warehouse")
        return house
    house = session.scalars(query.where(Warehouse.name == name.strip())).one_or_none()
    if house is None:
        raise NotFound(f"no warehouse named {name!r}", field="warehouse")
    return house


def _info(house: Warehouse) -> WarehouseInfo:
    where = "".join((house.province, house.city, house.district, house.address))
    return WarehouseInfo(house.id, house.name, house.is_default, house.contact, house.phone, where)
