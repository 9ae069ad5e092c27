"""Typed errors that carry what the user must fix.

Every front end maps these in one place: the HTTP API to problem+json, the TUI to
notifications, the CLI to a message and an exit code. The `code` is stable and machine
readable; the message is for people and names what was wrong and where.
"""

from __future__ import annotations

from typing import Any


class OrderhubError(Exception):
    """Base class: a failure the user can understand and usually fix."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return self.message


class ValidationError(OrderhubError):
    """Input that breaks a rule; `field` (and `row` for files) say where."""

    code = "validation_error"
    http_status = 422


class NotFound(OrderhubError):
    """The object does not exist *for this actor*: also used for other orgs' rows, so no leak."""

    code = "not_found"
    http_status = 404


class Conflict(OrderhubError):
    """The request collides with existing state (duplicate name, wrong state for the action)."""

    code = "conflict"
    http_status = 409


class AuthenticationFailed(OrderhubError):
    """Wrong credentials, unknown user, expired or revoked token."""

    code = "authentication_failed"
    http_status = 401


class AccountLocked(AuthenticationFailed):
    """Too many failed logins; `locked_until` (UTC) says when it opens again."""

    code = "account_locked"
    http_status = 423


class SecondFactorRequired(AuthenticationFailed):
    """Password was right but the account has TOTP and no (or a wrong) code was given."""

    code = "second_factor_required"


class PermissionDenied(OrderhubError):
    """The actor is known but their roles lack the permission named in `permission`."""

    code = "permission_denied"
    http_status = 403


class NotSupported(OrderhubError):
    """A plugin does not offer an optional operation; capability flags say what it offers."""

    code = "not_supported"
    http_status = 501


class ConfigurationError(OrderhubError):
    """Settings are missing or inconsistent (bad database URL, missing key file, …)."""

    code = "configuration_error"
    http_status = 500


class DeviceNotFound(OrderhubError):
    """A printer or other device could not be found; the message names what was looked for."""

    code = "device_not_found"
    http_status = 503


class PluginError(OrderhubError):
    """A plugin failed to load or broke its contract; the message names the plugin."""

    code = "plugin_error"
    http_status = 500


class ExternalError(OrderhubError):
    """A platform, carrier or device failed or did not answer in time.

    `retryable` tells outboxes and print jobs whether the same call may succeed later (rate
    limit, timeout, gateway 5xx) or will fail again until someone fixes something.
    """

    code = "external_error"
    http_status = 502

    def __init__(self, message: str, *, retryable: bool = False, **details: Any) -> None:
        super().__init__(message, **details)
        self.retryable = retryable
