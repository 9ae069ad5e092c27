"""`GET /v1/audit`: the org's audit trail (who did what, when, to what, before and after),
newest first, a page at a time (`after=` the previous page's `next_cursor`), filtered by
action, target and time. Needs `settings.manage`, as `orderhub audit` does. Buyer data
in it is masked: the services record masked values only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.contract import Call, Operation
from api.routes.desk_inputs import NO_CONTROL, actor_of
from core.accounts import audit

Moment = Annotated[datetime, msgspec.Meta(tz=True)]


class AuditQuery(msgspec.Struct, forbid_unknown_fields=True):
    after: Annotated[str, msgspec.Meta(max_length=20, pattern=NO_CONTROL)] | None = None
    limit: Annotated[int, msgspec.Meta(ge=1, le=audit.MAX_PAGE)] = 100
    action: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_CONTROL)] | None = None
    target_type: Annotated[str, msgspec.Meta(max_length=32, pattern=NO_CONTROL)] | None = None
    target_id: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_CONTROL)] | None = None
    since: Moment | None = None  # inclusive, e.g. 2026-12-01T00:00:00+08:00
    until: Moment | None = None  # exclusive


class AuditTrail(msgspec.Struct):
    items: list[audit.AuditEntry]
    next_cursor: str | None


def _audit_trail(call: Call) -> AuditTrail:
    q: AuditQuery = call.query
    page = audit.audit_page(
        call.app,
        actor_of(call),
        after=q.after,
        limit=q.limit,
        action=q.action,
        target_type=q.target_type,
        target_id=q.target_id,
        since=q.since,
        until=q.until,
    )
    return AuditTrail(list(page.entries), page.next_cursor)


OPERATIONS = (
    Operation(
        "GET",
        "/v1/audit",
        "The org's audit trail, newest first (keyset pagination)",
        _audit_trail,
        AuditTrail,
        query=AuditQuery,
        permission="settings.manage",
        tags=("audit",),
    ),
)
