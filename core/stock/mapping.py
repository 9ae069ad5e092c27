"""SKU 对应: which merchant SKUs a platform SKU is, and resolving order lines to them.

An order line maps to merchant SKUs by, in this order:

1. the org's mapping of its platform and platform SKU id (set by hand; a bundle is one
   platform SKU → several merchant SKUs, each × a quantity);
2. else its `outer_id` (商家编码) when a merchant SKU has that code: one of it, with no
   mapping row to keep (the automatic match);
3. else it is unmapped, and `unmapped` lists it with the number of open orders waiting.

`order_needs` sums what stored orders need per merchant SKU (what reservations hold).
Setting and removing mappings need `stock.adjust` (audited); reading needs `stock.view`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.bound_lists import among
from core.errors import NotFound, ValidationError
from core.models import Order, OrderLine, Shop, Sku, SkuMapping

MAX_PARTS = 20
#: Orders still to ship, the ones an unmapped SKU holds up: core.orders.status.WORKFLOW
#: (待审, 已审, 已打印), spelt out because stock sits below the orders layer.
OPEN = ("pending", "audited", "printed")


@dataclass(frozen=True)
class Part:
    code: str  # merchant SKU code
    quantity: int = 1


@dataclass(frozen=True)
class MappingInfo:
    platform: str
    platform_sku_id: str
    parts: tuple[Part, ...]


@dataclass(frozen=True)
class LineKey:
    platform: str
    platform_sku_id: str
    outer_id: str


@dataclass(frozen=True)
class UnmappedSku:
    platform: str
    platform_sku_id: str
    outer_id: str
    title: str
    orders: int  # open orders with a line of it


def map_platform_sku(
    app: App, actor: Actor, platform: str, platform_sku_id: str, parts: Sequence[Part]
) -> MappingInfo:
    """Platform SKU `platform_sku_id` is `parts` from now on (replacing any mapping)."""
    platform, sku_key = _key(platform, platform_sku_id)
    if not parts or len(parts) > MAX_PARTS:
        raise ValidationError(f"a mapping has 1 to {MAX_PARTS} parts", field="parts")
    merged: dict[str, int] = defaultdict(int)
    for number, part in enumerate(parts, start=1):
        if not isinstance(part.quantity, int) or part.quantity < 1:
            raise ValidationError(
                f"part {number} ({part.code}): the quantity must be 1 or more",
                field="quantity",
                row=number,
            )
        merged[part.code.strip()] += part.quantity
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        ids = _sku_ids(session, actor.org_id, list(merged))
        before = _parts_of(session, actor.org_id, platform, sku_key)
        session.execute(
            delete(SkuMapping).where(
                SkuMapping.org_id == actor.org_id,
                SkuMapping.platform == platform,
                SkuMapping.platform_sku_id == sku_key,
            )
        )
        for code, quantity in merged.items():
            session.add(
                SkuMapping(
                    org_id=actor.org_id,
                    platform=platform,
                    platform_sku_id=sku_key,
                    sku_id=ids[code],
                    quantity=quantity,
                )
            )
        after = tuple(Part(code, qty) for code, qty in sorted(merged.items()))
        audit.record(
            session,
            "sku.map",
            actor=actor,
            target_type="platform_sku",
            target_id=f"{platform}:{sku_key}",
            before={"parts": [f"{p.code}×{p.quantity}" for p in before]},
            after={"parts": [f"{p.code}×{p.quantity}" for p in after]},
        )
        return MappingInfo(platform, sku_key, after)


def unmap_platform_sku(app: App, actor: Actor, platform: str, platform_sku_id: str) -> None:
    platform, sku_key = _key(platform, platform_sku_id)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        before = _parts_of(session, actor.org_id, platform, sku_key)
        if not before:
            raise NotFound(f"no mapping of {platform} SKU {sku_key}", field="platform_sku_id")
        session.execute(
            delete(SkuMapping).where(
                SkuMapping.org_id == actor.org_id,
                SkuMapping.platform == platform,
                SkuMapping.platform_sku_id == sku_key,
            )
        )
        audit.record(
            session,
            "sku.unmap",
            actor=actor,
            target_type="platform_sku",
            target_id=f"{platform}:{sku_key}",
            before={"parts": [f"{p.code}×{p.quantity}" for p in before]},
        )


def list_mappings(app: App, actor: Actor) -> list[MappingInfo]:
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        rows = session.execute(
            select(SkuMapping.platform, SkuMapping.platform_sku_id, Sku.code, SkuMapping.quantity)
            .join(Sku, Sku.id == SkuMapping.sku_id)
            .where(SkuMapping.org_id == actor.org_id)
            .order_by(SkuMapping.platform, SkuMapping.platform_sku_id, Sku.code)
        )
        grouped: dict[tuple[str, str], list[Part]] = defaultdict(list)
        for platform, sku_key, code, quantity in rows:
            grouped[(platform, sku_key)].append(Part(code, quantity))
        return [MappingInfo(p, k, tuple(parts)) for (p, k), parts in grouped.items()]


def unmapped(app: App, actor: Actor, *, limit: int = 200) -> list[UnmappedSku]:
    """Platform SKUs on open orders' lines that map to nothing, most waiting orders first."""
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        seen = session.execute(
            select(
                Shop.platform,
                OrderLine.platform_sku_id,
                OrderLine.outer_id,
                func.max(OrderLine.title),
                func.count(func.distinct(OrderLine.order_id)),
            )
            .join(Order, Order.id == OrderLine.order_id)
            .join(Shop, Shop.id == Order.shop_id)
            .where(OrderLine.org_id == actor.org_id, Order.hub_status.in_(OPEN))
            .group_by(Shop.platform, OrderLine.platform_sku_id, OrderLine.outer_id)
        ).all()
        keys = [LineKey(p, s, o) for p, s, o, _, _ in seen]
        resolved = components(session, actor.org_id, keys)
        found = [
            UnmappedSku(p, s, o, title or "", orders)
            for p, s, o, title, orders in seen
            if resolved[LineKey(p, s, o)] is None
        ]
        found.sort(key=lambda u: (-u.orders, u.platform, u.platform_sku_id))
        return found[:limit]


def components(
    session: Session, org_id: int, keys: Iterable[LineKey]
) -> dict[LineKey, tuple[tuple[int, int], ...] | None]:
    """Each line key's merchant SKUs as (sku id, quantity per unit of the line), or None
    when it maps to nothing. Two queries whatever the number of keys."""
    wanted = set(keys)
    manual: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    sku_keys = {k.platform_sku_id for k in wanted if k.platform_sku_id}
    if sku_keys:
        for platform, sku_key, sku_id, quantity in session.execute(
            select(
                SkuMapping.platform,
                SkuMapping.platform_sku_id,
                SkuMapping.sku_id,
                SkuMapping.quantity,
            ).where(SkuMapping.org_id == org_id, SkuMapping.platform_sku_id.in_(sku_keys))
        ):
            manual[(platform, sku_key)].append((sku_id, quantity))
    outer = {k.outer_id for k in wanted if k.outer_id}
    by_code = (
        dict(
            session.execute(
                select(Sku.code, Sku.id).where(Sku.org_id == org_id, Sku.code.in_(outer))
            ).all()
        )
        if outer
        else {}
    )
    answer: dict[LineKey, tuple[tuple[int, int], ...] | None] = {}
    for key in wanted:
        parts = manual.get((key.platform, key.platform_sku_id))
        if parts:
            answer[key] = tuple(sorted(parts))
        elif key.outer_id in by_code:
            answer[key] = ((by_code[key.outer_id], 1),)
        else:
            answer[key] = None
    return answer


def _key(platform: str, platform_sku_id: str) -> tuple[str, str]:
    platform, sku_key = (platform or "").strip(), (platform_sku_id or "").strip()
    if not platform or len(platform) > 32:
        raise ValidationError(
            "name the platform (pinduoduo …), 1 to 32 characters", field="platform"
        )
    if not sku_key or len(sku_key) > 64:
        raise ValidationError("a platform SKU id is 1 to 64 characters", field="platform_sku_id")
    return platform, sku_key


def _sku_ids(session: Session, org_id: int, codes: list[str]) -> dict[str, int]:
    found = dict(
        session.execute(
            select(Sku.code, Sku.id).where(Sku.org_id == org_id, Sku.code.in_(codes))
        ).all()
    )
    missing = [code for code in codes if code not in found]
    if missing:
        raise NotFound(f"no SKU with code {missing[0]!r}", field="code")
    return found


def _parts_of(session: Session, org_id: int, platform: str, sku_key: str) -> list[Part]:
    rows = session.execute(
        select(Sku.code, SkuMapping.quantity)
        .join(Sku, Sku.id == SkuMapping.sku_id)
        .where(
            SkuMapping.org_id == org_id,
            SkuMapping.platform == platform,
            SkuMapping.platform_sku_id == sku_key,
        )
        .order_by(Sku.code)
    )
    return [Part(code, quantity) for code, quantity in rows]


def order_needs(session: Session, org_id: int, ids: list[int]) -> dict[int, dict[int, int]]:
    """Order id → merchant SKU id → pieces its lines need (unmapped lines need nothing:
    the audit rule `unmapped_sku` stops such orders). The ids are one parameter
    (core.bound_lists): a batch of a thousand orders costs no more to send than ten."""
    dialect = session.get_bind().dialect.name
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
        .where(OrderLine.org_id == org_id, among(OrderLine.order_id, dialect, values=ids))
    ).all()
    distinct = {(p, s, o) for _, p, s, o, _ in lines}  # a key object per SKU, not per line
    resolved = components(session, org_id, [LineKey(*key) for key in distinct])
    parts = {(k.platform, k.platform_sku_id, k.outer_id): v for k, v in resolved.items()}
    needs: dict[int, dict[int, int]] = {}
    for order_id, platform, sku_key, outer_id, quantity in lines:
        for sku_id, per_unit in parts[(platform, sku_key, outer_id)] or ():
            need = needs.setdefault(order_id, {})
            need[sku_id] = need.get(sku_id, 0) + per_unit * quantity
    return needs
