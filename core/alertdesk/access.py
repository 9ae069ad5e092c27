"""Who may see and acknowledge which alerts: the rules, in one place.

- Seeing any alert needs `order.view` (every built-in role has it): alerts are about the
  org's shops and orders, and the warehouse must see "已拦截，请勿发货".
- Alerts of the actor's org are visible to them, except copies of notifications
  (kind `notification.*`: registration and password-reset messages, which name the staff
  member they went to), visible only with `user.manage`.
- Installation-wide alerts (`org_id` NULL: nothing of one org) are visible with
  `settings.manage` — in a self-hosted installation the admins are its operators.
- Acknowledging needs, besides seeing the alert: `order.edit` or `ship.confirm` for the
  org's alerts (who works the orders deals with their alerts; read-only and finance roles
  look only), `user.manage` for notification copies, `settings.manage` for
  installation-wide alerts.

Another org's alert, or one the actor may not see, is "not found": ids do not reveal
what exists elsewhere.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, not_, or_
from sqlalchemy.orm import Session

from core.accounts import authz
from core.actor import Actor
from core.errors import PermissionDenied
from core.models import Alert

VIEW = "order.view"
ACK_ANY_OF = ("order.edit", "ship.confirm")
NOTIFICATION_PREFIX = "notification."
NOTIFICATIONS = "user.manage"
INSTALLATION = "settings.manage"


class Access:
    """What one actor may do with alerts, read once per call from their permissions."""

    def __init__(self, session: Session, actor: Actor) -> None:
        authz.require(session, actor, VIEW)
        self.actor = actor
        self.permissions = authz.permissions_of(session, actor)

    def visible(self) -> ColumnElement[bool]:
        """A condition on `Alert` selecting the alerts the actor may see."""
        own = Alert.org_id == self.actor.org_id
        if NOTIFICATIONS not in self.permissions:
            own = and_(own, not_(Alert.kind.startswith(NOTIFICATION_PREFIX, autoescape=True)))
        installation = Alert.org_id.is_(None) if INSTALLATION in self.permissions else false()
        return or_(own, installation)

    def require_some_ack(self) -> None:
        """Refuse at once an actor who may acknowledge no alert at all (read-only roles)."""
        every = (*ACK_ANY_OF, NOTIFICATIONS, INSTALLATION)
        if not self.permissions & set(every):
            raise PermissionDenied(
                f"{self.actor.label} cannot acknowledge alerts: that needs "
                f"{' or '.join(ACK_ANY_OF)}",
                permission=ACK_ANY_OF[0],
            )

    def require_ack(self, alert: Alert) -> None:
        """Raise PermissionDenied unless the actor may acknowledge this (visible) alert."""
        if alert.org_id is None:
            needed: tuple[str, ...] = (INSTALLATION,)
        elif alert.kind.startswith(NOTIFICATION_PREFIX):
            needed = (NOTIFICATIONS,)
        else:
            needed = ACK_ANY_OF
        if not self.permissions & set(needed):
            raise PermissionDenied(
                f"{self.actor.label} cannot acknowledge alert {alert.id} ({alert.kind}): "
                f"that needs {' or '.join(needed)}",
                permission=needed[0],
            )
