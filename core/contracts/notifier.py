"""`Notifier`: delivers a message to a person — one-time codes, alerts, reports.

Core sends through `core.alerts.notify.notify(app, notification)`, which calls every notifier
listed in `settings.plugins.notifiers` (default: the built-in `log` notifier, which writes
to the log and the alerts table so an operator can pass codes on in a fresh install).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from core.contracts.base import Contract
from core.contracts.types import required_text
from core.errors import ValidationError

KIND_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


@dataclass(frozen=True)
class Notification:
    """One message. `recipient` is an address the notifier understands (e-mail, phone,
    user name); `kind` says what it is ("register", "password_reset", "alert") so a
    notifier or an operator can filter; `org_id` is None for installation-wide messages.
    The body may hold a one-time code, so it is kept out of repr."""

    recipient: str
    subject: str
    body: str = field(repr=False)
    org_id: int | None = None
    kind: str = "message"

    def __post_init__(self) -> None:
        required_text(self.recipient, "recipient")
        required_text(self.subject, "subject")
        if not isinstance(self.kind, str) or not KIND_PATTERN.match(self.kind):
            raise ValidationError(
                f"notification kind {self.kind!r}: use 1-40 characters a-z 0-9 _ . -",
                field="kind",
            )


class Notifier(Contract, ABC):
    """A delivery channel (log, e-mail, SMS, chat webhook)."""

    kind: ClassVar[str] = "notifier"
    #: True when the message reaches the recipient (e-mail, SMS); False when only
    #: operators see it (the `log` notifier), so front ends can tell the user who to ask.
    SUPPORTS_DIRECT_DELIVERY: ClassVar[bool] = False

    @abstractmethod
    def send(self, notification: Notification) -> None:
        """Deliver `notification` or raise: `ExternalError` when the channel failed
        (`retryable` if a later attempt may work), `ConfigurationError` for bad settings."""
