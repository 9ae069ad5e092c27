"""The built-in `log` notifier: writes each notification to the `orderhub.notify` logger and
stores it, without its secret, as an alert (kind `notification.<kind>`).

It is the default so a fresh install works without mail or SMS: an operator reads
registration and password-reset codes from the log (the console of the process that sent
them) and passes them on. The alerts table, which others can read and which backups copy,
gets `Notification.redacted_body` only: a code is never stored in clear. A notification
that forwards alerts (`Notification.alerts`) is only logged: the alerts are stored already.
It registers through the `orderhub` entry point like any third-party plugin.
"""

from __future__ import annotations

import logging

from core.contracts.notifier import Notification, Notifier
from core.errors import ConfigurationError
from core.hookspecs import hookimpl

log = logging.getLogger("orderhub.notify")


class LogNotifier(Notifier):
    """Log + alert without the secret. Only operators see the message: no direct delivery."""

    name = "log"
    SUPPORTS_DIRECT_DELIVERY = False

    def send(self, notification: Notification) -> None:
        """Log first (survives a database failure), then store the alert."""
        log.info(
            "%s notification for %s (org %s): %s\n%s",
            notification.kind,
            notification.recipient,
            notification.org_id if notification.org_id is not None else "-",
            notification.subject,
            notification.body,
        )
        if notification.alerts:
            return  # a forwarded alert: it is stored already, a copy would only repeat it
        if self.services is None:
            raise ConfigurationError(
                "the log notifier needs core services to store its alert; "
                "send through core.alerts.notify.notify(app, notification)"
            )
        message = f"To {notification.recipient}: {notification.subject}\n"
        message += notification.redacted_body
        if notification.secret:
            message += "\n(the code itself is only in the orderhub.notify log)"
        self.services.raise_alert(
            notification.org_id, f"notification.{notification.kind}", "info", message
        )


@hookimpl
def register_notifiers() -> list[type[Notifier]]:
    return [LogNotifier]
