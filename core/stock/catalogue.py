"""The merchant's SKUs (商品档案): code (商家编码, what order lines carry as outer_id),
name, barcode, weight, cost.

Reading needs `stock.view` (`list_skus`: all, or a page for a screen with a text filter
over code, name and barcode, keyset `after` a code; `count_skus`); adding and changing
need `stock.adjust`. The cost price is money the warehouse need not see: it is in
`SkuInfo.cost_fen` only for actors with `finance.view` (None otherwise), and only they
may set it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, ValidationError
from core.models import Sku
from core.stock.paging import bad_key, check_limit, matches, words

MAX_CODE = 64


@dataclass(frozen=True)
class SkuInfo:
    id: int
    code: str
    name: str
    barcode: str
    weight_g: int
    cost_fen: int | None  # None: the reader lacks finance.view


def clean_code(code: str, field: str = "code") -> str:
    text = (code or "").strip()
    if not text or len(text) > MAX_CODE or any(c.isspace() for c in text):
        raise ValidationError(
            f"a SKU code is 1 to {MAX_CODE} characters without spaces, not {code!r}", field=field
        )
    return text


def sku_by_code(session: Session, org_id: int, code: str) -> Sku:
    sku = session.scalars(select(Sku).where(Sku.org_id == org_id, Sku.code == code)).one_or_none()
    if sku is None:
        raise NotFound(f"no SKU with code {code!r}", field="code")
    return sku


def info(sku: Sku, with_cost: bool) -> SkuInfo:
    cost = sku.cost_fen if with_cost else None
    return SkuInfo(sku.id, sku.code, sku.name, sku.barcode, sku.weight_g, cost)


def add_sku(
    app: App,
    actor: Actor,
    code: str,
    name: str = "",
    *,
    barcode: str = "",
    weight_g: int = 0,
    cost_fen: int | None = None,
) -> SkuInfo:
    code = clean_code(code)
    _check_numbers(weight_g, cost_fen)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        if cost_fen is not None:
            authz.require(session, actor, "finance.view")
        exists = session.scalars(select(Sku.id).where(Sku.org_id == actor.org_id, Sku.code == code))
        if exists.first() is not None:
            raise Conflict(f"SKU {code!r} exists already", field="code")
        sku = Sku(
            org_id=actor.org_id,
            code=code,
            name=name.strip(),
            barcode=barcode.strip(),
            weight_g=weight_g,
            cost_fen=cost_fen or 0,
        )
        session.add(sku)
        session.flush()
        audit.record(
            session,
            "sku.create",
            actor=actor,
            target_type="sku",
            target_id=sku.id,
            after={"code": code, "name": sku.name, "barcode": sku.barcode},
        )
        return info(sku, authz.has(session, actor, "finance.view"))


def update_sku(
    app: App,
    actor: Actor,
    code: str,
    *,
    name: str | None = None,
    barcode: str | None = None,
    weight_g: int | None = None,
    cost_fen: int | None = None,
) -> SkuInfo:
    _check_numbers(weight_g or 0, cost_fen)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        if cost_fen is not None:
            authz.require(session, actor, "finance.view")
        sku = sku_by_code(session, actor.org_id, code.strip())
        before = {"name": sku.name, "barcode": sku.barcode, "weight_g": sku.weight_g}
        for attribute, value in (("name", name), ("barcode", barcode)):
            if value is not None:
                setattr(sku, attribute, value.strip())
        if weight_g is not None:
            sku.weight_g = weight_g
        if cost_fen is not None:
            sku.cost_fen = cost_fen
        after = {"name": sku.name, "barcode": sku.barcode, "weight_g": sku.weight_g}
        if cost_fen is not None:
            after["cost_changed"] = True
        audit.record(
            session,
            "sku.update",
            actor=actor,
            target_type="sku",
            target_id=sku.id,
            before=before,
            after=after,
        )
        return info(sku, authz.has(session, actor, "finance.view"))


def list_skus(
    app: App,
    actor: Actor,
    *,
    text: str = "",
    after: str | None = None,
    limit: int | None = None,
) -> list[SkuInfo]:
    """The org's SKUs whose code, name or barcode holds every word of `text`, by code: at
    most `limit` (all when None), from the code after `after` (the last row's `code`,
    its sort key). A page is one walk of the (org, code) unique index."""
    check_limit(limit)
    wanted = words(text)
    if after is not None and not isinstance(after, str):
        raise bad_key(after)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        with_cost = authz.has(session, actor, "finance.view")
        query = _matching(actor.org_id, wanted).order_by(Sku.code)
        if after is not None:
            query = query.where(Sku.code > after)
        if limit is not None:
            query = query.limit(limit)
        return [info(sku, with_cost) for sku in session.scalars(query)]


def count_skus(app: App, actor: Actor, *, text: str = "") -> int:
    """How many SKUs `list_skus` answers for the same filter."""
    wanted = words(text)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        query = _matching(actor.org_id, wanted).with_only_columns(func.count())
        return session.scalar(query) or 0


def _matching(org_id: int, wanted: list[str]) -> Select[tuple[Sku]]:
    return select(Sku).where(Sku.org_id == org_id, matches(wanted, Sku.code, Sku.name, Sku.barcode))


def _check_numbers(weight_g: int, cost_fen: int | None) -> None:
    if weight_g < 0:
        raise ValidationError(f"weight must be 0 grams or more, not {weight_g}", field="weight_g")
    if cost_fen is not None and cost_fen < 0:
        raise ValidationError(f"cost must be 0 or more, not {cost_fen} fen", field="cost_fen")
