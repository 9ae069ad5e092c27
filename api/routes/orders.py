"""`/v1/orders`: the desk's search (query language, keyset cursor), tab counts, detail.

Buyer data is masked: the list rows and the detail come from `core.desk` with the
receiver masked (revealing it, with `pii.view` and an audit entry, is a later route).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.contract import Call, Link, Operation, Reply
from api.versions import etag
from core.desk import search
from core.desk.listing import OrderRow
from core.desk.show import OrderDetail, show_order

MAX_LIMIT = 500


class OrderQuery(msgspec.Struct, forbid_unknown_fields=True):
    q: str = ""  # the desk's query language, e.g. `tab:to-ship shop:A paid:>2026-11-01`
    after: str | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)] = 100


class CountQuery(msgspec.Struct, forbid_unknown_fields=True):
    q: str = ""


class DetailQuery(msgspec.Struct, forbid_unknown_fields=True):
    shop: str | None = None  # when two shops share an order number


class OrderPage(msgspec.Struct):
    items: list[OrderRow]
    next_cursor: str | None
    query: str  # the filter in canonical form


class OrderCounts(msgspec.Struct):
    counts: dict[str, int]
    total: int


def _search_orders(call: Call) -> OrderPage:
    q: OrderQuery = call.query
    assert call.actor is not None
    page = search.search_orders(call.app, call.actor, q.q, after=q.after, limit=q.limit)
    return OrderPage(list(page.rows), page.next_cursor, page.query)


def _count_orders(call: Call) -> OrderCounts:
    assert call.actor is not None
    found = search.count_tabs(call.app, call.actor, call.query.q)
    return OrderCounts(found.counts, found.total)


def _show_order(call: Call) -> Reply:
    assert call.actor is not None
    detail = show_order(call.app, call.actor, call.path["number"], shop=call.query.shop)
    return Reply(detail, headers={"ETag": etag(detail.version)})


OPERATIONS = (
    Operation(
        "GET",
        "/v1/orders",
        "Search the org's orders (desk query language, keyset pagination)",
        _search_orders,
        OrderPage,
        query=OrderQuery,
        permission="order.view",
        tags=("orders",),
        links=(Link("first_order", _show_order, {"number": "$response.body#/items/0/order_no"}),),
    ),
    Operation(
        "GET",
        "/v1/orders/counts",
        "How many matching orders are in each desk tab",
        _count_orders,
        OrderCounts,
        query=CountQuery,
        permission="order.view",
        tags=("orders",),
    ),
    Operation(
        "GET",
        "/v1/orders/{number}",
        "One order whole, buyer data masked; its version is the ETag edits send back",
        _show_order,
        OrderDetail,
        query=DetailQuery,
        permission="order.view",
        errors=(404,),
        tags=("orders",),
    ),
)
