"""The org's routing rules (分仓规则): add, list and remove them.

Changing rules needs `stock.adjust` and is audited; listing needs `stock.view`. Positions
are kept 1…n without gaps: adding at a position shifts the others, removing closes the
gap. Shops and warehouses are named as operators know them and stored by id (a renamed
shop or warehouse keeps its rules). How rules choose is core.stock.routing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, ValidationError
from core.models import RoutingRule, Shop, Warehouse

MAX_RULES = 200
MAX_VALUES = 50  # provinces, shops or warehouses in one rule


@dataclass(frozen=True)
class RuleInfo:
    name: str
    position: int
    warehouses: tuple[str, ...]
    provinces: tuple[str, ...]
    shops: tuple[str, ...]
    by_stock: bool


def add_rule(
    app: App,
    actor: Actor,
    name: str,
    warehouses: Sequence[str],
    *,
    provinces: Sequence[str] = (),
    shops: Sequence[str] = (),
    by_stock: bool = False,
    position: int | None = None,
) -> RuleInfo:
    """A rule sending the orders it matches to the first of `warehouses` (with
    `by_stock`: the first that can fill the whole order)."""
    name = _name(name)
    places = _texts(provinces, "provinces", 32)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        rows = _rows(session, actor.org_id)
        if any(r.name == name for r in rows):
            raise Conflict(f"a routing rule named {name!r} exists already", field="name")
        if len(rows) >= MAX_RULES:
            raise ValidationError(f"at most {MAX_RULES} routing rules", field="name")
        row = RoutingRule(
            org_id=actor.org_id,
            name=name,
            provinces=list(places),
            shop_ids=_ids(session, actor.org_id, Shop, shops, "shops"),
            warehouse_ids=_ids(session, actor.org_id, Warehouse, warehouses, "warehouses"),
            by_stock=bool(by_stock),
        )
        if not row.warehouse_ids:
            raise ValidationError("a routing rule names at least one warehouse", field="warehouses")
        rows.insert(_index(position, len(rows) + 1), row)
        session.add(row)
        _renumber(rows)
        session.flush()
        info = _info(session, row)
        audit.record(
            session,
            "routing_rule.add",
            actor=actor,
            target_type="routing_rule",
            target_id=row.id,
            after=_audit_view(info),
        )
        return info


def list_rules(app: App, actor: Actor) -> list[RuleInfo]:
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        return [_info(session, r) for r in _rows(session, actor.org_id)]


def remove_rule(app: App, actor: Actor, name: str) -> None:
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        rows = _rows(session, actor.org_id)
        wanted = (name or "").strip()
        row = next((r for r in rows if r.name == wanted), None)
        if row is None:
            raise NotFound(f"no routing rule named {wanted[:64]!r}", field="name")
        before = _info(session, row)
        rows.remove(row)
        session.delete(row)
        _renumber(rows)
        audit.record(
            session,
            "routing_rule.remove",
            actor=actor,
            target_type="routing_rule",
            target_id=row.id,
            before=_audit_view(before),
        )


def _rows(session: Session, org_id: int) -> list[RoutingRule]:
    return list(
        session.scalars(
            select(RoutingRule)
            .where(RoutingRule.org_id == org_id)
            .order_by(RoutingRule.position, RoutingRule.id)
        )
    )


def _ids(
    session: Session,
    org_id: int,
    model: type[Shop] | type[Warehouse],
    names: Sequence[str],
    what: str,
) -> list[int]:
    """The ids of the org's shops or warehouses named, in the order given."""
    wanted = list(_texts(names, what, 64))
    if not wanted:
        return []
    found = dict(
        session.execute(
            select(model.name, model.id).where(model.org_id == org_id, model.name.in_(wanted))
        ).all()
    )
    missing = [n for n in wanted if n not in found]
    if missing:
        kind = what.rstrip("s")
        raise NotFound(f"no {kind} named {missing[0]!r}", field=what)
    return [found[n] for n in wanted]


def _texts(values: Sequence[str], what: str, limit: int) -> tuple[str, ...]:
    if isinstance(values, str):
        raise ValidationError(f"{what} must be a list", field=what)
    found = []
    for value in values:
        text = value.strip() if isinstance(value, str) else ""
        if not text or len(text) > limit or any(ord(c) < 32 for c in text):
            raise ValidationError(
                f"{what}: {str(value)[:40]!r} is not a name (1 to {limit} characters)", field=what
            )
        found.append(text)
    if len(found) > MAX_VALUES:
        raise ValidationError(f"{what}: at most {MAX_VALUES}", field=what)
    return tuple(dict.fromkeys(found))


def _name(name: str) -> str:
    text = (name or "").strip()
    if not text or len(text) > 64 or any(ord(c) < 32 for c in text):
        raise ValidationError("a rule name is 1 to 64 characters", field="name")
    return text


def _index(position: int | None, size: int) -> int:
    if position is None:
        return size - 1
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= size:
        raise ValidationError(f"position must be 1 to {size}", field="position")
    return position - 1


def _renumber(rows: list[RoutingRule]) -> None:
    for number, row in enumerate(rows, start=1):
        row.position = number


def _info(session: Session, row: RoutingRule) -> RuleInfo:
    ids = [*row.warehouse_ids, *row.shop_ids]
    houses = dict(
        session.execute(select(Warehouse.id, Warehouse.name).where(Warehouse.id.in_(ids))).all()
    )
    shops = dict(session.execute(select(Shop.id, Shop.name).where(Shop.id.in_(ids))).all())
    return RuleInfo(
        row.name,
        row.position,
        tuple(houses.get(i, f"warehouse {i}") for i in row.warehouse_ids),
        tuple(row.provinces or ()),
        tuple(shops.get(i, f"shop {i}") for i in row.shop_ids),
        row.by_stock,
    )


def _audit_view(info: RuleInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "position": info.position,
        "warehouses": list(info.warehouses),
        "provinces": list(info.provinces),
        "shops": list(info.shops),
        "by_stock": info.by_stock,
    }
