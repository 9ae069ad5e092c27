"""Merchant authorisation (pinduoduo.md §2): the consent page URL and the token calls.

The code flow is standard OAuth2, but the exchange goes through the signed gateway
(`pdd.pop.auth.token.create` / `.refresh`) rather than a token endpoint. The shop a
grant belongs to is `owner_id`, the identity core binds a Shop to.

Lifetimes are not documented, and the answer carries both `expires_in` (seconds) and
`expires_at` (Unix seconds); we take the earlier of the two so that a skewed clock on
either side can only make orderhub refresh early, never late.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from core.contracts import TokenGrant
from core.errors import AuthenticationFailed, ExternalError, OrderhubError, ValidationError
from plugins.platforms.pinduoduo.errors import TokenExpired
from plugins.platforms.pinduoduo.transport import GatewayTransport

CREATE = "pdd.pop.auth.token.create"
REFRESH = "pdd.pop.auth.token.refresh"


def authorize_url(auth_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The web consent page: `<auth_url>?response_type=code&client_id=…&redirect_uri=…
    &state=…&view=web` (the sandbox serves the same path when `auth_url` points at it)."""
    for name, value in (("redirect_uri", redirect_uri), ("state", state)):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{name} must not be empty", field=name)
    if not redirect_uri.startswith(("https://", "http://")):
        raise ValidationError(
            f"redirect_uri must be an http(s) URL, not {redirect_uri!r}", field="redirect_uri"
        )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "view": "web",
        }
    )
    return f"{auth_url}{'&' if '?' in auth_url else '?'}{query}"


def grant_from_payload(body: Mapping[str, Any], now: datetime) -> TokenGrant:
    """A token answer → `TokenGrant` (owner_id → shop_id, owner_name → shop_name)."""
    access_token = body.get("access_token")
    owner_id = body.get("owner_id")
    if not isinstance(access_token, str) or not access_token:
        raise _malformed("has no access_token")
    if isinstance(owner_id, bool) or not isinstance(owner_id, str | int) or owner_id == "":
        raise _malformed("has no owner_id (the shop id)")
    expires_at = earliest(now, body.get("expires_in"), body.get("expires_at"))
    if expires_at is None:
        raise _malformed("says neither expires_in nor expires_at")
    scope = body.get("scope") or []
    return TokenGrant(
        access_token=access_token,
        refresh_token=str(body.get("refresh_token") or ""),
        expires_at=expires_at,
        shop_id=str(owner_id),
        shop_name=str(body.get("owner_name") or ""),
        refresh_expires_at=earliest(
            now, body.get("refresh_token_expires_in"), body.get("refresh_token_expires_at")
        ),
        scopes=tuple(str(s) for s in scope) if isinstance(scope, list) else (),
    )


def earliest(now: datetime, expires_in: object, expires_at: object) -> datetime | None:
    """The earlier of `now + expires_in` and `expires_at` (Unix seconds); either may lack."""
    candidates = []
    seconds = _number(expires_in)
    if seconds is not None:
        candidates.append(now + timedelta(seconds=seconds))
    stamp = _number(expires_at)
    if stamp is not None and stamp > 0:
        candidates.append(datetime.fromtimestamp(stamp, UTC))
    return min(candidates) if candidates else None


def create_token(transport: GatewayTransport, code: str, now: datetime) -> TokenGrant:
    """Exchange an authorisation code; a refused code raises `AuthenticationFailed`."""
    if not isinstance(code, str) or not code.strip():
        raise AuthenticationFailed("the authorisation code is empty; authorise again")
    return grant_from_payload(_token_call(transport, CREATE, {"code": code.strip()}), now)


def refresh_token(transport: GatewayTransport, token: str, now: datetime) -> TokenGrant:
    """A new grant from a refresh token; a refused one raises `AuthenticationFailed`."""
    if not isinstance(token, str) or not token.strip():
        raise AuthenticationFailed(
            "the shop has no refresh token; the merchant must authorise it again"
        )
    return grant_from_payload(_token_call(transport, REFRESH, {"refresh_token": token}), now)


def _token_call(transport: GatewayTransport, api: str, params: dict[str, str]) -> Mapping[str, Any]:
    """Token calls carry no access token. A business refusal (bad/used/expired code or
    refresh token) means the merchant must authorise again; configuration errors (wrong
    secret, offline app) and retryable failures keep their own type."""
    try:
        return transport.call(api, params)
    except TokenExpired as exc:  # never ask the engine to refresh in order to refresh
        raise _reauthorise(exc) from None
    except ExternalError as exc:
        if exc.retryable or exc.details.get("kind") == "configuration":
            raise
        raise _reauthorise(exc) from None


def _reauthorise(exc: OrderhubError) -> AuthenticationFailed:
    return AuthenticationFailed(
        f"{exc.message}; the merchant must authorise the shop again", **exc.details
    )


def _malformed(problem: str) -> ExternalError:
    return ExternalError(f"Pinduoduo token answer {problem}", retryable=False)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        return None
