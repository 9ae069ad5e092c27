"""`/v1/orders/{number}/…`: revealing the receiver and editing an order by hand (改单).

`POST …/reveal` answers the order with its receiver in clear: it needs `pii.view` and
core records an `order.reveal` audit event. The edits (`PATCH …/receiver`, `PUT
…/remark`, `PUT …/flag`) take the order's ETag in `If-Match` (from `GET
/v1/orders/{number}` or an earlier edit) and answer the new version as `ETag`; an order
changed meanwhile is a 409 and nothing is written. Without `If-Match` the edit still
cannot overwrite a concurrent one (core's version column), it just does not check what
the client saw.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from api.contract import Call, Operation, Reply
from api.routes.desk_inputs import actor_of, path_number
from api.routes.orders import DetailQuery
from api.versions import IF_MATCH, etag, expected_version
from core.desk import edits
from core.desk.show import OrderDetail, show_order

Name = Annotated[str, msgspec.Meta(max_length=edits.MAX_NAME)]
Region = Annotated[str, msgspec.Meta(max_length=edits.MAX_REGION)]


class ReceiverPatch(msgspec.Struct, forbid_unknown_fields=True):
    """The receiver fields to change; those left out stay as they are."""

    name: Name | None = None
    phone: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    province: Region | None = None
    city: Region | None = None
    district: Region | None = None
    address: Annotated[str, msgspec.Meta(max_length=edits.MAX_ADDRESS)] | None = None


class RemarkPut(msgspec.Struct, forbid_unknown_fields=True):
    remark: Annotated[str, msgspec.Meta(max_length=edits.MAX_REMARK)]  # "" clears it


class FlagPut(msgspec.Struct, forbid_unknown_fields=True):
    flag: Literal["red", "yellow", "green", "blue", "purple", "none"]


class EditAnswer(msgspec.Struct):
    """What an edit changed (receiver values masked) and the order's version now."""

    order_number: str
    version: int
    changed: bool
    before: dict[str, Any]
    after: dict[str, Any]


def _answer(done: edits.Edit) -> Reply:
    body = EditAnswer(done.order_number, done.version, bool(done.after), done.before, done.after)
    return Reply(body, headers={"ETag": etag(done.version)})


def _reveal_order(call: Call) -> Reply:
    detail = show_order(
        call.app, actor_of(call), path_number(call), shop=call.query.shop, reveal=True
    )
    return Reply(detail, headers={"ETag": etag(detail.version), "Cache-Control": "no-store"})


def _edit_receiver(call: Call) -> Reply:
    body: ReceiverPatch = call.body
    changes = {f: getattr(body, f) for f in edits.RECEIVER_FIELDS}
    done = edits.edit_receiver(
        call.app,
        actor_of(call),
        path_number(call),
        expected_version=expected_version(call),
        **changes,
    )
    return _answer(done)


def _set_remark(call: Call) -> Reply:
    done = edits.set_remark(
        call.app,
        actor_of(call),
        path_number(call),
        call.body.remark,
        expected_version=expected_version(call),
    )
    return _answer(done)


def _set_flag(call: Call) -> Reply:
    done = edits.set_flag(
        call.app,
        actor_of(call),
        path_number(call),
        call.body.flag,
        expected_version=expected_version(call),
    )
    return _answer(done)


OPERATIONS = (
    Operation(
        "POST",
        "/v1/orders/{number}/reveal",
        "The order with its receiver in clear (audited as order.reveal)",
        _reveal_order,
        OrderDetail,
        query=DetailQuery,
        permission="pii.view",
        errors=(404, 501, 502),
        tags=("orders",),
    ),
    Operation(
        "PATCH",
        "/v1/orders/{number}/receiver",
        "Change the receiver of an imported or manual order not yet printed",
        _edit_receiver,
        EditAnswer,
        request=ReceiverPatch,
        permission="order.edit",
        errors=(404, 409),
        headers=(IF_MATCH,),
        tags=("orders",),
    ),
    Operation(
        "PUT",
        "/v1/orders/{number}/remark",
        "Set the order's local seller remark (an empty one clears it)",
        _set_remark,
        EditAnswer,
        request=RemarkPut,
        permission="order.edit",
        errors=(404, 409),
        headers=(IF_MATCH,),
        tags=("orders",),
    ),
    Operation(
        "PUT",
        "/v1/orders/{number}/flag",
        "Set the order's local flag colour, or none",
        _set_flag,
        EditAnswer,
        request=FlagPut,
        permission="order.edit",
        errors=(404, 409),
        headers=(IF_MATCH,),
        tags=("orders",),
    ),
)
