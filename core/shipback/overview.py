"""The counts a shipping desk starts from: packages ready to confirm, and the outbox's
failures by class.

- `ready_counts` (order.view): the org's packages that `confirm.confirm_ready` would take,
  `verified` ones and `printed` ones, and whether the org ships verified packages only
  (`policy`), so a front end offers the confirmation that will work;
- `failure_classes` (order.view): the rows a person has to look at — held and
  needs_person — counted by state and failure class (`classify`), plus the rows waiting
  to be retried after a transient failure, so the many rows of one cause read as one line.

Both are a grouped count over one indexed table each; nothing changes here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.models import Package, ShipmentOutbox
from core.shipback import policy

#: Outbox states a person acts on, then the retried ones (state pending with a class).
ATTENTION = ("held", "needs_person")


@dataclass(frozen=True)
class ReadyCounts:
    verified: int
    printed: int  # printed, not yet verified
    require_verification: bool

    @property
    def confirmable(self) -> int:
        """What "confirm every ready package" would confirm under the org's setting."""
        return self.verified if self.require_verification else self.verified + self.printed


@dataclass(frozen=True)
class FailureClass:
    state: str  # held | needs_person | pending (a transient failure, retried by itself)
    error_class: str  # refund | closed | invalid | not_found | blocked | transient …
    count: int


def ready_counts(app: App, actor: Actor) -> ReadyCounts:
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        counts = dict(
            session.execute(
                select(Package.status, func.count())
                .where(Package.org_id == actor.org_id, Package.status.in_(("verified", "printed")))
                .group_by(Package.status)
            ).all()
        )
        required = policy.verification_required(app, session, actor.org_id)
    return ReadyCounts(counts.get("verified", 0), counts.get("printed", 0), required)


def failure_classes(app: App, actor: Actor) -> list[FailureClass]:
    """Held and needs_person rows by class, then pending rows that failed before; the
    most rows first."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        rows = session.execute(
            select(ShipmentOutbox.state, ShipmentOutbox.last_error_class, func.count())
            .where(
                ShipmentOutbox.org_id == actor.org_id,
                ShipmentOutbox.state.in_((*ATTENTION, "pending")),
                ShipmentOutbox.last_error_class != "",
            )
            .group_by(ShipmentOutbox.state, ShipmentOutbox.last_error_class)
        ).all()
    found = [FailureClass(state, error_class, count) for state, error_class, count in rows]
    return sorted(found, key=lambda f: (f.state not in ATTENTION, -f.count, f.error_class))
