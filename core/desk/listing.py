"""Rows of the order list, as plain frozen dataclasses (front ends never get ORM objects).

`order_rows` reads one page of orders by id, in the order given, with what a row needs
besides the order (shop names, tags, printed labels, carriers), so a page of 100 costs one
indexed query whatever the filter was: the rows with their shop, carriers, printed label
and tags (per-row sub-queries, each an index look-up). The statement is built once, with
bound parameters (the ids as an expanding list): building a SQLAlchemy statement costs
more CPU than running such a query, and each query's round trip through SQLAlchemy costs
about what SQLite spends on it (a page is read on every API request, bench/api_bench.py).
The receiver is masked: only `core.desk.show` reveals it, to `pii.view`, audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, FunctionElement, and_, bindparam, exists, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased

from core.db import plain_connection
from core.desk.predicates import PRINTED_STATES, any_of, effective_flag, tab_of
from core.models import CarrierAccount, Order, OrderTag, PackageLine, PrintJobItem, Shop, Tag
from core.models.packages import ACTIVE_WAYBILL_STATUSES, Waybill


@dataclass(frozen=True)
class OrderRow:
    id: int
    order_no: str
    shop: str
    platform: str
    source: str
    tab: str  # the desk tab (core.desk.predicates.tab_of)
    hub_status: str
    platform_status: str
    refund_status: str
    created_at: datetime | None  # aware UTC; show with core.clock.local_text
    paid_at: datetime | None
    promised_ship_by: datetime | None
    goods_amount_fen: int
    pay_amount_fen: int
    receiver_name: str  # masked
    receiver_phone: str  # masked
    province: str
    city: str
    district: str
    tags: tuple[str, ...]
    flag: str  # effective: the local flag when set, else the platform's
    has_memo: bool
    has_remark: bool  # platform seller remark or local remark
    exception_reasons: tuple[str, ...]
    on_hold: bool
    hold_reason: str
    printed: bool  # a label of the order was sent to a printer
    carrier: str  # assigned carrier account, else the active waybill's account


#: The page's columns, in the order `order_rows` unpacks them (then the four of `_ROWS`).
_COLUMNS = (
    Order.id.label("id"),
    Order.platform_order_no.label("order_no"),
    Shop.name.label("shop"),
    Shop.platform.label("platform"),
    Order.source.label("source"),
    Order.hub_status.label("hub_status"),
    Order.platform_status.label("platform_status"),
    Order.refund_status.label("refund_status"),
    Order.created_at_platform.label("created_at"),
    Order.paid_at.label("paid_at"),
    Order.promised_ship_by.label("promised_ship_by"),
    Order.goods_amount_fen.label("goods_amount_fen"),
    Order.pay_amount_fen.label("pay_amount_fen"),
    Order.receiver_name_masked.label("receiver_name"),
    Order.receiver_phone_masked.label("receiver_phone"),
    Order.receiver_province.label("province"),
    Order.receiver_city.label("city"),
    Order.receiver_district.label("district"),
    effective_flag().label("flag"),
    (Order.buyer_memo != "").label("has_memo"),
    ((Order.seller_remark != "") | (Order.local_remark != "")).label("has_remark"),
    Order.exception_reasons.label("exception_reasons"),
    Order.in_exception.label("in_exception"),
    Order.on_hold.label("on_hold"),
    Order.hold_reason.label("hold_reason"),
)


def order_rows(session: Session, org_id: int, ids: Sequence[int]) -> list[OrderRow]:
    """Rows for `ids` of org `org_id`, in the order of `ids` (unknown ids left out)."""
    if not ids:
        return []
    page = {"org": org_id, "ids": list(ids)}
    connection = plain_connection(session)
    # Rows as plain tuples, read by position: a Row's attribute costs ≈ 0.4 µs (its index
    # ≈ 0.04), and a page reads 28 of them per order on every API request.
    found = {r[0]: tuple(r) for r in connection.execute(_ROWS, page)}
    rows = []
    for order_id in ids:
        r = found.get(order_id)
        if r is None:
            continue
        (
            _,
            order_no,
            shop,
            platform,
            source,
            hub_status,
            platform_status,
            refund_status,
            created_at,
            paid_at,
            promised_ship_by,
            goods_amount_fen,
            pay_amount_fen,
            receiver_name,
            receiver_phone,
            province,
            city,
            district,
            flag,
            has_memo,
            has_remark,
            exception_reasons,
            in_exception,
            on_hold,
            hold_reason,
            assigned_carrier,
            printed,
            waybill_carrier,
            tags,
        ) = r
        rows.append(
            OrderRow(
                id=order_id,
                order_no=order_no,
                shop=shop,
                platform=platform,
                source=source,
                tab=tab_of(hub_status, bool(on_hold), bool(in_exception)),
                hub_status=hub_status,
                platform_status=platform_status,
                refund_status=refund_status,
                created_at=created_at,  # aware UTC already (core.models.base.UTCDateTime)
                paid_at=paid_at,
                promised_ship_by=promised_ship_by,
                goods_amount_fen=goods_amount_fen,
                pay_amount_fen=pay_amount_fen,
                receiver_name=receiver_name,
                receiver_phone=receiver_phone,
                province=province,
                city=city,
                district=district,
                tags=tuple(sorted(tags or ())),
                flag=flag or "",
                has_memo=bool(has_memo),
                has_remark=bool(has_remark),
                exception_reasons=tuple(exception_reasons or ()),
                on_hold=bool(on_hold),
                hold_reason=hold_reason,
                printed=bool(printed),
                carrier=assigned_carrier or waybill_carrier or "",
            )
        )
    return rows


_ORG = bindparam("org")
_IDS = bindparam("ids", expanding=True)

_ASSIGNED = aliased(CarrierAccount)
#: A label of the order was sent to a printer.
_PRINTED = exists(
    select(PackageLine.id)
    .join(PrintJobItem, PrintJobItem.package_id == PackageLine.package_id)
    .where(
        PackageLine.org_id == _ORG,
        PackageLine.order_id == Order.id,
        PrintJobItem.kind == "label",
        any_of(PrintJobItem.state, PRINTED_STATES),
    )
)
#: The carrier account of the order's active waybill (any, when it has several).
_WAYBILL_CARRIER = (
    select(CarrierAccount.name)
    .join(Waybill, Waybill.carrier_account_id == CarrierAccount.id)
    .join(PackageLine, PackageLine.package_id == Waybill.package_id)
    .where(
        PackageLine.org_id == _ORG,
        PackageLine.order_id == Order.id,
        any_of(Waybill.status, ACTIVE_WAYBILL_STATUSES),
    )
    .limit(1)
    .scalar_subquery()
)


class _NameArray(FunctionElement[list]):
    """The names a sub-query yields as one JSON array (NULL or `[]` when none):
    `json_group_array` on SQLite, `json_agg` on PostgreSQL."""

    type = JSON()
    inherit_cache = True


@compiles(_NameArray)
def _name_array_sqlite(element: _NameArray, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(_NameArray, "postgresql")
def _name_array_postgresql(element: _NameArray, compiler, **kw) -> str:  # type: ignore[no-untyped-def]
    return f"json_agg({compiler.process(element.clauses, **kw)})"


#: The order's tag names, per row of the page (an index look-up in order_tags' primary key).
_TAG_NAMES = (
    select(_NameArray(Tag.name))
    .select_from(OrderTag)
    .join(Tag, Tag.id == OrderTag.tag_id)
    .where(OrderTag.org_id == _ORG, OrderTag.order_id == Order.id)
    .scalar_subquery()
)
#: The page's orders with their shop, assigned carrier, printed label, waybill carrier and
#: tags in one statement (one round trip instead of five; the sub-queries are per row of a
#: page, each an index look-up).
_ROWS = (
    select(
        *_COLUMNS,
        _ASSIGNED.name.label("assigned_carrier"),
        _PRINTED.label("printed"),
        _WAYBILL_CARRIER.label("waybill_carrier"),
        _TAG_NAMES.label("tags"),
    )
    .join(Shop, Shop.id == Order.shop_id)
    .outerjoin(
        _ASSIGNED,
        and_(_ASSIGNED.id == Order.assigned_carrier_account_id, _ASSIGNED.org_id == _ORG),
    )
    .where(Order.org_id == _ORG, Order.id.in_(_IDS))
)
