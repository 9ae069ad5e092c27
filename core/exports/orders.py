"""Orders as a table (订单导出): one row per order line.

Why per line: what a merchant does with an order export is reconcile goods as much as
money — which SKU, how many, at what price — and a sum or a pivot over a column works only
when each goods line is a row. A Pinduoduo order nearly always has one line, so the file
still reads as one row per order. The order's own amounts (实付, 邮费, 优惠) are on its
first row only, so that summing a column gives the orders' total instead of counting an
order once per line; the other order columns repeat on every row, so a row filtered out
of context still says which order it is. An order without lines is one row.

What the desk shows is what the file shows (`core.desk.listing.order_rows`: the tab, the
effective flag, the operators' tags, the carrier), with the texts the list only marks
(memo, remarks, exception reasons) and the waybill numbers added. Money is in yuan as the
desk shows it, to `order.view`: the desk hides no order amount from it, so neither does
the export (`finance.view` guards costs, which orders do not carry). The receiver is
masked unless revealed (`core.exports.scope`). The date range is on the payment time
(付款时间, the time the desk sorts and filters by); an order without one is outside any
range.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.desk.listing import order_rows
from core.desk.query import TAB_ALIASES
from core.exports import scope
from core.exports.scope import RECEIVER_HEADERS, Exported, Row
from core.models import Order, OrderLine, PackageLine, Waybill
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
    listed = order_rows(session, org_id, ids)
    extra = {
        r[0]: r[1:]
        for r in session.execute(
            select(
                Order.id,
                Order.shipped_at,
                Order.discount_fen,
                Order.postage_fen,
                Order.buyer_memo,
                Order.seller_remark,
                Order.local_remark,
                *scope.receiver_columns(reveal),
            ).where(Order.org_id == org_id, Order.id.in_(ids))
        )
    }
    lines = _lines(session, org_id, ids)
    numbers = _waybills(session, org_id, ids)
    rows: list[Row] = []
    kept = 0
    for order in listed:
        shipped, discount, postage, memo, seller, local, *receiver = extra[order.id]
        (name, phone, address), still_masked = scope.receiver_cells(receiver, reveal)
        kept += still_masked
        head: Row = [
            order.order_no,
            order.shop,
            TAB_NAMES.get(order.tab, order.tab),
            REFUND_NAMES.get(order.refund_status, order.refund_status),
            order.created_at,
            order.paid_at,
            order.promised_ship_by,
            None if shipped is None else clock.as_utc(shipped),
            name,
            phone,
            order.province,
            order.city,
            order.district,
            address,
        ]
        tail: Row = [
            memo,
            seller,
            local,
            FLAG_NAMES.get(order.flag, order.flag),
            " ".join(order.tags),
            ", ".join(order.exception_reasons),
            order.hold_reason if order.on_hold else "",
            order.carrier,
            ", ".join(numbers.get(order.id, ())),
        ]
        money: Row = [_yuan(order.pay_amount_fen), _yuan(postage), _yuan(discount)]
        goods = lines.get(order.id) or [[None] * 6]
        for index, line in enumerate(goods):
            rows.append([*head, *line, *(money if index == 0 else (None, None, None)), *tail])
    return rows, kept


def _yuan(fen: int) -> float:
    """Fen as yuan, a number a spreadsheet sums (exact to the fen below 10^13 yuan)."""
    return fen / 100


def _lines(session: Session, org_id: int, ids: list[int]) -> dict[int, list[Row]]:
    found: dict[int, list[Row]] = defaultdict(list)
    for order_id, title, spec, sku_id, outer_id, quantity, price in session.execute(
        select(
            OrderLine.order_id,
            OrderLine.title,
            OrderLine.spec,
            OrderLine.platform_sku_id,
            OrderLine.outer_id,
            OrderLine.quantity,
            OrderLine.unit_price_fen,
        )
        .where(OrderLine.org_id == org_id, OrderLine.order_id.in_(ids))
        .order_by(OrderLine.order_id, OrderLine.line_no)
    ):
        found[order_id].append([title, spec, sku_id, outer_id, quantity, _yuan(price)])
    return found


def _waybills(session: Session, org_id: int, ids: list[int]) -> dict[int, list[str]]:
    """The active waybill numbers of each order's packages."""
    found: dict[int, list[str]] = defaultdict(list)
    for order_id, number in session.execute(
        select(PackageLine.order_id, Waybill.number)
        .join(Waybill, Waybill.package_id == PackageLine.package_id)
        .where(
            PackageLine.org_id == org_id,
            PackageLine.order_id.in_(ids),
            Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
        )
        .order_by(PackageLine.order_id, Waybill.id)
    ):
        if number not in found[order_id]:
            found[order_id].append(number)
    return found
