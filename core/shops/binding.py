"""Shops: binding a platform shop through OAuth, its sync settings, unbinding.

Every service takes the `App` and an `Actor` and checks permission and org here, in core,
so the CLI, the API and the TUI cannot forget to. The exceptions are the OAuth callback
(`complete_authorization`: the single-use state names the actor, whose permission is
checked again) and the token functions the sync engine calls, `access_token_for` and
`refresh_tokens` (defined in `core.shops.tokens`, re-exported here with `platform_for`).

Permissions: binding and re-authorising need `shop.bind`, unbinding `shop.unbind`;
reading shops needs `order.view` or `shop.bind`; changing a shop's sync schedule needs
`shop.bind` — the schedule belongs to the binding (whoever may connect a shop may say how
often it syncs), while `settings.manage` is for installation-wide settings.

Tokens live only in `Shop.credentials` (encrypted at rest); services hand front ends a
`ShopInfo`, which has no credentials, and audit events never carry tokens or scopes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.platform import TokenGrant
from core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from core.models import Shop
from core.shops import oauth_state
from core.shops.tokens import (
    access_token_for,
    platform_for,
    refresh_tokens,
    store_grant,
    using_platform,
)

SHOP_STATUSES = ("active", "auth_expired", "unbound")
INTERVAL_RANGE = (1, 60)
NAME_MAX = 100


@dataclass(frozen=True)
class ShopInfo:
    """A shop as front ends see it: everything but the credentials."""

    id: int
    org_id: int
    platform: str
    platform_shop_id: str
    name: str
    status: str
    token_expires_at: datetime | None
    refresh_expires_at: datetime | None
    sync_enabled: bool
    sync_interval_minutes: int
    sync_cursor: datetime | None
    next_sync_at: datetime | None
    consecutive_failures: int
    bound_at: datetime
    unbound_at: datetime | None

    @classmethod
    def of(cls, shop: Shop) -> ShopInfo:
        return cls(
            id=shop.id,
            org_id=shop.org_id,
            platform=shop.platform,
            platform_shop_id=shop.platform_shop_id,
            name=shop.name,
            status=shop.status,
            token_expires_at=shop.token_expires_at,
            refresh_expires_at=shop.refresh_expires_at,
            sync_enabled=shop.sync_enabled,
            sync_interval_minutes=shop.sync_interval_minutes,
            sync_cursor=shop.sync_cursor,
            next_sync_at=shop.next_sync_at,
            consecutive_failures=shop.consecutive_failures,
            bound_at=shop.bound_at,
            unbound_at=shop.unbound_at,
        )


@dataclass(frozen=True)
class AuthorizationStart:
    """Where to send the merchant (`url`), and the state that comes back with the code."""

    url: str
    state: str
    expires_at: datetime


# ---------------------------------------------------------------- binding (OAuth)


def start_authorization(
    app: App, actor: Actor, platform: str, redirect_uri: str
) -> AuthorizationStart:
    """Begin binding a shop: a single-use state (10 minutes) and the platform's URL.

    The merchant opens `url`, approves, and the platform redirects to `redirect_uri` with
    a code and the state; pass both to `complete_authorization`.
    """
    redirect_uri = oauth_state.check_redirect_uri(redirect_uri)
    with app.tx() as session:
        authz.require(session, actor, "shop.bind")
        with using_platform(app, platform) as plugin:
            state, expires_at = oauth_state.issue(session, app, actor, platform, redirect_uri)
            url = plugin.authorize_url(redirect_uri, state)
    return AuthorizationStart(url=url, state=state, expires_at=expires_at)


def complete_authorization(
    app: App, code: str, state: str, *, platform: str | None = None
) -> ShopInfo:
    """Finish binding: check the state, exchange the code, bind or re-authorise the shop.

    The state is claimed (and committed as used) before the code is exchanged; with
    `platform` (the platform a callback URL names) a state issued for another platform is
    refused, used up all the same. The shop
    is identified by (org, platform, platform shop id): a new one is created; a known one
    gets its new tokens and becomes active again, keeping its cursor and settings. The
    same platform shop bound in another org is a `Conflict` that names nothing of it.
    """
    if not (code or "").strip():
        raise ValidationError("the authorisation code is empty", field="code")
    with app.tx() as session:
        pending = oauth_state.claim(session, app, state)
    if platform is not None and platform != pending.platform:
        raise AuthenticationFailed(
            f"this authorisation link was issued for {pending.platform}, not {platform}; "
            + oauth_state.RESTART
        )
    actor = pending.actor
    with app.tx() as session:  # permission may have been revoked in the last 10 minutes
        authz.require(session, actor, "shop.bind")
    with using_platform(app, pending.platform) as plugin:
        grant = plugin.exchange_code(code.strip(), pending.redirect_uri)
    try:
        with app.tx() as session:
            shop = _bind(session, actor, pending.platform, grant, default_interval(app))
            return ShopInfo.of(shop)
    except IntegrityError as exc:  # the same shop bound twice at the same instant
        raise Conflict(
            "this shop was being bound at the same moment by another request; "
            "check `orderhub shop list` and try again if it is missing"
        ) from exc


def _bind(session: Session, actor: Actor, platform: str, grant: TokenGrant, interval: int) -> Shop:
    _serialize_binding(session, platform, grant.shop_id)
    elsewhere = session.scalars(
        select(Shop.id).where(
            Shop.platform == platform,
            Shop.platform_shop_id == grant.shop_id,
            Shop.org_id != actor.org_id,
            Shop.status != "unbound",
        )
    ).first()
    if elsewhere is not None:
        raise Conflict(
            f"this {platform} shop is already bound to another merchant account on this "
            "orderhub; it must be unbound there before it can be bound here"
        )
    shop = session.scalars(
        select(Shop).where(
            Shop.org_id == actor.org_id,
            Shop.platform == platform,
            Shop.platform_shop_id == grant.shop_id,
        )
    ).one_or_none()
    now = clock.now()
    if shop is None:
        shop = Shop(
            org_id=actor.org_id,
            platform=platform,
            platform_shop_id=grant.shop_id,
            name=shop_name(platform, grant),
            status="active",
            sync_enabled=True,
            sync_interval_minutes=interval,
            next_sync_at=now,
            bound_by=actor.user_id,
            bound_at=now,
        )
        store_grant(shop, grant)
        session.add(shop)
        session.flush()
        audit.record(
            session,
            "shop.bind",
            actor=actor,
            target_type="shop",
            target_id=shop.id,
            after=_audit_view(shop),
        )
        return shop
    before = _audit_view(shop)
    was_unbound = shop.status == "unbound"
    shop.name = shop_name(platform, grant)
    shop.status = "active"
    shop.consecutive_failures = 0
    shop.next_sync_at = now
    shop.unbound_at = None
    if was_unbound:  # unbinding switched sync off; binding again switches it back on
        shop.sync_enabled = True
        shop.bound_by = actor.user_id
        shop.bound_at = now
    store_grant(shop, grant)
    session.flush()
    audit.record(
        session,
        "shop.bind" if was_unbound else "shop.reauthorize",
        actor=actor,
        target_type="shop",
        target_id=shop.id,
        before=before,
        after=_audit_view(shop),
        detail="bound again after unbinding" if was_unbound else "",
    )
    return shop


def _serialize_binding(session: Session, platform: str, platform_shop_id: str) -> None:
    """Make concurrent bindings of one platform shop take turns, so the "bound in another
    org" check cannot be raced. PostgreSQL: a transaction-scoped advisory lock on the shop
    identity. SQLite: a write statement that matches nothing, which takes the database's
    single write lock first, before anything is read."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        digest = hashlib.sha256(f"shop-bind:{platform}:{platform_shop_id}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    elif dialect == "sqlite":
        session.execute(text("UPDATE shops SET id = id WHERE 1 = 0"))


def default_interval(app: App) -> int:
    """The installation's default sync interval (`[sync] interval_minutes`), kept in range."""
    low, high = INTERVAL_RANGE
    return min(high, max(low, int(app.settings.sync.interval_minutes)))


def shop_name(platform: str, grant: TokenGrant) -> str:
    name = (grant.shop_name or "").strip() or f"{platform} {grant.shop_id}"
    return name[:NAME_MAX]


def _audit_view(shop: Shop) -> dict[str, object]:
    """What audit events say about a shop: never tokens, never scopes."""
    return {
        "platform": shop.platform,
        "platform_shop_id": shop.platform_shop_id,
        "name": shop.name,
        "status": shop.status,
        "sync_enabled": shop.sync_enabled,
        "sync_interval_minutes": shop.sync_interval_minutes,
    }


# ---------------------------------------------------------------- reading and settings


def _require_any(session: Session, actor: Actor, *permissions: str) -> None:
    held = authz.permissions_of(session, actor)
    if not held.intersection(permissions):
        raise PermissionDenied(
            f"{actor.label} lacks permission {' or '.join(permissions)}",
            permission=permissions[0],
        )


def _shop_in_org(session: Session, actor: Actor, shop_id: int, *, lock: bool = False) -> Shop:
    """The shop if it belongs to the actor's org; another org's shop is simply not found."""
    shop = session.get(Shop, shop_id, with_for_update=lock)
    if shop is None or shop.org_id != actor.org_id:
        raise NotFound(f"no shop with id {shop_id}")
    return shop


def list_shops(app: App, actor: Actor, *, include_unbound: bool = True) -> list[ShopInfo]:
    """The org's shops, oldest first (needs `order.view` or `shop.bind`)."""
    with app.tx() as session:
        _require_any(session, actor, "order.view", "shop.bind")
        stmt = select(Shop).where(Shop.org_id == actor.org_id).order_by(Shop.id)
        if not include_unbound:
            stmt = stmt.where(Shop.status != "unbound")
        return [ShopInfo.of(shop) for shop in session.scalars(stmt)]


def get_shop(app: App, actor: Actor, shop_id: int) -> ShopInfo:
    """One shop of the actor's org (needs `order.view` or `shop.bind`)."""
    with app.tx() as session:
        _require_any(session, actor, "order.view", "shop.bind")
        return ShopInfo.of(_shop_in_org(session, actor, shop_id))


def update_sync_settings(
    app: App,
    actor: Actor,
    shop_id: int,
    *,
    interval_minutes: int | None = None,
    enabled: bool | None = None,
) -> ShopInfo:
    """Change how often a shop syncs (1–60 minutes) and whether it syncs (`shop.bind`).

    A shorter interval pulls the next sync forward so it applies now, not after the old
    interval. An unbound shop cannot be switched on: bind it again instead.
    """
    low, high = INTERVAL_RANGE
    if interval_minutes is not None and (
        isinstance(interval_minutes, bool)
        or not isinstance(interval_minutes, int)
        or not low <= interval_minutes <= high
    ):
        raise ValidationError(
            f"sync interval must be a whole number of minutes from {low} to {high}, "
            f"not {interval_minutes!r}",
            field="interval_minutes",
        )
    with app.tx() as session:
        authz.require(session, actor, "shop.bind")
        shop = _shop_in_org(session, actor, shop_id, lock=True)
        before = _audit_view(shop)
        if enabled and shop.status == "unbound":
            raise Conflict(
                f"shop {shop.id} ({shop.name}) is unbound; bind it again to sync it",
                field="enabled",
            )
        now = clock.now()
        if interval_minutes is not None:
            shop.sync_interval_minutes = interval_minutes
            soonest = now + timedelta(minutes=interval_minutes)
            if shop.next_sync_at is None or shop.next_sync_at > soonest:
                shop.next_sync_at = soonest
        if enabled is not None:
            shop.sync_enabled = enabled
            if enabled and shop.next_sync_at is None:
                shop.next_sync_at = now
        after = _audit_view(shop)
        if after != before:
            audit.record(
                session,
                "shop.sync_settings",
                actor=actor,
                target_type="shop",
                target_id=shop.id,
                before=before,
                after=after,
            )
        return ShopInfo.of(shop)


def unbind_shop(app: App, actor: Actor, shop_id: int) -> ShopInfo:
    """Disconnect a shop (`shop.unbind`): credentials wiped, sync off, orders kept.

    The row stays (orders refer to it, and binding the same platform shop again later
    resumes from its cursor). The platform keeps its own grant until it expires or the
    merchant revokes it in the platform's back office; orderhub no longer holds a token.
    """
    with app.tx() as session:
        authz.require(session, actor, "shop.unbind")
        shop = _shop_in_org(session, actor, shop_id, lock=True)
        if shop.status == "unbound":
            raise Conflict(f"shop {shop.id} ({shop.name}) is already unbound")
        before = _audit_view(shop)
        shop.status = "unbound"
        shop.credentials = None
        shop.token_expires_at = None
        shop.refresh_expires_at = None
        shop.sync_enabled = False
        shop.next_sync_at = None
        shop.unbound_at = clock.now()
        session.flush()
        audit.record(
            session,
            "shop.unbind",
            actor=actor,
            target_type="shop",
            target_id=shop.id,
            before=before,
            after=_audit_view(shop),
        )
        return ShopInfo.of(shop)


__all__ = [
    "AuthorizationStart",
    "ShopInfo",
    "access_token_for",
    "complete_authorization",
    "get_shop",
    "list_shops",
    "platform_for",
    "refresh_tokens",
    "start_authorization",
    "unbind_shop",
    "update_sync_settings",
    "using_platform",
]
