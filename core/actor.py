"""Who is calling a service. Every service call takes one; checks happen in `core`, not in UIs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A logged-in user, or the local system (CLI on the host, the worker).

    Only ids are held, never permissions: they are read from the database on every
    check, so a role change takes effect on the user's next action without a new login.
    """

    org_id: int
    user_id: int | None
    label: str
    token_id: int | None = None

    @property
    def is_system(self) -> bool:
        """The host's own processes act for an org with every permission (like `manage.py`)."""
        return self.user_id is None

    @classmethod
    def system(cls, org_id: int, label: str = "system") -> Actor:
        return cls(org_id=org_id, user_id=None, label=label)
