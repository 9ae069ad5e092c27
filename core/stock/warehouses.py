"""Warehouses (仓库): where stock lies and where parcels leave from. The first one an org
adds is its default; stock operations name a warehouse or fall back to the default, and
orders get theirs from the routing rules (core.stock.routing).

A warehouse has an address and a contact (name, phone), and may have a sender (寄件人):
the name, phone and address printed on its labels and sent with its waybill requests.
When its sender address is empty the carrier account's sender is used, as before
warehouses had one (`sender_of`). A sender address is province, city, district and
street, all four; its name and phone default to the warehouse's contact.

Listing needs `stock.view`; adding and changing need `stock.adjust` (audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.types import Contact
from core.errors import Conflict, NotFound, ValidationError
from core.models import Order, Warehouse

_PLACE = ("province", "city", "district", "address")
_LIMITS = {"contact": 64, "phone": 32, "province": 32, "city": 32, "district": 32, "address": 255}


@dataclass(frozen=True)
class WarehouseInfo:
    id: int
    name: str
    is_default: bool
    contact: str
    phone: str
    address: str  # province city district address, one line
    sender: str = ""  # "name phone address" printed on its labels; "" → the carrier's


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
    sender: Contact | None = None,
    default: bool = False,
) -> WarehouseInfo:
    name = _name(name)
    given = _texts(
        contact=contact, phone=phone, province=province, city=city, district=district,
        address=address,
    )  # fmt: skip
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        existing = list(session.scalars(select(Warehouse).where(Warehouse.org_id == actor.org_id)))
        if any(w.name == name for w in existing):
            raise Conflict(f"warehouse {name!r} exists already", field="name")
        if default:
            for other in existing:
                other.is_default = False
        house = Warehouse(org_id=actor.org_id, name=name, is_default=default or not existing)
        for key, value in given.items():
            setattr(house, key, value)
        _set_sender(house, sender)
        session.add(house)
        session.flush()
        info = _info(house)
        audit.record(
            session,
            "warehouse.create",
            actor=actor,
            target_type="warehouse",
            target_id=house.id,
            after=_audit_view(info),
        )
        return info


def update_warehouse(
    app: App,
    actor: Actor,
    name: str,
    *,
    new_name: str | None = None,
    contact: str | None = None,
    phone: str | None = None,
    province: str | None = None,
    city: str | None = None,
    district: str | None = None,
    address: str | None = None,
    sender: Contact | None = None,
    default: bool | None = None,
) -> WarehouseInfo:
    """Change what is given (None: unchanged). A `sender` with an empty address removes
    the warehouse's sender (its labels print the carrier account's again)."""
    given = _texts(
        contact=contact, phone=phone, province=province, city=city, district=district,
        address=address,
    )  # fmt: skip
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        house = warehouse_named(session, actor.org_id, name)
        before = _info(house)
        if new_name is not None and _name(new_name) != house.name:
            renamed = _name(new_name)
            taken = select(Warehouse.id).where(
                Warehouse.org_id == actor.org_id, Warehouse.name == renamed
            )
            if session.scalars(taken).first() is not None:
                raise Conflict(f"warehouse {renamed!r} exists already", field="name")
            house.name = renamed
        for key, value in given.items():
            setattr(house, key, value)
        if sender is not None:
            _set_sender(house, sender)
        if default is False and house.is_default:
            raise ValidationError(
                f"{house.name} is the default warehouse: make another one the default instead",
                field="default",
            )
        if default:
            others = select(Warehouse).where(
                Warehouse.org_id == actor.org_id, Warehouse.id != house.id
            )
            for other in session.scalars(others):
                other.is_default = False
            house.is_default = True
        session.flush()
        info = _info(house)
        audit.record(
            session,
            "warehouse.update",
            actor=actor,
            target_type="warehouse",
            target_id=house.id,
            before=_audit_view(before),
            after=_audit_view(info),
        )
        return info


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


def default_id(session: Session, org_id: int) -> int | None:
    """The id of the org's default warehouse (None: the org has none)."""
    query = select(Warehouse.id).where(Warehouse.org_id == org_id, Warehouse.is_default.is_(True))
    return session.scalars(query).first()


def of_orders(session: Session, orders: Iterable[Order]) -> dict[int, int]:
    """Order id → the warehouse that ships it: its own, else its org's default (orders
    stored before the org had a warehouse); orders of an org without one are left out."""
    found: dict[int, int] = {}
    waiting: list[Order] = []
    for order in orders:
        if order.warehouse_id is not None:
            found[order.id] = order.warehouse_id
        else:
            waiting.append(order)
    if waiting:
        defaults = dict(
            session.execute(
                select(Warehouse.org_id, Warehouse.id).where(
                    Warehouse.org_id.in_({o.org_id for o in waiting}),
                    Warehouse.is_default.is_(True),
                )
            ).all()
        )
        found.update({o.id: defaults[o.org_id] for o in waiting if o.org_id in defaults})
    return found


def sender_of(house: Warehouse | None) -> Contact | None:
    """The sender the warehouse's labels print, or None when it has none (the carrier
    account's sender is used then)."""
    if house is None or not house.sender_address:
        return None
    return Contact(
        name=house.sender_name,
        phone=house.sender_phone,
        province=house.sender_province,
        city=house.sender_city,
        district=house.sender_district,
        address=house.sender_address,
    )


def senders(session: Session, warehouse_ids: Iterable[int | None]) -> dict[int, Contact]:
    """Warehouse id → its sender, for those of `warehouse_ids` that have one."""
    wanted = {i for i in warehouse_ids if i is not None}
    if not wanted:
        return {}
    rows = session.scalars(select(Warehouse).where(Warehouse.id.in_(wanted)))
    return {w.id: contact for w in rows if (contact := sender_of(w)) is not None}


def _set_sender(house: Warehouse, sender: Contact | None) -> None:
    if sender is None:
        return
    place = {key: " ".join(getattr(sender, key).split()) for key in _PLACE}
    if not any(place.values()):  # no address: no sender of its own
        values = dict.fromkeys(("name", "phone", *_PLACE), "")
    else:
        missing = [key for key, value in place.items() if not value]
        if missing:
            raise ValidationError(
                f"the sender address needs {', '.join(missing)} too (province, city, "
                "district and street)",
                field="sender",
            )
        name = sender.name.strip() or house.contact
        phone = sender.phone.strip() or house.phone
        if not name or not phone:
            raise ValidationError(
                "the sender needs a name and a phone (or the warehouse's contact and phone)",
                field="sender",
            )
        values = {"name": name, "phone": phone, **place}
    for key, limit in (("name", 64), ("phone", 32), ("province", 50), ("city", 50)):
        if len(values[key]) > limit:
            raise ValidationError(
                f"the sender's {key} is at most {limit} characters", field="sender"
            )
    for key, value in values.items():
        setattr(house, f"sender_{key}", value[:255])


def _texts(**given: str | None) -> dict[str, str]:
    out = {}
    for key, value in given.items():
        if value is None:
            continue
        text = " ".join(value.split())
        if len(text) > _LIMITS[key]:
            raise ValidationError(f"the {key} is at most {_LIMITS[key]} characters", field=key)
        out[key] = text
    return out


def _name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise ValidationError("a warehouse name is 1 to 64 characters", field="name")
    return name


def _audit_view(info: WarehouseInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "default": info.is_default,
        "contact": info.contact,
        "address": info.address,
        "sender": info.sender,
    }


def _info(house: Warehouse) -> WarehouseInfo:
    where = "".join((house.province, house.city, house.district, house.address))
    sender = ""
    if house.sender_address:
        place = "".join(
            (house.sender_province, house.sender_city, house.sender_district, house.sender_address)
        )
        sender = f"{house.sender_name} {house.sender_phone} {place}"
    return WarehouseInfo(
        house.id, house.name, house.is_default, house.contact, house.phone, where, sender
    )
