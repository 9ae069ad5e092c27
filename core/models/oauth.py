"""Pending platform authorisations: the OAuth `state` a merchant carries to the platform."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class OAuthState(Base):
    """One started authorisation, bound to org, user, platform and redirect URI.

    Only a keyed hash of the state token is stored, so someone who can read the database
    cannot finish another merchant's authorisation with it. `used_at` makes it single use:
    the callback claims the row with a conditional UPDATE, which only one caller can win.
    """

    __tablename__ = "oauth_states"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    # None for the system actor (the CLI on the host, `orderhub demo`).
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(32))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
