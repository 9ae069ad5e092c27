"""Platform plugin instances and a shop's tokens: the part the sync engine calls.

`access_token_for(app, shop_id)` returns a usable access token, refreshing first when it
expires within a margin; `refresh_tokens(app, shop_id)` refreshes now (the sync engine
calls it after the plugin raised its token-expired error, then retries);
`stored_access_token` is what the engine checks when a token it holds was rejected (did
another process refresh it meanwhile?). All are system operations without an actor: the
shop id comes from the engine's own scheduling.

Two workers refreshing one shop at once must not both refresh (a refresh can invalidate
the previous grant). The refresh runs while holding the shop row: `SELECT … FOR UPDATE`
on PostgreSQL; on SQLite the database's write lock (a parallel pass's reader processes
refresh too) and a per-process lock per shop for the threads of one process. After
taking the lock the row is read again, and the refresh is skipped when someone else has
just done it. A refused refresh marks the shop `auth_expired` and raises the
`shop.auth_expired` alert telling the merchant to authorise again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit
from core.alerts.raising import raise_alert
from core.app import App
from core.contracts.platform import SalesPlatform, TokenGrant
from core.db import open_write_transaction
from core.errors import AuthenticationFailed, Conflict, ExternalError, NotFound, ValidationError
from core.models import Shop

#: Refresh when the access token expires within this (or half its lifetime, if shorter).
REFRESH_MARGIN = timedelta(minutes=10)
#: A refresh this recent counts as "someone else just did it" for a plain `refresh_tokens`.
RECENT_REFRESH = timedelta(seconds=30)
ALERT_KIND = "shop.auth_expired"
SYSTEM_LABEL = "system:token-refresh"

_process_locks: dict[tuple[str, int], threading.Lock] = {}
_process_locks_guard = threading.Lock()


def platform_for(app: App, platform_name: str) -> SalesPlatform:
    """An instance of the platform plugin `platform_name`, built with its settings
    (`[platforms.NAME]`) and the core services facade. Unknown names raise a
    `ValidationError` listing the platforms that are loaded."""
    classes = app.plugins.platforms()
    cls = classes.get(platform_name)
    if cls is None:
        known = ", ".join(sorted(classes)) or "none"
        failed = sorted(record.name for record in app.plugins.failed)
        hint = (
            f"; plugins that failed to load: {', '.join(failed)} (see `orderhub plugins`)"
            if failed
            else ""
        )
        raise ValidationError(
            f"unknown platform {platform_name!r}; known platforms: {known}{hint}",
            field="platform",
        )
    return cls(app.settings.platform_settings(platform_name), app.plugins.services)


@contextmanager
def using_platform(app: App, platform_name: str) -> Iterator[SalesPlatform]:
    """`platform_for`, closed afterwards when the plugin holds connections (`close()`)."""
    plugin = platform_for(app, platform_name)
    try:
        yield plugin
    finally:
        close = getattr(plugin, "close", None)
        if callable(close):
            close()


def store_grant(shop: Shop, grant: TokenGrant) -> None:
    """Put a grant's tokens into the encrypted credentials and its expiries on the row.

    A refresh that returns no new refresh token keeps the old one. `issued_at` lets the
    refresh margin scale with the token's lifetime.
    """
    old = shop.credentials or {}
    shop.credentials = {
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token or old.get("refresh_token", ""),
        "scopes": list(grant.scopes),
        "issued_at": clock.now().isoformat(),
    }
    shop.token_expires_at = grant.expires_at
    if grant.refresh_expires_at is not None or grant.refresh_token:
        shop.refresh_expires_at = grant.refresh_expires_at


def refresh_margin(shop: Shop) -> timedelta:
    """`REFRESH_MARGIN`, or half the token's lifetime when that is shorter (short-lived
    tokens would otherwise be refreshed on every call)."""
    issued = (shop.credentials or {}).get("issued_at")
    if issued and shop.token_expires_at is not None:
        lifetime = shop.token_expires_at - clock.as_utc(datetime.fromisoformat(issued))
        if lifetime > timedelta(0):
            return min(REFRESH_MARGIN, lifetime / 2)
    return REFRESH_MARGIN


def access_token_for(app: App, shop_id: int) -> str:
    """A usable access token for the shop, refreshed first if it expires soon.

    Raises `AuthenticationFailed` when the merchant must authorise again, `Conflict` for
    an unbound shop, `NotFound` for an unknown id; a platform outage during a needed
    refresh raises its `ExternalError` and changes nothing.
    """
    with app.tx() as session:
        shop = _usable_shop(session, shop_id)
        token = (shop.credentials or {}).get("access_token", "")
        if token and not _expiring(shop, clock.now()):
            return token
    shop = refresh_tokens(app, shop_id, if_expiring=True)
    return (shop.credentials or {})["access_token"]


def stored_access_token(app: App, shop_id: int) -> str:
    """The shop's access token as stored now, read under the refresh lock, so that a
    refresh in flight elsewhere (another reader process of the same pass) is waited for.
    Raises like `access_token_for` when the shop must be authorised again."""
    with _refresh_lock(app, shop_id), app.tx() as session:
        shop = _locked_shop(session, shop_id)
        _check_usable(shop)
        return (shop.credentials or {})["access_token"]


def refresh_tokens(
    app: App, shop_id: int, *, stale_token: str | None = None, if_expiring: bool = False
) -> Shop:
    """Refresh the shop's tokens through its platform plugin and return the shop.

    Skipped (the stored tokens returned as they are) when, after taking the row lock, the
    stored access token differs from `stale_token` (the one the platform just rejected),
    or with `if_expiring` when it no longer expires soon, or otherwise when it was
    refreshed in the last `RECENT_REFRESH` — each meaning another worker got there first.
    """
    failure: str | None = None
    with _refresh_lock(app, shop_id), app.tx() as session:
        shop = _locked_shop(session, shop_id)
        _check_usable(shop)
        credentials = shop.credentials or {}
        now = clock.now()
        if _someone_refreshed(shop, credentials, now, stale_token, if_expiring):
            return shop
        failure = _refresh_problem(shop, credentials, now)
        if failure is None:
            try:
                with using_platform(app, shop.platform) as plugin:
                    grant = plugin.refresh_token(credentials["refresh_token"])
            except AuthenticationFailed as exc:
                failure = f"the platform refused to refresh the token: {exc}"
            else:
                _apply_refresh(session, shop, grant)
                return shop
        _mark_auth_expired(session, shop, failure)
        org_id, label = shop.org_id, _label(shop)
        platform = shop.platform
    message = (
        f"店铺授权已失效，请重新授权 / shop authorisation expired: {label}: {failure}. "
        f"Authorise it again: `orderhub shop bind --platform {platform}` "
        "(or Settings → Shops → re-authorise)"
    )

    raise_alert(app, org_id, ALERT_KIND, "critical", message)
    raise AuthenticationFailed(message, shop_id=shop_id)


def _locked_shop(session: Session, shop_id: int) -> Shop:
    """The shop row, locked until the transaction ends: `FOR UPDATE` on PostgreSQL, the
    database's write lock on SQLite (the reader processes of a parallel pass are other
    processes, which the in-process lock does not hold back)."""
    open_write_transaction(session)
    shop = session.get(Shop, shop_id, with_for_update=True)
    if shop is None:
        raise NotFound(f"no shop with id {shop_id}")
    return shop


@contextmanager
def _refresh_lock(app: App, shop_id: int) -> Iterator[None]:
    """SQLite has no row locks: serialise refreshes of one shop within this process."""
    if app.engine.dialect.name != "sqlite":
        yield
        return
    key = (str(app.engine.url), shop_id)
    with _process_locks_guard:
        lock = _process_locks.setdefault(key, threading.Lock())
    with lock:
        yield


def _usable_shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise NotFound(f"no shop with id {shop_id}")
    _check_usable(shop)
    return shop


def _check_usable(shop: Shop) -> None:
    if shop.status == "unbound":
        raise Conflict(f"shop {_label(shop)} is unbound; bind it again to use it")
    if shop.status == "auth_expired":
        raise AuthenticationFailed(
            f"shop {_label(shop)} needs to be authorised again "
            f"(`orderhub shop bind --platform {shop.platform}`)",
            shop_id=shop.id,
        )
    if not (shop.credentials or {}).get("access_token"):
        raise AuthenticationFailed(
            f"shop {_label(shop)} has no stored token; authorise it again", shop_id=shop.id
        )


def _expiring(shop: Shop, now: datetime) -> bool:
    expires = shop.token_expires_at
    return expires is None or expires - now <= refresh_margin(shop)


def _someone_refreshed(
    shop: Shop,
    credentials: dict,
    now: datetime,
    stale_token: str | None,
    if_expiring: bool,
) -> bool:
    if stale_token is not None:
        return credentials.get("access_token") != stale_token
    if if_expiring:
        return not _expiring(shop, now)
    issued = credentials.get("issued_at")
    return bool(issued) and now - clock.as_utc(datetime.fromisoformat(issued)) < RECENT_REFRESH


def _refresh_problem(shop: Shop, credentials: dict, now: datetime) -> str | None:
    """Why a refresh cannot even be tried, or None."""
    if not credentials.get("refresh_token"):
        return "no refresh token is stored"
    if shop.refresh_expires_at is not None and shop.refresh_expires_at <= now:
        return f"the refresh token expired at {clock.local_text(shop.refresh_expires_at)}"
    return None


def _apply_refresh(session: Session, shop: Shop, grant: TokenGrant) -> None:
    if grant.shop_id != shop.platform_shop_id:
        raise ExternalError(
            f"the platform answered a token refresh for shop {_label(shop)} with tokens of "
            f"another shop ({grant.shop_id}); nothing was stored",
            retryable=False,
        )
    store_grant(shop, grant)
    session.flush()
    audit.record(
        session,
        "shop.token_refresh",
        org_id=shop.org_id,
        actor_label=SYSTEM_LABEL,
        target_type="shop",
        target_id=shop.id,
        after={"token_expires_at": grant.expires_at.isoformat()},
    )


def _mark_auth_expired(session: Session, shop: Shop, reason: str) -> None:
    shop.status = "auth_expired"
    session.flush()
    audit.record(
        session,
        "shop.auth_expired",
        org_id=shop.org_id,
        actor_label=SYSTEM_LABEL,
        target_type="shop",
        target_id=shop.id,
        before={"status": "active"},
        after={"status": "auth_expired"},
        detail=reason[:500],
    )


def _label(shop: Shop) -> str:
    return f"{shop.id} ({shop.name}, {shop.platform} {shop.platform_shop_id})"
