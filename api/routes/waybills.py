"""`/v1/waybills`: e-waybill numbers (电子面单) — the list, drawing them for orders or
packages (idempotent: a package that has one keeps it), and cancelling by number."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.contract import Call, Operation
from api.routes.common import Id, Text
from core.waybills import by_reference
from core.waybills.cancel import CancelOutcome
from core.waybills.query import WaybillInfo, list_waybills

WaybillStatus = Literal["allocated", "printed", "cancelling", "cancelled", "recycled"]
Number = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
MAX_PACKAGES = 10_000
TAGS = ("waybills",)


class WaybillQuery(msgspec.Struct, forbid_unknown_fields=True):
    status: WaybillStatus | None = None
    order: Number | None = None  # a platform order number
    number: Number | None = None  # a tracking number
    package: Id | None = None
    after: Id | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=500)] = 100


class WaybillPage(msgspec.Struct):
    items: list[WaybillInfo]
    next_cursor: str | None


class Allocate(msgspec.Struct, forbid_unknown_fields=True):
    """Draw from carrier `account` for `orders` (packed first) or `packages`."""

    account: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    orders: Annotated[list[Number], msgspec.Meta(max_length=MAX_PACKAGES)] = []
    packages: Annotated[list[Id], msgspec.Meta(max_length=MAX_PACKAGES)] = []
    #: Manual carriers: order number (or package id) → the tracking number typed or scanned.
    numbers: dict[Number, Number] = {}
    reallocate: bool = False  # cancel each package's waybill first (print.reprint)
    reason: Text = ""  # required with reallocate (audited)


class Outcome(msgspec.Struct):
    package_id: int
    orders: list[str]
    outcome: str  # allocated | kept | busy | failed
    number: str
    error: str
    warning: str
    retryable: bool


class Refused(msgspec.Struct):
    order: str
    reason: str


class Allocated(msgspec.Struct):
    account: str
    outcomes: list[Outcome]
    refused: list[Refused]  # orders that could not be packed
    compensated: list[str]  # numbers drawn but cancelled at the carrier again
    cancelled: list[CancelOutcome]  # the old waybills a reallocation cancelled
    aborted: str


class Cancel(msgspec.Struct, forbid_unknown_fields=True):
    numbers: Annotated[list[Number], msgspec.Meta(min_length=1, max_length=1000)]
    reason: Text = ""


class Cancelled(msgspec.Struct):
    items: list[CancelOutcome]  # cancelled | recycled | already | failed, one per number


def _list_waybills(call: Call) -> WaybillPage:
    q: WaybillQuery = call.query
    assert call.actor is not None
    found = list_waybills(
        call.app,
        call.actor,
        status=q.status,
        order_number=q.order,
        number=q.number,
        package_id=q.package,
        before_id=q.after,
        limit=q.limit,
    )
    return WaybillPage(found, str(found[-1].id) if len(found) == q.limit else None)


def _allocate_waybills(call: Call) -> Allocated:
    b: Allocate = call.body
    assert call.actor is not None
    done = by_reference.allocate_for(
        call.app,
        call.actor,
        b.account,
        orders=b.orders,
        package_ids=b.packages,
        typed_numbers=b.numbers,
        reallocate=b.reallocate,
        reason=b.reason,
    )
    report = done.report
    return Allocated(
        account=report.account,
        outcomes=[
            Outcome(
                o.package_id,
                done.orders_of_package.get(o.package_id, []),
                o.outcome,
                o.number,
                o.error,
                o.warning,
                o.retryable,
            )
            for o in report.outcomes
        ],
        refused=[Refused(r.order, r.reason) for r in done.refused],
        compensated=list(report.compensated),
        cancelled=list(report.cancelled),
        aborted=report.aborted,
    )


def _cancel_waybills(call: Call) -> Cancelled:
    b: Cancel = call.body
    assert call.actor is not None
    return Cancelled(by_reference.cancel_numbers(call.app, call.actor, b.numbers, b.reason))


OPERATIONS = (
    Operation(
        "GET",
        "/v1/waybills",
        "The org's waybills, newest first (keyset pagination)",
        _list_waybills,
        WaybillPage,
        query=WaybillQuery,
        permission="order.view or print.run",
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/v1/waybills/allocate",
        "Draw waybills for orders or packages (those that have one keep it)",
        _allocate_waybills,
        Allocated,
        request=Allocate,
        permission="print.run (print.reprint to reallocate)",
        errors=(404, 409, 502),
        tags=TAGS,
    ),
    Operation(
        "POST",
        "/v1/waybills/cancel",
        "Cancel (recycle) waybills by tracking number",
        _cancel_waybills,
        Cancelled,
        request=Cancel,
        permission="print.run (print.reprint for printed ones)",
        errors=(404, 502),
        tags=TAGS,
    ),
)
