"""RFC 9457 problem+json: the one place where core's errors become HTTP answers.

Each error kind has a stable `type` URI (`TYPE_BASE` + the error's `code`), so clients
branch on `type`, never on the human `detail`. A `ValidationError` names its `field` (and
`row` when it has one). Anything unexpected is a 500 whose body says only that: the
traceback goes to the log, never to the client.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from starlette.responses import Response

from core import errors

log = logging.getLogger("orderhub.api")

TYPE_BASE = "https://orderhub.dev/problems/"
MEDIA_TYPE = "application/problem+json"

#: HTTP status per core error kind; the most specific class wins (checked in MRO order).
STATUS: dict[type[errors.OrderhubError], int] = {
    errors.ValidationError: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.PermissionDenied: 403,
    errors.SecondFactorRequired: 401,
    errors.AccountLocked: 423,
    errors.AuthenticationFailed: 401,
    errors.NotSupported: 501,
    errors.DeviceNotFound: 503,
    errors.ExternalError: 502,
    errors.ConfigurationError: 500,
    errors.PluginError: 500,
}

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    422: "Invalid input",
    423: "Account locked",
    429: "Too many requests",
    500: "Internal error",
    501: "Not supported",
    502: "Upstream failure",
    503: "Unavailable",
}

#: Detail keys of core errors that are safe and useful to clients.
_EXPOSED = ("field", "row", "permission", "locked_until", "retryable")


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response; `extra` become extension members (e.g. `field`)."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(
        msgspec.json.encode(body), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def status_of(error: errors.OrderhubError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return error.http_status


def from_core(error: errors.OrderhubError) -> Response:
    """The answer for a core error: its status, its stable type, the field it names."""
    status = status_of(error)
    if status >= 500 and not isinstance(error, errors.ExternalError):
        log.error("server-side failure: %s", error, exc_info=error)
    extra = {k: _plain(error.details[k]) for k in _EXPOSED if k in error.details}
    if isinstance(error, errors.ExternalError):
        extra["retryable"] = error.retryable
    return problem(status, error.code, error.message, **extra)


def unexpected(error: BaseException) -> Response:
    """A bug: log the traceback, tell the client nothing about the internals."""
    log.error("unhandled error in the API", exc_info=error)
    return problem(500, "internal_error", "an internal error occurred; it has been logged")


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
