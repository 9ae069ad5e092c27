"""The installation operator's view of orgs: listing them, and acting in one.

Whoever can run `orderhub` on the host can read the database and the key file, so the
command line acts as an org's system actor (like Django's `manage.py`), or with `--as
USER` as one of its users, with that user's permissions. Every act is still checked and
audited by the service it calls. The HTTP API and the TUI sign users in instead
(`core.accounts.auth`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from core.actor import Actor
from core.app import App
from core.errors import NotFound
from core.models import Org, User


@dataclass(frozen=True)
class OrgSummary:
    id: int
    name: str
    status: str
    users: int
    created_at: datetime


def list_orgs(app: App) -> list[OrgSummary]:
    """Every org of the installation with its number of users, oldest first."""
    with app.tx() as session:
        users = dict(session.execute(select(User.org_id, func.count()).group_by(User.org_id)).all())
        orgs = list(session.scalars(select(Org).order_by(Org.id)))
        return [OrgSummary(o.id, o.name, o.status, users.get(o.id, 0), o.created_at) for o in orgs]


def system_actor(app: App, org_name: str | None, label: str) -> Actor:
    """The system actor of the org named `org_name`, or of the only org when it is None."""
    with app.tx() as session:
        orgs = list(session.execute(select(Org.id, Org.name).order_by(Org.id)))
    if org_name:
        match = [o for o in orgs if o.name == org_name]
        if not match:
            raise NotFound(f"no org named {org_name!r}; known: {', '.join(o.name for o in orgs)}")
        org_id = match[0].id
    elif len(orgs) == 1:
        org_id = orgs[0].id
    elif not orgs:
        raise NotFound("no org yet: run `orderhub init` first")
    else:
        raise NotFound(
            "several orgs exist; choose one with --org (" + ", ".join(o.name for o in orgs) + ")"
        )
    return Actor.system(org_id, label=label)


def user_actor(app: App, org_id: int, username: str) -> Actor:
    """User `username` of org `org_id`, acting with their own permissions."""
    with app.tx() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip().lower())
        ).one_or_none()
        if user is None or user.org_id != org_id:
            raise NotFound(f"no user {username!r} in this org")
        return Actor(org_id=user.org_id, user_id=user.id, label=user.username)
