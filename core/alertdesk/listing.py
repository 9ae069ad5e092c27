"""Listing and acknowledging alerts (`orderhub alerts list|ack`, the HTTP API's
`alerts_page` and `ack_alert`), and counting open ones.

An alert is open until someone acknowledges it (`acked_at`, `acked_by`); acknowledging
is audited (`alert.ack`, one event per alert, so each alert's trail says who and when)
and never deletes anything. Who sees and acknowledges what: `core.alertdesk.access`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from core import clock
from core.accounts import audit
from core.actor import Actor
from core.alertdesk.access import Access
from core.alerts.raising import KIND_MAX, SEVERITIES
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import Alert, User

MAX_LISTED = 1000
MAX_ACK_IDS = 1000


@dataclass(frozen=True)
class AlertView:
    """One alert as people see it; `acked_by` is the acknowledging user's name."""

    id: int
    org_id: int | None
    kind: str
    severity: str
    message: str
    created_at: datetime
    acked_at: datetime | None = None
    acked_by: str | None = None

    @property
    def installation_wide(self) -> bool:
        return self.org_id is None


@dataclass(frozen=True)
class AckResult:
    """`acked`: alerts this call acknowledged; `already`: ids that were acknowledged before
    (left as they were, so a repeated command changes nothing)."""

    acked: tuple[AlertView, ...]
    already: tuple[int, ...] = ()


def list_alerts(
    app: App,
    actor: Actor,
    *,
    include_acked: bool = False,
    severity: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AlertView]:
    """The alerts the actor may see, newest first: open ones unless `include_acked`;
    `severity` keeps that severity and higher; `kind` is exact, or a prefix when it ends
    with `*` (`order.*`); `since` (aware) keeps those raised at or after it."""
    if not 1 <= limit <= MAX_LISTED:
        raise ValidationError(f"limit must be 1 to {MAX_LISTED}", field="limit")
    with app.tx() as session:
        access = Access(session, actor)
        stmt = select(Alert, User.username).outerjoin(User, User.id == Alert.acked_by)
        stmt = stmt.where(access.visible())
        if not include_acked:
            stmt = stmt.where(Alert.acked_at.is_(None))
        if severity is not None:
            stmt = stmt.where(Alert.severity.in_(at_least(severity)))
        if kind:
            stmt = stmt.where(_kind_matches(kind))
        if since is not None:
            stmt = stmt.where(Alert.created_at >= _aware(since, "since"))
        stmt = stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
        return [_view(alert, name) for alert, name in session.execute(stmt)]


ALERT_STATES = ("open", "acked", "all")


@dataclass(frozen=True)
class AlertPage:
    """One page of alerts, newest first; `next_cursor` continues it (None: the end)."""

    items: list[AlertView]
    next_cursor: str | None


def alerts_page(
    app: App,
    actor: Actor,
    *,
    state: str = "open",
    severity: str | None = None,
    kind: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> AlertPage:
    """The alerts the actor may see a page at a time (the HTTP API's list), newest first:
    `state` open (not acknowledged), acked or all; `severity` and `kind` as in
    `list_alerts`. Keyset paging on the alert id: `after` is the previous page's
    `next_cursor`, so a page never repeats or skips an alert raised meanwhile."""
    if state not in ALERT_STATES:
        raise ValidationError(
            f"state must be one of {', '.join(ALERT_STATES)}, not {state!r}", field="state"
        )
    if isinstance(limit, bool) or not 1 <= limit <= MAX_LISTED:
        raise ValidationError(f"limit must be 1 to {MAX_LISTED}", field="limit")
    before = _cursor_id(after)
    with app.tx() as session:
        access = Access(session, actor)
        stmt = select(Alert, User.username).outerjoin(User, User.id == Alert.acked_by)
        stmt = stmt.where(access.visible())
        if state == "open":
            stmt = stmt.where(Alert.acked_at.is_(None))
        elif state == "acked":
            stmt = stmt.where(Alert.acked_at.is_not(None))
        if severity is not None:
            stmt = stmt.where(Alert.severity.in_(at_least(severity)))
        if kind:
            stmt = stmt.where(_kind_matches(kind))
        if before is not None:
            stmt = stmt.where(Alert.id < before)
        stmt = stmt.order_by(Alert.id.desc()).limit(limit + 1)
        rows = [_view(alert, name) for alert, name in session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return AlertPage(rows, str(rows[-1].id) if more else None)


def ack_alert(app: App, actor: Actor, alert_id: int) -> AlertView:
    """Acknowledge one alert (`ack_alerts` for one id) and return it as it is now; one
    acknowledged before is returned unchanged (who acknowledged it, and when)."""
    ack_alerts(app, actor, [alert_id])
    with app.tx() as session:
        access = Access(session, actor)
        found = session.execute(
            select(Alert, User.username)
            .outerjoin(User, User.id == Alert.acked_by)
            .where(Alert.id == alert_id, access.visible())
        ).first()
        if found is None:
            raise NotFound(f"no alert {alert_id}", id=alert_id)
        return _view(found[0], found[1])


def _cursor_id(after: str | None) -> int | None:
    if after is None or after == "":
        return None
    text = after.strip()
    # A cursor is a row id: an INTEGER column (32-bit on PostgreSQL, which refuses a
    # larger number outright rather than finding nothing).
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise ValidationError(
            f"after: {after!r} is not a cursor this list gave out; start from the first page",
            field="after",
        )
    return int(text)


def ack_alerts(app: App, actor: Actor, ids: Iterable[int]) -> AckResult:
    """Acknowledge the alerts `ids` (all or none: an id the actor cannot see is NotFound,
    one they may see but not acknowledge is PermissionDenied, and nothing changes)."""
    wanted = sorted(set(ids))
    if not wanted:
        raise ValidationError("name at least one alert id", field="ids")
    if len(wanted) > MAX_ACK_IDS:
        raise ValidationError(f"at most {MAX_ACK_IDS} alert ids at once", field="ids")
    with app.tx() as session:
        access = Access(session, actor)
        access.require_some_ack()
        found = {
            alert.id: alert
            for alert in session.scalars(
                select(Alert).where(Alert.id.in_(wanted), access.visible())
            )
        }
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(f"no alert {missing[0]}", id=missing[0])
        alerts = [found[i] for i in wanted]
        for alert in alerts:
            access.require_ack(alert)
        return _acknowledge(session, actor, alerts)


def ack_kind(app: App, actor: Actor, kind: str) -> AckResult:
    """Acknowledge every open alert of `kind` (exact, or a prefix ending with `*`) that the
    actor may see; all must be ones they may acknowledge, or nothing changes."""
    if not kind or not kind.strip("*"):
        raise ValidationError("name the kind of alerts to acknowledge", field="kind")
    with app.tx() as session:
        access = Access(session, actor)
        access.require_some_ack()
        alerts = list(
            session.scalars(
                select(Alert)
                .where(access.visible(), Alert.acked_at.is_(None), _kind_matches(kind))
                .order_by(Alert.id)
            )
        )
        for alert in alerts:
            access.require_ack(alert)
        return _acknowledge(session, actor, alerts)


def open_counts(connection: Connection) -> dict[str, int]:
    """Open alerts of the whole installation by severity, every severity present (0 when
    none): what `orderhub status` shows. Reads only; needs no actor (the host's operator)."""
    counts = dict.fromkeys(SEVERITIES, 0)
    rows = connection.execute(
        select(Alert.severity, func.count())
        .where(Alert.acked_at.is_(None))
        .group_by(Alert.severity)
    )
    for severity, number in rows:
        counts[severity] = counts.get(severity, 0) + number
    return counts


def at_least(severity: str) -> tuple[str, ...]:
    """The severities at or above `severity`."""
    if severity not in SEVERITIES:
        raise ValidationError(
            f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}",
            field="severity",
        )
    return SEVERITIES[SEVERITIES.index(severity) :]


def _acknowledge(session, actor: Actor, alerts: list[Alert]) -> AckResult:  # type: ignore[no-untyped-def]
    now = clock.now()
    done: list[AlertView] = []
    already: list[int] = []
    targets = []
    for alert in alerts:
        if alert.acked_at is not None:
            already.append(alert.id)
            continue
        alert.acked_at = now
        alert.acked_by = actor.user_id
        targets.append(
            ("alert", alert.id, alert.kind, {"acked_at": None}, {"acked_at": now.isoformat()})
        )
        done.append(_view(alert, None if actor.is_system else actor.label))
    if targets:
        session.flush()
        audit.record_each(session, "alert.ack", targets, actor=actor)
    return AckResult(acked=tuple(done), already=tuple(already))


def _kind_matches(kind: str):  # type: ignore[no-untyped-def]
    kind = kind.strip()
    if len(kind) > KIND_MAX:
        raise ValidationError(f"kind: at most {KIND_MAX} characters", field="kind")
    if kind.endswith("*"):
        return Alert.kind.startswith(kind.rstrip("*"), autoescape=True)
    return Alert.kind == kind


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationError(f"{name} must carry a time zone", field=name)
    return clock.as_utc(value)


def _view(alert: Alert, acked_by: str | None) -> AlertView:
    return AlertView(
        id=alert.id,
        org_id=alert.org_id,
        kind=alert.kind,
        severity=alert.severity,
        message=alert.message,
        created_at=clock.as_utc(alert.created_at),
        acked_at=clock.as_utc(alert.acked_at) if alert.acked_at else None,
        acked_by=acked_by,
    )
