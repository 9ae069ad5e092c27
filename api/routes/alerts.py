"""`/v1/alerts`: what an operator must see (sync failing, refunds after printing, orders
overdue to ship …), and saying it was seen.

An alert is open until acknowledged; acknowledging is audited and deletes nothing. Core
has no separate "resolved" state: the condition behind an alert clearing (sync working
again) raises its own note (`sync.recovered`). Who sees and acknowledges which alerts is
`core.alertdesk.access`: an alert the caller may not see is a 404.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from api.contract import Call, Operation
from api.paths import MAX_ID, NO_NUL, path_id
from core.alertdesk import listing
from core.alertdesk.listing import AckResult, AlertPage, AlertView
from core.alerts.raising import KIND_MAX
from core.errors import ValidationError

Kind = Annotated[str, msgspec.Meta(min_length=1, max_length=KIND_MAX, pattern=NO_NUL)]


class AlertQuery(msgspec.Struct, forbid_unknown_fields=True):
    state: Literal["open", "acked", "all"] = "open"
    severity: Literal["info", "warning", "critical"] | None = None  # this one and higher
    kind: Kind | None = None  # one kind, or a family: order.*
    after: Annotated[str, msgspec.Meta(max_length=40)] | None = None  # a page's next_cursor
    limit: Annotated[int, msgspec.Meta(ge=1, le=listing.MAX_LISTED)] = 100


class AckRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Alert ids, or every open alert of a kind (`sync.failing`, a family `order.*`)."""

    ids: Annotated[
        list[Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]],
        msgspec.Meta(max_length=listing.MAX_ACK_IDS),
    ] = []
    kind: Kind | None = None


def _list_alerts(call: Call) -> AlertPage:
    q: AlertQuery = call.query
    assert call.actor is not None
    return listing.alerts_page(
        call.app,
        call.actor,
        state=q.state,
        severity=q.severity,
        kind=q.kind,
        after=q.after,
        limit=q.limit,
    )


def _acknowledge(call: Call) -> AlertView:
    assert call.actor is not None
    return listing.ack_alert(call.app, call.actor, path_id(call, "alert_id"))


def _acknowledge_many(call: Call) -> AckResult:
    body: AckRequest = call.body
    assert call.actor is not None
    if bool(body.ids) == bool(body.kind):
        raise ValidationError("give alert ids or a kind (not both)", field="ids")
    if body.kind:
        return listing.ack_kind(call.app, call.actor, body.kind)
    return listing.ack_alerts(call.app, call.actor, body.ids)


OPERATIONS = (
    Operation(
        "GET",
        "/v1/alerts",
        "Alerts the caller may see, newest first: open, acknowledged or all (keyset pagination)",
        _list_alerts,
        AlertPage,
        query=AlertQuery,
        permission="order.view",
        tags=("alerts",),
    ),
    Operation(
        "POST",
        "/v1/alerts/{alert_id}/acknowledge",
        "Acknowledge one alert (again: unchanged)",
        _acknowledge,
        AlertView,
        permission="order.edit or ship.confirm (user.manage, settings.manage for some kinds)",
        errors=(404,),
        tags=("alerts",),
    ),
    Operation(
        "POST",
        "/v1/alerts/acknowledgements",
        "Acknowledge alerts by id (all or none), or every open alert of a kind",
        _acknowledge_many,
        AckResult,
        request=AckRequest,
        permission="order.edit or ship.confirm (user.manage, settings.manage for some kinds)",
        errors=(404,),
        tags=("alerts",),
    ),
)
