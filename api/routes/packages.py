"""Packages (包裹): the unit that gets one waybill and one label. An order's packages,
合单 (merge orders of one receiver into one package) and the merge candidates, 拆单 (split
an order over packages by line and quantity), unmerge, weight, and tracking numbers typed
by hand (回填单号).

Merging, splitting, unmerging and weighing need `order.edit`, and nothing may change once
a waybill is drawn or a label printed (409, naming the waybill or the job); a tracking
number needs `ship.confirm` and replaces a typed, unprinted one.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.contract import Call, Operation
from api.paths import path_id
from api.routes.desk_inputs import OrderNumber, actor_of, path_number
from api.routes.orders import DetailQuery
from core.desk import packing
from core.desk.show import PackageView as OrderPackage
from core.desk.show import order_packages
from core.orders import merging, splitting
from core.orders.repacking import PackageView
from core.shipping.tracking import TrackingResult, set_tracking_number

LineNo = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class OrderPackages(msgspec.Struct):
    """Lines are `[order number, line number, quantity]`; a merged package holds other
    orders' lines too. Cancelled packages (emptied by a split or unmerge) are listed."""

    items: list[OrderPackage]
    next_cursor: str | None = None  # always null: the whole list in one answer


class Packages(msgspec.Struct):
    items: list[PackageView]


class CandidateQuery(msgspec.Struct, forbid_unknown_fields=True):
    limit: Annotated[int, msgspec.Meta(ge=1, le=merging.MAX_GROUPS)] = 200


class Candidates(msgspec.Struct):
    items: list[merging.CandidateGroup]  # receivers masked
    next_cursor: str | None = None  # always null: the first `limit` groups, no paging


class MergeBody(msgspec.Struct, forbid_unknown_fields=True):
    orders: Annotated[list[OrderNumber], msgspec.Meta(min_length=2, max_length=merging.MAX_MERGE)]


class SplitBody(msgspec.Struct, forbid_unknown_fields=True):
    """One object per package: line number → quantity, e.g. `[{"1": 2}, {"1": 1, "2": 1}]`;
    together exactly the order's lines."""

    parts: Annotated[
        list[Annotated[dict[LineNo, Quantity], msgspec.Meta(min_length=1, max_length=1000)]],
        msgspec.Meta(min_length=1, max_length=splitting.MAX_PARTS),
    ]


class WeightBody(msgspec.Struct, forbid_unknown_fields=True):
    grams: Annotated[int, msgspec.Meta(ge=1, le=splitting.MAX_WEIGHT_G)]


class TrackingBody(msgspec.Struct, forbid_unknown_fields=True):
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    carrier_account: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]  # name or id


def _order_packages(call: Call) -> OrderPackages:
    found = order_packages(call.app, actor_of(call), path_number(call), shop=call.query.shop)
    return OrderPackages(list(found))


def _merge_candidates(call: Call) -> Candidates:
    return Candidates(merging.merge_candidates(call.app, actor_of(call), limit=call.query.limit))


def _merge_orders(call: Call) -> PackageView:
    return packing.merge(call.app, actor_of(call), call.body.orders)


def _split_order(call: Call) -> Packages:
    return Packages(packing.split(call.app, actor_of(call), path_number(call), call.body.parts))


def _unmerge_package(call: Call) -> Packages:
    return Packages(packing.unmerge(call.app, actor_of(call), package_id=path_id(call)))


def _set_package_weight(call: Call) -> PackageView:
    return packing.set_weight(call.app, actor_of(call), call.body.grams, package_id=path_id(call))


def _set_package_tracking(call: Call) -> TrackingResult:
    body: TrackingBody = call.body
    return set_tracking_number(
        call.app, actor_of(call), body.number, body.carrier_account, package_id=path_id(call)
    )


def _set_order_tracking(call: Call) -> TrackingResult:
    body: TrackingBody = call.body
    return set_tracking_number(
        call.app, actor_of(call), body.number, body.carrier_account, order_number=path_number(call)
    )


def _op(method: str, path: str, summary: str, handler, response, **kw) -> Operation:  # type: ignore[no-untyped-def]
    kw.setdefault("permission", "order.edit")
    return Operation(
        method, path, summary, handler, response, errors=(404, 409), tags=("packages",), **kw
    )


OPERATIONS = (
    _op(
        "GET",
        "/v1/orders/{number}/packages",
        "The order's packages with lines and waybills",
        _order_packages,
        OrderPackages,
        query=DetailQuery,
        permission="order.view",
    ),
    _op(
        "GET",
        "/v1/packages/merge-candidates",
        "Orders of one receiver that may be merged",
        _merge_candidates,
        Candidates,
        query=CandidateQuery,
        permission="order.view",
    ),
    _op(
        "POST",
        "/v1/packages/merge",
        "合单: put every line of these orders in one package",
        _merge_orders,
        PackageView,
        request=MergeBody,
    ),
    _op(
        "POST",
        "/v1/orders/{number}/split",
        "拆单: spread one order over several packages",
        _split_order,
        Packages,
        request=SplitBody,
    ),
    _op(
        "POST",
        "/v1/packages/{id}/unmerge",
        "Give each order of a merged package its own",
        _unmerge_package,
        Packages,
    ),
    _op(
        "PUT",
        "/v1/packages/{id}/weight",
        "Type a package's weight in grams",
        _set_package_weight,
        PackageView,
        request=WeightBody,
    ),
    _op(
        "PUT",
        "/v1/packages/{id}/tracking",
        "回填单号: give a package a tracking number",
        _set_package_tracking,
        TrackingResult,
        request=TrackingBody,
        permission="ship.confirm",
    ),
    _op(
        "PUT",
        "/v1/orders/{number}/tracking",
        "回填单号: a tracking number for the order's one package",
        _set_order_tracking,
        TrackingResult,
        request=TrackingBody,
        permission="ship.confirm",
    ),
)
