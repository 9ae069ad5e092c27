"""`/v1/shops`: the org's platform shops (never their credentials), binding them through
the platform's OAuth page, their sync settings, unbinding, and "sync now".

Binding is two steps, as with the CLI's `orderhub shop bind --redirect-uri`:
`POST /v1/shops/authorizations` answers the platform's authorisation URL and the single-use
`state` core remembers (10 minutes); the merchant approves on the platform, which
redirects the browser to `GET /v1/oauth/callback/{platform}?code=…&state=…`. That route
is not authenticated — the state proves who started the binding (core re-checks their
`shop.bind`) — and answers JSON: the bound shop, or a problem saying the link is unknown,
expired or used.

"Sync now" (`POST /v1/shops/{shop_id}/sync`) never fetches inside the request: a sync
pass can take minutes (the first one reads days of orders). It makes the shop due at once
(`core.sync.scheduler.request_sync`), and the next free `orderhub worker` takes it under
its lease, as it does every scheduled pass; the answer is 202. The sync log
(`/v1/sync/runs`) shows the pass when it ran.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from api.contract import Call, Operation
from api.paths import NO_NUL, path_id
from core.errors import AuthenticationFailed
from core.shops import binding
from core.shops.binding import ShopInfo
from core.sync import scheduler
from core.sync.scheduler import SyncRequest

CALLBACK = "/v1/oauth/callback/{platform}"

Platform = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z0-9_-]+$")]


class ShopQuery(msgspec.Struct, forbid_unknown_fields=True):
    bound: bool = False  # leave out unbound shops


class ShopList(msgspec.Struct):
    items: list[ShopInfo]
    next_cursor: str | None = None


class AuthorizationRequest(msgspec.Struct, forbid_unknown_fields=True):
    platform: Platform
    # Where the platform sends the browser back; default: this API's own callback,
    # from the request's Host (and X-Forwarded-Proto behind a TLS-terminating proxy).
    redirect_uri: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=NO_NUL)] | None
    ) = None


class Authorization(msgspec.Struct):
    url: str  # send the merchant's browser here
    state: str  # comes back with the code; single use
    expires_at: datetime
    redirect_uri: str


class CallbackQuery(msgspec.Struct):
    # Not forbid_unknown_fields: platforms add their own parameters to the redirect.
    code: Annotated[str, msgspec.Meta(max_length=500)] = ""
    state: Annotated[str, msgspec.Meta(max_length=500)] = ""
    error: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    error_description: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class SyncSettingsChange(msgspec.Struct, forbid_unknown_fields=True):
    sync_interval_minutes: Annotated[int, msgspec.Meta(ge=1, le=60)] | None = None
    sync_enabled: bool | None = None


def _list_shops(call: Call) -> ShopList:
    q: ShopQuery = call.query
    assert call.actor is not None
    return ShopList(binding.list_shops(call.app, call.actor, include_unbound=not q.bound))


def _get_shop(call: Call) -> ShopInfo:
    assert call.actor is not None
    return binding.get_shop(call.app, call.actor, path_id(call, "shop_id"))


def _change_shop(call: Call) -> ShopInfo:
    body: SyncSettingsChange = call.body
    assert call.actor is not None
    return binding.update_sync_settings(
        call.app,
        call.actor,
        path_id(call, "shop_id"),
        interval_minutes=body.sync_interval_minutes,
        enabled=body.sync_enabled,
    )


def _unbind_shop(call: Call) -> ShopInfo:
    assert call.actor is not None
    return binding.unbind_shop(call.app, call.actor, path_id(call, "shop_id"))


def _start_authorization(call: Call) -> Authorization:
    body: AuthorizationRequest = call.body
    assert call.actor is not None
    redirect_uri = body.redirect_uri or _own_callback(call, body.platform)
    start = binding.start_authorization(call.app, call.actor, body.platform, redirect_uri)
    return Authorization(start.url, start.state, start.expires_at, redirect_uri)


def _own_callback(call: Call, platform: str) -> str:
    """This API's callback URL as the client reached it (scheme, host, port)."""
    host = (call.header("host") or "").strip()
    proto = (call.header("x-forwarded-proto") or "http").split(",")[0].strip().lower()
    scheme = proto if proto in ("http", "https") else "http"
    return f"{scheme}://{host}{CALLBACK.format(platform=platform)}"


def _finish_authorization(call: Call) -> ShopInfo:
    q: CallbackQuery = call.query
    if q.error:  # the merchant declined, or the platform refused: nothing to exchange
        reason = q.error_description or q.error
        raise AuthenticationFailed(
            f"the platform did not authorise orderhub: {reason}; start the binding again"
        )
    return binding.complete_authorization(call.app, q.code, q.state, platform=call.path["platform"])


def _request_sync(call: Call) -> SyncRequest:
    assert call.actor is not None
    return scheduler.request_sync(call.app, call.actor, path_id(call, "shop_id"))


OPERATIONS = (
    Operation(
        "GET",
        "/v1/shops",
        "List the org's shops",
        _list_shops,
        ShopList,
        query=ShopQuery,
        permission="order.view or shop.bind",
        tags=("shops",),
    ),
    Operation(
        "POST",
        "/v1/shops/authorizations",
        "Start binding a shop: the platform's authorisation URL and its single-use state",
        _start_authorization,
        Authorization,
        request=AuthorizationRequest,
        permission="shop.bind",
        errors=(502,),
        tags=("shops",),
    ),
    Operation(
        "GET",
        CALLBACK,
        "Finish binding: the platform's redirect with code and state (no bearer token: "
        "the state proves who started it)",
        _finish_authorization,
        ShopInfo,
        query=CallbackQuery,
        authenticated=False,
        permission="shop.bind (of whoever started the binding)",
        errors=(401, 403, 409, 502),
        tags=("shops",),
    ),
    Operation(
        "GET",
        "/v1/shops/{shop_id}",
        "One shop of the org (never its credentials)",
        _get_shop,
        ShopInfo,
        permission="order.view or shop.bind",
        errors=(404,),
        tags=("shops",),
    ),
    Operation(
        "PATCH",
        "/v1/shops/{shop_id}",
        "Change a shop's sync interval (1–60 minutes) or switch its sync on or off",
        _change_shop,
        ShopInfo,
        request=SyncSettingsChange,
        permission="shop.bind",
        errors=(404, 409),
        tags=("shops",),
    ),
    Operation(
        "POST",
        "/v1/shops/{shop_id}/unbind",
        "Unbind a shop: its tokens are wiped and its sync switched off; orders are kept",
        _unbind_shop,
        ShopInfo,
        permission="shop.unbind",
        errors=(404, 409),
        tags=("shops",),
    ),
    Operation(
        "POST",
        "/v1/shops/{shop_id}/sync",
        "Sync now: make the shop due at once for the workers (nothing is fetched in the request)",
        _request_sync,
        SyncRequest,
        permission="order.import or shop.bind",
        status=202,
        errors=(404, 409),
        tags=("shops", "sync"),
    ),
)
