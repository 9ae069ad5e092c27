"""The alert passes together: the "overdue to ship" check, then forwarding new alerts.

The worker (`core.sync.worker`) calls `run_due` at most every minute for the whole
installation; `orderhub alerts run` calls `run_now` for the actor's org (it needs
`settings.manage`: it sends messages on the org's behalf).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.accounts import authz
from core.actor import Actor
from core.alertdesk import forwarding, overdue
from core.app import App
from core.contracts.types import AlertInfo


@dataclass(frozen=True)
class PassReport:
    raised: list[AlertInfo] = field(default_factory=list)
    forwarded: int = 0
    forward_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "raised": [{"id": a.id, "kind": a.kind, "severity": a.severity} for a in self.raised],
            "forwarded": self.forwarded,
            "forward_error": self.forward_error,
        }


def run_due(app: App, *, now: datetime | None = None, org_id: int | None = None) -> PassReport:
    """Check for overdue orders, then forward what is due (every org, or one)."""
    raised = overdue.run(app, now=now, org_id=org_id)
    sent = forwarding.run(app, now=now, org_id=org_id)
    return PassReport(raised, sent.forwarded, sent.error)


def run_now(app: App, actor: Actor) -> PassReport:
    """`run_due` for the actor's org, asked for by a person (`settings.manage`)."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
    return run_due(app, org_id=actor.org_id)
