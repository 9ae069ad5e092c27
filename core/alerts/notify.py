"""Sending notifications through the notifier plugins: the core side of `Notifier`.

`notify(app, notification)` sends through every notifier named in
`settings.plugins.notifiers` (default `("log",)`: the built-in notifier that writes to the
log, and to the alerts table without the code — how one-time codes reach people in a fresh
install). A notifier's error may repeat the message: the notification's secret is masked
in what this module logs and stores about failures. Call it
after your transaction has committed: notifiers may write alerts in their own transaction,
and on SQLite a second writer would wait for yours.
"""

from __future__ import annotations

import logging
from types import MappingProxyType
from typing import TYPE_CHECKING

from core.alerts.raising import raise_alert
from core.contracts.notifier import SECRET_MASK, Notification
from core.errors import ConfigurationError, ExternalError, OrderhubError, PluginError

if TYPE_CHECKING:
    from core.app import App

log = logging.getLogger("orderhub.notify")


def notify(
    app: App, notification: Notification, *, notifiers: tuple[str, ...] | None = None
) -> list[str]:
    """Send `notification` through each configured notifier (or those named in
    `notifiers`); return those that delivered. Each notifier gets its `[notifiers.NAME]`
    settings table.

    An unknown notifier name is a `ConfigurationError` (checked before anything is sent).
    One notifier failing does not stop the others; its failure becomes a warning alert.
    If none delivered, the error is raised so the caller can tell the user.
    """
    names = app.settings.plugins.notifiers if notifiers is None else notifiers
    if not names:
        raise ConfigurationError("plugins.notifiers is empty: name at least one notifier")
    available = app.plugins.notifiers()
    unknown = [name for name in names if name not in available]
    if unknown:
        known = ", ".join(sorted(available)) or "none (is the log notifier plugin disabled?)"
        raise ConfigurationError(
            f"plugins.notifiers names unknown notifier {unknown[0]!r}; known: {known}"
        )
    delivered: list[str] = []
    errors: list[tuple[str, OrderhubError]] = []
    for name in names:
        try:
            options = MappingProxyType(dict(app.settings.notifier_settings(name)))
            notifier = available[name](options, app.plugins.services)
            notifier.send(notification)
        except Exception as exc:  # third-party code: any failure is that notifier's
            errors.append((name, _without_secret(_as_error(name, exc), notification)))
            log.error(
                "notifier %r failed to send a %s notification: %s",
                name,
                notification.kind,
                _masked(str(exc), notification),
            )
        else:
            delivered.append(name)
    summary = _masked(
        "; ".join(f"notifier {name!r}: {error}" for name, error in errors), notification
    )
    if errors and delivered:
        raise_alert(app, notification.org_id, "notifier.failed", "warning", summary)
    if not delivered:
        if len(errors) == 1:
            raise errors[0][1]
        raise ExternalError(
            f"no notifier could send the {notification.kind} notification: {summary}",
            retryable=all(getattr(error, "retryable", False) for _, error in errors),
        )
    return delivered


def _masked(text: str, notification: Notification) -> str:
    secret = notification.secret
    return text.replace(secret, SECRET_MASK) if secret else text


def _without_secret(error: OrderhubError, notification: Notification) -> OrderhubError:
    """The error, its message masked: it reaches the caller, who may show it to anyone."""
    masked = _masked(error.message, notification)
    if masked != error.message:
        error.message = masked
        error.args = (masked,)
    return error


def _as_error(name: str, exc: Exception) -> OrderhubError:
    """Keep typed errors; wrap anything else as the notifier plugin's fault."""
    if isinstance(exc, OrderhubError):
        return exc
    return PluginError(f"notifier {name!r} failed: {type(exc).__name__}: {exc}", plugin=name)
