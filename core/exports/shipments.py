"""Packages (包裹) and waybills (电子面单) as tables, for the orders a desk filter selects.

The filter selects orders, as on the desk; a package is in the export when one of its
orders is (a merged package once, whichever of its orders matched), a waybill when its
package is — cancelled and recycled waybills too, which is what a carrier's bill
(对账) is checked against. Without a filter every package or waybill of the org is.
The date range is on the package's creation, or the waybill's allocation (取号时间).

A row names its orders (order numbers, comma separated) and, for a waybill, the receiver
the label was for: the first order's, masked unless revealed (`core.exports.scope`).
Packages carry no receiver columns beyond the province, city and district (the same for
every order of a package: only orders to one receiver are merged).
Both need `order.view`, like the desk.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.exports import scope
from core.exports.scope import RECEIVER_HEADERS, Exported, Request, Row
from core.models import CarrierAccount, Order, Package, PackageLine, Shop, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES

PACKAGE_COLUMNS = (
    "包裹ID",
    "状态",
    "订单号",
    "店铺",
    "仓库",
    "快递",
    "运单号",
    "重量(克)",
    "省",
    "市",
    "区",
    "挂起原因",
    "创建时间",
    "更新时间",
)
WAYBILL_COLUMNS = (
    "运单号",
    "快递公司",
    "快递账号",
    "状态",
    "订单号",
    "包裹ID",
    "重量(克)",
    RECEIVER_HEADERS[0],
    RECEIVER_HEADERS[1],
    "省",
    "市",
    "区",
    RECEIVER_HEADERS[2],
    "取号时间",
    "打印时间",
    "取消时间",
    "取消原因",
)
PACKAGE_STATES = {
    "new": "新建",
    "waybill_allocated": "已取号",
    "printed": "已打印",
    "verified": "已验货",
    "shipped": "已发货",
    "synced": "已回传",
    "on_hold": "挂起",
    "cancelled": "已取消",
}
WAYBILL_STATES = {
    "allocated": "已取号",
    "printed": "已打印",
    "cancelling": "取消中",
    "cancelled": "已取消",
    "recycled": "已回收",
}


def export_packages(
    app: App,
    actor: Actor,
    out: BinaryIO,
    fmt: str,
    *,
    query: str | None = "",
    since: str | date | None = None,
    until: str | date | None = None,
) -> Exported:
    """Packages of the orders matching `query`, created within [since, until]."""
    req = scope.request(query, since, until, fmt)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
    base = select(Package.id).where(
        Package.org_id == actor.org_id,
        *_holding_orders(req, actor, app, Package.id),
        *scope.in_range(Package.created_at, req),
    )

    def build(session: Session, ids: list[int]) -> list[Row]:
        return _package_rows(session, actor.org_id, ids)

    rows = scope.batches(
        app, base, Package.id, build, descending=req.descending, most=req.query.limit
    )
    return scope.write(app, actor, out, req, "packages", PACKAGE_COLUMNS, rows)


def export_waybills(
    app: App,
    actor: Actor,
    out: BinaryIO,
    fmt: str,
    *,
    query: str | None = "",
    since: str | date | None = None,
    until: str | date | None = None,
    reveal: bool = False,
) -> Exported:
    """Waybills of the packages of the orders matching `query`, allocated within [since,
    until]; `reveal` (receivers in clear) needs `pii.view` and is audited."""
    req = scope.request(query, since, until, fmt, reveal=reveal)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        scope.check_reveal(session, actor, req)
    base = select(Waybill.id).where(
        Waybill.org_id == actor.org_id,
        *_holding_orders(req, actor, app, Waybill.package_id),
        *scope.in_range(Waybill.allocated_at, req),
    )
    masked = [0]

    def build(session: Session, ids: list[int]) -> list[Row]:
        rows, kept = _waybill_rows(session, actor.org_id, ids, reveal)
        masked[0] += kept
        return rows

    rows = scope.batches(
        app, base, Waybill.id, build, descending=req.descending, most=req.query.limit
    )
    return scope.write(app, actor, out, req, "waybills", WAYBILL_COLUMNS, rows, lambda: masked[0])


def _holding_orders(req: Request, actor: Actor, app: App, package: Any) -> list[ColumnElement]:
    """`package` (a package id column) holds an order the filter selects; nothing to add
    without filter terms."""
    if not req.query.terms:
        return []
    orders = select(Order.id).where(*scope.order_clauses(req, actor, app))
    return [
        exists(
            select(PackageLine.id).where(
                PackageLine.package_id == package, PackageLine.order_id.in_(orders)
            )
        )
    ]


def _package_rows(session: Session, org_id: int, ids: list[int]) -> list[Row]:
    orders = _orders_of(session, org_id, ids, reveal=False)
    numbers = _active_numbers(session, org_id, ids)
    found = session.execute(
        select(Package, CarrierAccount.name, Shop.name)
        .outerjoin(CarrierAccount, CarrierAccount.id == Package.carrier_account_id)
        .outerjoin(Shop, Shop.id == Package.shop_id)
        .where(Package.org_id == org_id, Package.id.in_(ids))
    )
    by_id = {p.id: (p, carrier, shop) for p, carrier, shop in found}
    rows: list[Row] = []
    for package_id in ids:
        package, carrier, shop = by_id[package_id]
        listed, place, _ = orders.get(package_id, ([], ["", "", ""], []))
        rows.append(
            [
                package.id,
                PACKAGE_STATES.get(package.status, package.status),
                ", ".join(listed),
                shop or "",
                package.warehouse,
                carrier or "",
                numbers.get(package_id, ""),
                package.weight_g,
                *place,
                package.hold_reason,
                clock.as_utc(package.created_at),
                clock.as_utc(package.updated_at),
            ]
        )
    return rows


def _waybill_rows(
    session: Session, org_id: int, ids: list[int], reveal: bool
) -> tuple[list[Row], int]:
    found = {
        w.id: (w, account, weight)
        for w, account, weight in session.execute(
            select(Waybill, CarrierAccount.name, Package.weight_g)
            .join(CarrierAccount, CarrierAccount.id == Waybill.carrier_account_id)
            .join(Package, Package.id == Waybill.package_id)
            .where(Waybill.org_id == org_id, Waybill.id.in_(ids))
        )
    }
    orders = _orders_of(session, org_id, {w.package_id for w, _, _ in found.values()}, reveal)
    rows: list[Row] = []
    kept = 0
    for waybill_id in ids:
        waybill, account, weight = found[waybill_id]
        listed, place, receiver = orders.get(waybill.package_id, ([], ["", "", ""], []))
        cells, still_masked = scope.receiver_cells(receiver, reveal) if receiver else ([""] * 3, 0)
        kept += still_masked
        rows.append(
            [
                waybill.number,
                waybill.carrier_code,
                account,
                WAYBILL_STATES.get(waybill.status, waybill.status),
                ", ".join(listed),
                waybill.package_id,
                weight,
                cells[0],
                cells[1],
                *place,
                cells[2],
                clock.as_utc(waybill.allocated_at),
                None if waybill.printed_at is None else clock.as_utc(waybill.printed_at),
                None if waybill.cancelled_at is None else clock.as_utc(waybill.cancelled_at),
                waybill.cancel_reason,
            ]
        )
    return rows, kept


def _orders_of(
    session: Session, org_id: int, package_ids: Any, reveal: bool
) -> dict[int, tuple[list[str], list[str], list[Any]]]:
    """Each package's order numbers, its first order's province/city/district, and that
    order's receiver values (`scope.receiver_columns`)."""
    found: dict[int, tuple[list[str], list[str], list[Any]]] = {}
    rows = session.execute(
        select(
            PackageLine.package_id,
            Order.platform_order_no,
            Order.receiver_province,
            Order.receiver_city,
            Order.receiver_district,
            *scope.receiver_columns(reveal),
        )
        .join(Order, Order.id == PackageLine.order_id)
        .where(PackageLine.org_id == org_id, PackageLine.package_id.in_(list(package_ids)))
        .order_by(PackageLine.package_id, PackageLine.order_id, PackageLine.line_no)
    )
    for package_id, number, province, city, district, *receiver in rows:
        if package_id not in found:
            found[package_id] = ([], [province, city, district], receiver)
        if number not in found[package_id][0]:
            found[package_id][0].append(number)
    return found


def _active_numbers(session: Session, org_id: int, package_ids: list[int]) -> dict[int, str]:
    found: dict[int, list[str]] = defaultdict(list)
    for package_id, number in session.execute(
        select(Waybill.package_id, Waybill.number).where(
            Waybill.org_id == org_id,
            Waybill.package_id.in_(package_ids),
            Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
        )
    ):
        found[package_id].append(number)
    return {k: ", ".join(v) for k, v in found.items()}
