"""The desk's actions on orders, one order (`/v1/orders/{number}/…`) or a batch
(`/v1/orders/…` with `orders` or a `filter` of the desk's query language):

- 审单 (`order.audit`): `approve`, `reject` (驳回, with a reason: back to pending, into the
  exception queue), `recheck` (run the audit rules again now);
- 挂起 / 释放 (`order.edit`): `hold` with a reason, `release`.

Orders are decided one by one: an order that may not be (printed, on hold, refunding) is
answered `refused` with the reason and left as it is, the others are applied; an order
number the org does not have is a 404 and nothing is applied.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from api.contract import Call, Operation
from api.routes.desk_inputs import Selection, actor_of, path_number
from core.auditing import decisions
from core.desk import holds
from core.desk.selection import selected_numbers

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=decisions.MAX_REASON)]
HoldReason = Annotated[str, msgspec.Meta(min_length=1, max_length=holds.MAX_REASON)]


class RejectBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason  # shown in the exception queue


class HoldBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: HoldReason  # why the order must wait


class BatchReject(Selection, forbid_unknown_fields=True, kw_only=True):
    reason: Reason


class BatchHold(Selection, forbid_unknown_fields=True, kw_only=True):
    reason: HoldReason


class Decisions(msgspec.Struct):
    """Per order what happened: approved, rejected, checked or refused (with `note`)."""

    items: list[decisions.Decision]
    applied: int
    refused: int


def _decisions(report: decisions.DecisionReport) -> Decisions:
    return Decisions(report.decisions, len(report.applied), len(report.refused))


def _selected(call: Call) -> list[str]:
    body: Selection = call.body
    return selected_numbers(call.app, actor_of(call), body.orders, body.filter)


def _approve_order(call: Call) -> Decisions:
    return _decisions(decisions.approve(call.app, actor_of(call), [path_number(call)]))


def _reject_order(call: Call) -> Decisions:
    report = decisions.reject(call.app, actor_of(call), [path_number(call)], call.body.reason)
    return _decisions(report)


def _recheck_order(call: Call) -> Decisions:
    return _decisions(decisions.recheck(call.app, actor_of(call), [path_number(call)]))


def _approve_orders(call: Call) -> Decisions:
    return _decisions(decisions.approve(call.app, actor_of(call), _selected(call)))


def _reject_orders(call: Call) -> Decisions:
    report = decisions.reject(call.app, actor_of(call), _selected(call), call.body.reason)
    return _decisions(report)


def _recheck_orders(call: Call) -> Decisions:
    return _decisions(decisions.recheck(call.app, actor_of(call), _selected(call)))


def _hold_order(call: Call) -> holds.HoldResult:
    return holds.hold_orders(call.app, actor_of(call), [path_number(call)], reason=call.body.reason)


def _release_order(call: Call) -> holds.HoldResult:
    return holds.release_orders(call.app, actor_of(call), [path_number(call)])


def _hold_orders(call: Call) -> holds.HoldResult:
    return holds.hold_orders(call.app, actor_of(call), _selected(call), reason=call.body.reason)


def _release_orders(call: Call) -> holds.HoldResult:
    return holds.release_orders(call.app, actor_of(call), _selected(call))


def _op(path: str, summary: str, handler, response, permission: str, request=None) -> Operation:  # type: ignore[no-untyped-def]
    return Operation(
        "POST",
        path,
        summary,
        handler,
        response,
        request=request,
        permission=permission,
        errors=(404, 409),
        tags=("orders",),
    )


OPERATIONS = (
    _op(
        "/v1/orders/{number}/approve",
        "审单: approve one order",
        _approve_order,
        Decisions,
        "order.audit",
    ),
    _op(
        "/v1/orders/{number}/reject",
        "驳回: send one order back to pending with a reason",
        _reject_order,
        Decisions,
        "order.audit",
        RejectBody,
    ),
    _op(
        "/v1/orders/{number}/recheck",
        "Run the audit rules again on one order",
        _recheck_order,
        Decisions,
        "order.audit",
    ),
    _op(
        "/v1/orders/approve",
        "审单: approve the orders named or a filter selects",
        _approve_orders,
        Decisions,
        "order.audit",
        Selection,
    ),
    _op(
        "/v1/orders/reject",
        "驳回: send the orders named or a filter selects back to pending",
        _reject_orders,
        Decisions,
        "order.audit",
        BatchReject,
    ),
    _op(
        "/v1/orders/recheck",
        "Run the audit rules again on the orders named or selected",
        _recheck_orders,
        Decisions,
        "order.audit",
        Selection,
    ),
    _op(
        "/v1/orders/{number}/hold",
        "挂起: put one order on hold with a reason",
        _hold_order,
        holds.HoldResult,
        "order.edit",
        HoldBody,
    ),
    _op(
        "/v1/orders/{number}/release",
        "释放: release one held order",
        _release_order,
        holds.HoldResult,
        "order.edit",
    ),
    _op(
        "/v1/orders/hold",
        "挂起: put the orders named or a filter selects on hold",
        _hold_orders,
        holds.HoldResult,
        "order.edit",
        BatchHold,
    ),
    _op(
        "/v1/orders/release",
        "释放: release the orders named or a filter selects",
        _release_orders,
        holds.HoldResult,
        "order.edit",
        Selection,
    ),
)
