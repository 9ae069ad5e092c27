"""`Notifier`: delivers a message to a person — one-time codes, alerts, reports.

Core sends through `core.alerts.notify.notify(app, notification)`, which calls every notifier
listed in `settings.plugins.notifiers` (default: the built-in `log` notifier, which writes
the message to the log, so an operator can pass codes on in a fresh install, and a copy
without the code to the alerts table).

A notification names its secret (a one-time code) apart from its text, so whatever keeps a
copy — an alerts row, a file, a channel others read — stores `redacted_body`, never the code.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

from core.contracts.base import Contract
from core.contracts.types import AlertInfo, required_text
from core.errors import ValidationError

KIND_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")
SECRET_MASK = "******"


@dataclass(frozen=True)
class Notification:
    """One message. `recipient` is an address the notifier understands (e-mail, phone,
    user name); `kind` says what it is ("register", "password_reset", "alert") so a
    notifier or an operator can filter; `org_id` is None for installation-wide messages.
    `body` is the whole message for the recipient; `secret` is the one-time code (or other
    secret) it carries, which must appear in the body and never in the subject. Both are
    kept out of repr; store `redacted_body`, never `body`."""

    recipient: str
    subject: str
    body: str = field(repr=False)
    org_id: int | None = None
    kind: str = "message"
    secret: str = field(default="", repr=False)
    alerts: tuple[AlertInfo, ...] = ()

    def __post_init__(self) -> None:
        required_text(self.recipient, "recipient")
        required_text(self.subject, "subject")
        if not isinstance(self.kind, str) or not KIND_PATTERN.match(self.kind):
            raise ValidationError(
                f"notification kind {self.kind!r}: use 1-40 characters a-z 0-9 _ . -",
                field="kind",
            )
        if not isinstance(self.secret, str):
            raise ValidationError("notification secret must be text", field="secret")
        if self.secret and self.secret not in self.body:
            raise ValidationError(
                "notification secret must appear in its body: the recipient needs it",
                field="secret",
            )
        if self.secret and self.secret in self.subject:
            raise ValidationError(
                "notification subject must not hold its secret: subjects are stored and listed",
                field="subject",
            )

    @property
    def redacted_body(self) -> str:
        """The body with the secret masked: what a notifier may store or show to others."""
        return self.body.replace(self.secret, SECRET_MASK) if self.secret else self.body


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
