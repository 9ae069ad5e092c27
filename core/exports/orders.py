"""Orders as a table (订单导出): one row per order line.

Why per line: what a merchant does with an order export is reconcile goods as much as
money — which SKU, how many, at what price — and a sum or a pivot over a column works only
when each goods line is a row. A Pinduoduo order nearly always has one line, so the file
still reads as one row per order. The order's own amounts (实付, 邮费, 优惠) are on its
first row only, so that summing a column gives the orders' total instead of counting an
order once per line; the other order columns repeat on every row, so a row filtered out
of context still says which order it is. An order without lines is one row.

What the desk's list shows is what the file shows, read the same way (`core.desk.listing`:
the tab from `tab_of`, the effective flag, the operators' tags, the assigned carrier else
the active waybill's), with the texts the list only marks (memo, remarks, exception
reasons) and the waybill numbers added. The batch's rows are read with five queries of
its own (the orders with their shop and assigned carrier, the lines, the tags, the
package lines, their waybills) rather than through the list's `order_rows`, which builds
a dataclass per order and looks up printed labels the file does not show. They are Core
statements built once (the batch named by its id range, or its ids as one expanding
parameter), rows fetched all at once as tuples: no ORM loading, no statement compiled
per batch; a receiver is decrypted only when revealed.
Money is in yuan as the desk shows it, to `order.view`: the desk hides no order amount
from it, so neither does the export (`finance.view` guards costs, which orders do not
carry). The receiver is masked unless revealed (`core.exports.scope`). The date range is
on the payment time (付款时间, the time the desk sorts and filters by); an order without
one is outside any range.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from functools import cache
from typing import Any, BinaryIO, NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, Text, and_, bindparam, cast, func, select
from sqlalchemy.orm import Session

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.desk.predicates import effective_flag, tab_of
from core.desk.query import TAB_ALIASES
from core.exports import scope
from core.exports.scope import RECEIVER_HEADERS, Exported, Row
from core.models import (
    CarrierAccount,
    Order,
    OrderLine,
    OrderTag,
    PackageLine,
    Shop,
    Tag,
    Waybill,
)
from core.models.packages import ACTIVE_WAYBILL_STATUSES

COLUMNS = (
    "订单号",
    "店铺",
    "状态",
    "退款",
    "下单时间",
    "付款时间",
    "承诺发货时间",
    "发货时间",
    *RECEIVER_HEADERS[:2],
    "省",
    "市",
    "区",
    RECEIVER_HEADERS[2],
    "商品",
    "规格",
    "SKU ID",
    "商家编码",
    "数量",
    "单价(元)",
    "实付(元)",
    "邮费(元)",
    "优惠(元)",
    "买家留言",
    "卖家备注",
    "本地备注",
    "旗帜",
    "标签",
    "异常",
    "挂起原因",
    "快递",
    "运单号",
)
#: The desk's tabs by their Chinese names, as the merchant's back office calls them.
TAB_NAMES = {tab: name for name, tab in TAB_ALIASES.items() if not name.isascii()}
REFUND_NAMES = {"none": "", "in_progress": "退款中", "refunded": "已退款", "unknown": "未知"}
FLAG_NAMES = {"red": "红", "yellow": "黄", "green": "绿", "blue": "蓝", "purple": "紫"}


def export_orders(
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
    """The org's orders matching the desk filter `query`, paid within [since, until]
    (Beijing dates, both included), written to `out` as `fmt` (csv or xlsx). Needs
    `order.view`; `reveal` (receivers in clear) needs `pii.view` and is audited."""
    req = scope.request(query, since, until, fmt, reveal=reveal)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        scope.check_reveal(session, actor, req)
    base = select(Order.id).where(
        *scope.order_clauses(req, actor, app), *scope.in_range(Order.paid_at, req)
    )
    masked = [0]

    def build(session: Session, ids: list[int]) -> list[Row]:
        rows, kept = _rows(session, actor.org_id, ids, reveal)
        masked[0] += kept
        return rows

    rows = scope.batches(
        app, base, Order.id, build, descending=req.descending, most=req.query.limit
    )
    return scope.write(app, actor, out, req, "orders", COLUMNS, rows, lambda: masked[0])


def _rows(session: Session, org_id: int, ids: list[int], reveal: bool) -> tuple[list[Row], int]:
    """The rows of orders `ids`, and how many kept a masked receiver although revealed."""
    conn = session.connection()  # Core rows: the ORM's loading adds nothing to tuples
    lo, hi = min(ids), max(ids)
    dense = hi - lo < 2 * len(ids)
    params = {"org": org_id, "lo": lo, "hi": hi} if dense else {"org": org_id, "ids": ids}
    stmt = _statements(reveal, dense)
    # fetchall: one call into the driver per query, not one per row.
    found = {r[0]: r for r in conn.execute(stmt.orders, params).fetchall()}
    lines: dict[int, list[Row]] = defaultdict(list)
    for order_id, title, spec, sku_id, outer_id, quantity, price in conn.execute(
        stmt.lines, params
    ).fetchall():
        lines[order_id].append([title, spec, sku_id, outer_id, quantity, price / 100])
    tags: dict[int, list[str]] = defaultdict(list)
    for order_id, name in conn.execute(stmt.tags, params).fetchall():
        tags[order_id].append(name)
    numbers, on_waybill = _waybills(conn, conn.execute(stmt.packages, params).fetchall())
    rows: list[Row] = []
    kept = 0
    no_goods = [[None] * 6]
    for order_id in ids:
        r = found.get(order_id)
        if r is None:
            continue
        (
            _,
            number,
            shop,
            hub,
            on_hold,
            in_exception,
            refund,
            created,
            paid,
            due,
            shipped,
            province,
            city,
            district,
            pay,
            postage,
            discount,
            memo,
            seller,
            local,
            flag,
            reasons,
            hold_reason,
            assigned,
        ) = r[:_RECEIVER]
        if reveal:
            (name, phone, address), still_masked = scope.receiver_cells(r[_RECEIVER:], reveal)
            kept += still_masked
        else:
            name, phone, address = r[_RECEIVER:]
        tab = tab_of(hub, bool(on_hold), bool(in_exception))
        head: Row = [
            number,
            shop,
            TAB_NAMES.get(tab, tab),
            REFUND_NAMES.get(refund, refund),
            created,
            paid,
            due,
            shipped,
            name,
            phone,
            province,
            city,
            district,
            address,
        ]
        tail: Row = [
            memo,
            seller,
            local,
            FLAG_NAMES.get(flag, flag or ""),
            " ".join(tags[order_id]) if order_id in tags else "",
            ", ".join(json.loads(reasons) or ()) if reasons else "",
            hold_reason if on_hold else "",
            assigned or on_waybill.get(order_id, ""),
            ", ".join(numbers[order_id]) if order_id in numbers else "",
        ]
        money: Row = [pay / 100, postage / 100, discount / 100]  # yuan: a number to sum
        goods = lines.get(order_id) or no_goods
        rows.append([*head, *goods[0], *money, *tail])
        for line in goods[1:]:
            rows.append([*head, *line, *_NO_MONEY, *tail])
    return rows, kept


#: The exception reasons as their JSON text, None when there are none: nearly every
#: order has none, and decoding each one's `[]` was a tenth of the export's reading.
_REASONS = func.nullif(cast(Order.exception_reasons, Text), "[]")
#: What a row reads of an order, in the order `_rows` unpacks it.
_ORDER_COLUMNS = (
    Order.id,
    Order.platform_order_no,
    Shop.name,
    Order.hub_status,
    Order.on_hold,
    Order.in_exception,
    Order.refund_status,
    Order.created_at_platform,
    Order.paid_at,
    Order.promised_ship_by,
    Order.shipped_at,
    Order.receiver_province,
    Order.receiver_city,
    Order.receiver_district,
    Order.pay_amount_fen,
    Order.postage_fen,
    Order.discount_fen,
    Order.buyer_memo,
    Order.seller_remark,
    Order.local_remark,
    effective_flag(),
    _REASONS,
    Order.hold_reason,
    CarrierAccount.name,  # the assigned carrier account's (outer join: None without one)
)
_RECEIVER = len(_ORDER_COLUMNS)  # where the receiver's columns start
_NO_MONEY = (None, None, None)


# The batch's statements, built once for each way of naming the batch's orders, so each
# compiles once (SQLAlchemy's cache). A batch whose ids fill most of their range — every
# batch of an unfiltered export — is read by `BETWEEN :lo AND :hi` (rows of orders in the
# range but not in the batch are read and ignored: at most as many as the batch's); a
# sparse one by `IN :ids`, one expanding parameter, which SQLAlchemy renders as a
# thousand bound parameters on every execution (a seventh of the export's reading).
_IDS = bindparam("ids", expanding=True)
_ORG = bindparam("org")
_LO, _HI = bindparam("lo"), bindparam("hi")


class _Statements(NamedTuple):
    orders: Select[Any]
    lines: Select[Any]
    tags: Select[Any]
    packages: Select[Any]  # (order, package) of the orders' package lines


def _of_batch(column: Any, dense: bool) -> ColumnElement[bool]:
    return column.between(_LO, _HI) if dense else column.in_(_IDS)


@cache
def _statements(reveal: bool, dense: bool) -> _Statements:
    orders = (
        select(*_ORDER_COLUMNS, *scope.receiver_columns(reveal))
        .join(Shop, Shop.id == Order.shop_id)
        .outerjoin(
            CarrierAccount,
            and_(
                CarrierAccount.id == Order.assigned_carrier_account_id,
                CarrierAccount.org_id == _ORG,
            ),
        )
        .where(Order.org_id == _ORG, _of_batch(Order.id, dense))
    )
    lines = (
        select(
            OrderLine.order_id,
            OrderLine.title,
            OrderLine.spec,
            OrderLine.platform_sku_id,
            OrderLine.outer_id,
            OrderLine.quantity,
            OrderLine.unit_price_fen,
        )
        .where(OrderLine.org_id == _ORG, _of_batch(OrderLine.order_id, dense))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    )
    tags = (
        select(OrderTag.order_id, Tag.name)
        .join(Tag, Tag.id == OrderTag.tag_id)
        .where(OrderTag.org_id == _ORG, _of_batch(OrderTag.order_id, dense))
        .order_by(OrderTag.order_id, Tag.name)
    )
    packages = select(PackageLine.order_id, PackageLine.package_id).where(
        PackageLine.org_id == _ORG, _of_batch(PackageLine.order_id, dense)
    )
    return _Statements(orders, lines, tags, packages)


#: The active waybills of packages, by id — by package id range when the packages fill
#: most of theirs, as a batch's orders do (see `_statements`). Read apart from the
#: package lines: joined to them, PostgreSQL's planner hashed the whole waybills table
#: for every batch (23 ms a batch at 70,000 waybills, more as they grow) where index
#: look-ups take about 1 ms.
@cache
def _waybills_of(dense: bool) -> Select[Any]:
    packages = (
        Waybill.package_id.between(bindparam("first"), bindparam("last"))
        if dense
        else Waybill.package_id.in_(bindparam("packages", expanding=True))
    )
    return (
        select(Waybill.package_id, Waybill.id, Waybill.number, CarrierAccount.name)
        .join(CarrierAccount, CarrierAccount.id == Waybill.carrier_account_id)
        .where(packages, Waybill.status.in_(ACTIVE_WAYBILL_STATUSES))
        .order_by(Waybill.id)
    )


def _waybills(
    conn: Connection, pairs: Sequence[Any]
) -> tuple[dict[int, list[str]], dict[int, str]]:
    """The active waybill numbers of each order's packages in waybill order, and the
    carrier account of its first (the desk's carrier for an order without an assigned one),
    from the batch's (order, package) pairs."""
    numbers: dict[int, list[str]] = {}
    carriers: dict[int, str] = {}
    if not pairs:
        return numbers, carriers
    of_package: dict[int, list[int]] = defaultdict(list)  # package → its orders
    for order_id, package_id in pairs:
        if order_id not in of_package[package_id]:
            of_package[package_id].append(order_id)
    first, last = min(of_package), max(of_package)
    if last - first < 2 * len(of_package):
        found = conn.execute(_waybills_of(True), {"first": first, "last": last})
    else:
        found = conn.execute(_waybills_of(False), {"packages": list(of_package)})
    for package_id, _, number, account in found.fetchall():  # in waybill id order
        for order_id in of_package.get(package_id, ()):
            listed = numbers.setdefault(order_id, [])
            if number not in listed:
                listed.append(number)
            carriers.setdefault(order_id, account)
    return numbers, carriers
