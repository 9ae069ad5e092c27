"""Who is using the terminal UI: the actor, and the session token when they signed in.

Signing in (`tui.screens.login`) goes through `core.accounts.auth.login`, which issues a
session token that expires after `auth.session_hours`. Before every service call the app
asks `core.accounts.auth.authenticate` whether the token still holds, so an expired or
revoked session ends at the operator's next action. `orderhub tui --as USER` acts as that
user from the host (like the CLI, `core.accounts.actors`): no token, no expiry.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.accounts import actors, auth
from core.actor import Actor
from core.app import App as CoreApp


@dataclass(frozen=True)
class Session:
    actor: Actor
    org_name: str
    token: str | None = None  # the session token of a sign-in; None for `--as` and the host

    def check(self, core: CoreApp) -> None:
        """Raise `AuthenticationFailed` when the signed-in session has expired or was revoked."""
        if self.token is not None:
            auth.authenticate(core, self.token)


def org_name(core: CoreApp, org_id: int) -> str:
    """The name of org `org_id`, to show who is working where."""
    return next((o.name for o in actors.list_orgs(core) if o.id == org_id), str(org_id))


def session_for(core: CoreApp, actor: Actor, token: str | None = None) -> Session:
    return Session(actor, org_name(core, actor.org_id), token)


def sign_in(core: CoreApp, username: str, password: str, code: str | None) -> Session:
    """Check the password (and TOTP code when enrolled) through `core.accounts.auth`."""
    result = auth.login(core, username, password, code or None, source="tui")
    return session_for(core, result.actor, result.session_token.token)


def sign_out(core: CoreApp, session: Session) -> None:
    auth.logout(core, session.actor)
