"""`/v1/shipments`: confirming packages shipped (确认发货) and the outbox that tells the
platforms.

A confirmation marks the packages shipped and writes one outbox row per order in the same
transaction (`core.shipback.confirm`); `orderhub worker` sends the rows to the platform,
exactly once per order, and retries transient failures itself. Rows that were held (a
refund found at send time) or need a person are listed by the outbox route and sent again
with `…/retry`. Packages that cannot ship are refused one by one with the reason while the
rest are confirmed, so a confirmation answers 200 with what it did.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.contract import Call, Operation
from api.paths import MAX_ID, NO_NUL, path_id
from core.shipback import confirm, review
from core.shipback.confirm import ConfirmResult
from core.shipback.review import OutboxPage, OutboxRow

MAX = confirm.MAX_PACKAGES
Number = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
RowId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]


class ConfirmRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Name the packages: by id, by their tracking number, or every live package of the
    named orders (at least one, in any mix)."""

    package_ids: Annotated[list[RowId], msgspec.Meta(max_length=MAX)] = []
    waybills: Annotated[list[Number], msgspec.Meta(max_length=MAX)] = []
    orders: Annotated[list[Number], msgspec.Meta(max_length=MAX)] = []


class ConfirmReadyRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Every `verified` package (or, with `printed`, printed and verified ones)."""

    status: Literal["verified", "printed"] = "verified"
    shop_id: RowId | None = None
    carrier_account_id: RowId | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=MAX)] = MAX


class OutboxQuery(msgspec.Struct, forbid_unknown_fields=True):
    state: (
        Literal["pending", "sending", "done", "held", "needs_person", "shipped_outside"] | None
    ) = None
    after: Annotated[str, msgspec.Meta(max_length=40)] | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=review.MAX_ROWS)] = 50


def _confirm(call: Call) -> ConfirmResult:
    body: ConfirmRequest = call.body
    assert call.actor is not None
    return confirm.confirm_packages(
        call.app,
        call.actor,
        package_ids=body.package_ids,
        waybill_numbers=body.waybills,
        order_numbers=body.orders,
    )


def _confirm_ready(call: Call) -> ConfirmResult:
    body: ConfirmReadyRequest = call.body
    assert call.actor is not None
    return confirm.confirm_ready(
        call.app,
        call.actor,
        status=body.status,
        shop_id=body.shop_id,
        carrier_account_id=body.carrier_account_id,
        limit=body.limit,
    )


def _outbox(call: Call) -> OutboxPage:
    q: OutboxQuery = call.query
    assert call.actor is not None
    return review.outbox_page(call.app, call.actor, state=q.state, after=q.after, limit=q.limit)


def _retry(call: Call) -> OutboxRow:
    assert call.actor is not None
    return review.retry_row(call.app, call.actor, path_id(call, "row_id"))


OPERATIONS = (
    Operation(
        "POST",
        "/v1/shipments/confirm",
        "Confirm packages shipped (by id, tracking number or order) and queue their "
        "platform confirmations",
        _confirm,
        ConfirmResult,
        request=ConfirmRequest,
        permission="ship.confirm",
        errors=(404,),
        tags=("shipments",),
    ),
    Operation(
        "POST",
        "/v1/shipments/confirm-ready",
        "Confirm every verified (or printed) package, oldest first, and queue their "
        "platform confirmations",
        _confirm_ready,
        ConfirmResult,
        request=ConfirmReadyRequest,
        permission="ship.confirm",
        tags=("shipments",),
    ),
    Operation(
        "GET",
        "/v1/shipments/outbox",
        "The platform confirmations and their state, newest first (keyset pagination), "
        "with counts by state",
        _outbox,
        OutboxPage,
        query=OutboxQuery,
        permission="order.view",
        tags=("shipments",),
    ),
    Operation(
        "POST",
        "/v1/shipments/outbox/{row_id}/retry",
        "Send a held or failed confirmation again",
        _retry,
        OutboxRow,
        permission="ship.confirm",
        errors=(404, 409),
        tags=("shipments",),
    ),
)
