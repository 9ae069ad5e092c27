"""Pinduoduo's `error_response` → orderhub's typed errors (pinduoduo.md §1.5).

The decision a caller needs is "refresh the token", "ask the merchant to authorise
again", "try again later" or "someone must fix something"; the gateway's code table is
folded into exactly those four outcomes here, in one table, so the transport, OAuth and
the platform class never interpret codes themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import AuthenticationFailed, ExternalError, OrderhubError


class TokenExpired(AuthenticationFailed):
    """The shop's access token has expired (gateway code 10019, "access_token已过期").

    Contract with core's sync engine: it catches `AuthenticationFailed` subclasses whose
    `code` is "token_expired", refreshes the shop's token with `refresh_token()` (or takes
    the one another process refreshed meanwhile) and retries the call, a few tokens at
    most; a refresh that fails, or any other `AuthenticationFailed` with no newer token
    stored, means the merchant must authorise orderhub again.
    """

    code = "token_expired"


#: Expired token: refresh (or take a sibling's refreshed token) and retry.
TOKEN_EXPIRED_CODES = frozenset({10019})
#: Token/app mismatch or revoked grant: the merchant must authorise again.
REAUTHORISE_CODES = frozenset({20032})
#: Throttled, degraded or briefly unavailable: the same call may succeed later.
RETRYABLE_CODES = frozenset({52001, 52002, 52101, 52102, 52103, 70031, 70033})
#: The app's own setup is wrong (client id, secret, IP whitelist, permissions): an operator
#: must fix the configuration; retrying cannot help.
CONFIGURATION_CODES = frozenset({10016, 10017, 10018, 20004, 20005, 20031, 20034, 20035, 30001})

_HINTS: Mapping[int, str] = {
    10016: "check client_id: the app is offline or unknown",
    20004: "check client_secret: the gateway rejected the signature",
    20005: "add this server's IP address to the app's whitelist",
    20031: "the app lacks the permission package for this API",
    52004: "the request is too large; send fewer items per call",
    70036: "the app is in test state and used up its call quota",
}

#: The gateway's text for an order that is unknown or belongs to another shop (FAQ).
ORDER_NOT_FOUND_TEXT = "订单不属于当前店铺或订单不存在"


def error_from_response(
    api: str, error: Mapping[str, Any], *, order_number: str | None = None
) -> OrderhubError:
    """The typed error for one `error_response` body of a call to `api`.

    `order_number` is given when the call was about one order, so the message (what a
    merchant reads in the outbox or sync log) names it. `details` always keep the gateway's
    `error_code`, `sub_code`, `sub_msg` and `request_id` for support.
    """
    code = _int_or_none(error.get("error_code"))
    text = describe(api, error, order_number)
    details = {
        "api": api,
        "error_code": code,
        "sub_code": error.get("sub_code"),
        "sub_msg": str(error.get("sub_msg") or ""),
        "request_id": str(error.get("request_id") or ""),
    }
    if order_number:
        details["order_number"] = order_number
    if code in TOKEN_EXPIRED_CODES:
        return TokenExpired(text, **details)
    if code in REAUTHORISE_CODES:
        return AuthenticationFailed(
            text + "; the merchant must authorise the shop again", **details
        )
    if code in RETRYABLE_CODES:
        return ExternalError(text, retryable=True, **details)
    hint = _HINTS.get(code) if code is not None else None
    if code in CONFIGURATION_CODES:
        details["kind"] = "configuration"
    return ExternalError(text + (f" ({hint})" if hint else ""), retryable=False, **details)


def describe(api: str, error: Mapping[str, Any], order_number: str | None) -> str:
    """E.g. `Pinduoduo pdd.x failed for order 200601-…: 参数错误 — 订单已发货 (error 10000, …)`."""
    about = f" for order {order_number}" if order_number else ""
    message = str(error.get("error_msg") or "").strip() or "no error message"
    sub = str(error.get("sub_msg") or "").strip()
    if sub and sub != message:
        message = f"{message} — {sub}"
    code = error.get("error_code")
    request_id = str(error.get("request_id") or "")
    where = f"error {code}" + (f", request {request_id}" if request_id else "")
    return f"Pinduoduo {api} failed{about}: {message} ({where})"


def is_order_not_found(error: OrderhubError) -> bool:
    """Whether a gateway error says the order is unknown or another shop's."""
    sub = str(error.details.get("sub_msg", ""))
    return ORDER_NOT_FOUND_TEXT in error.message or ORDER_NOT_FOUND_TEXT in sub


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None
