"""Shops: OAuth binding, tokens, sync settings and unbinding, on SQLite and PostgreSQL.

The platform is the real Pinduoduo client talking to the sandbox gateway over loopback
HTTP. The test plays the merchant's browser: it opens the authorisation URL on the
sandbox's consent page (approving for one demo shop) and reads the code and state from
the redirect, exactly what a browser would carry back to the callback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from sqlalchemy import select, text, update

from core import audit, clock, shops
from core.app import App, open_app
from core.config import Settings, SyncSettings
from core.contracts import OrderWindow
from core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from core.models import Alert, Order, Shop
from core.sync import sync_shop
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer

REDIRECT = "https://hub.example.cn/oauth/pinduoduo/callback"


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(orders=40, history_days=1.0, rate_limits=False)) as server:
        yield server


def app_for(settings: Settings, server: SandboxServer) -> App:
    """An app whose `[platforms.pinduoduo]` points at `server` (configuration alone)."""
    platform = {**server.client_settings(), "connect_timeout": 2, "read_timeout": 10}
    return open_app(
        replace(
            settings,
            platforms={"pinduoduo": platform},
            sync=SyncSettings(initial_days=1, overlap_seconds=60),
        )
    )


@pytest.fixture
def shop_app(settings: Settings, sandbox: SandboxServer) -> Iterator[App]:
    application = app_for(settings, sandbox)
    yield application
    application.close()


def owner(server: SandboxServer, index: int = 0) -> str:
    return server.sandbox.shops[index].owner_id


def approve(url: str, owner_id: str) -> tuple[str, str]:
    """The merchant approves on the consent page; return (code, state) from the redirect."""
    response = httpx.get(f"{url}&{urlencode({'owner_id': owner_id})}", follow_redirects=False)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0], query["state"][0]


def bind(app: App, actor, server: SandboxServer, index: int = 0) -> shops.ShopInfo:
    start = shops.start_authorization(app, actor, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(server, index))
    assert state == start.state
    return shops.complete_authorization(app, code, state)


def stored(app: App, shop_id: int) -> Shop:
    with app.tx() as session:
        return session.get(Shop, shop_id)


def raw_row(app: App, shop_id: int) -> dict:
    with app.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM shops WHERE id = :id"), {"id": shop_id})
        return dict(row.mappings().one())


def all_audit_text(app: App, org_id: int) -> str:
    with app.tx() as session:
        events = audit.events(session, org_id, limit=1000)
        return " ".join(f"{e.action} {e.before} {e.after} {e.detail}" for e in events)


def actions(app: App, org_id: int, action: str) -> list:
    with app.tx() as session:
        return audit.events(session, org_id, action=action, limit=1000)


def real_now(frozen_clock: list) -> datetime:
    """Freeze the test clock at the wall clock, so the sandbox (which follows core's clock)
    and its timestamp check agree with the client."""
    frozen_clock[0] = datetime.now(UTC).replace(microsecond=0)
    return frozen_clock[0]


# ---------------------------------------------------------------- binding


def test_bind_creates_an_active_shop_with_encrypted_tokens(shop_app, sandbox, acme) -> None:
    shop = bind(shop_app, acme.admin, sandbox)

    assert shop.platform == "pinduoduo" and shop.platform_shop_id == owner(sandbox)
    assert shop.name == sandbox.sandbox.shops[0].owner_name
    assert shop.status == "active" and shop.sync_enabled and shop.sync_interval_minutes == 5
    assert not hasattr(shop, "credentials")  # front ends never receive tokens
    row = stored(shop_app, shop.id)
    token, refresh = row.credentials["access_token"], row.credentials["refresh_token"]
    assert token in sandbox.sandbox.auth.tokens  # the sandbox's live token, stored
    assert row.credentials["scopes"] and row.token_expires_at > clock.now()
    assert row.bound_by == acme.admin_id

    # In the raw table only ciphertext: no token, no refresh token, no scope text.
    raw = raw_row(shop_app, shop.id)
    assert str(raw["credentials"]).startswith("aead:")
    dump = " ".join(str(v) for v in raw.values())
    assert token not in dump and refresh not in dump and "pdd.order" not in dump

    (event,) = actions(shop_app, acme.org_id, "shop.bind")
    assert event.actor_label == "boss" and event.target_id == str(shop.id)
    trail = all_audit_text(shop_app, acme.org_id)
    assert token not in trail and refresh not in trail and "scope" not in trail


def test_the_token_works_against_the_gateway(shop_app, sandbox, acme) -> None:
    shop = bind(shop_app, acme.admin, sandbox)
    token = shops.access_token_for(shop_app, shop.id)
    with shops.using_platform(shop_app, "pinduoduo") as platform:
        now = clock.now()
        page = platform.fetch_orders(token, OrderWindow(now - timedelta(minutes=30), now), 1)
    assert page.page == 1
    assert actions(shop_app, acme.org_id, "shop.token_refresh") == []  # fresh: no refresh


def test_binding_needs_shop_bind_at_start_and_at_the_callback(shop_app, sandbox, acme) -> None:
    clerk = acme.staff("clerk", "打单员")  # print operator: no shop.bind
    with pytest.raises(PermissionDenied, match=r"shop\.bind"):
        shops.start_authorization(shop_app, clerk, "pinduoduo", REDIRECT)

    # Permission taken away between the start and the callback: the callback refuses.
    from core import roles

    binder_role = roles.create_role(shop_app, acme.admin, "店铺管理", ("shop.bind",))
    manager = acme.staff("manager", binder_role.name)
    start = shops.start_authorization(shop_app, manager, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(sandbox))
    roles.revoke(shop_app, acme.admin, binder_role.name, "shop.bind")
    with pytest.raises(PermissionDenied, match=r"shop\.bind"):
        shops.complete_authorization(shop_app, code, state)
    assert shops.list_shops(shop_app, acme.admin) == []


def test_unknown_platform_and_bad_redirect_uri_are_named(shop_app, acme) -> None:
    with pytest.raises(ValidationError, match=r"unknown platform 'taobao'.*pinduoduo"):
        shops.start_authorization(shop_app, acme.admin, "taobao", REDIRECT)
    for uri in ("ftp://x/cb", "/relative/cb", "https://hub/cb#frag", "https://h/" + "x" * 600):
        with pytest.raises(ValidationError, match="redirect_uri"):
            shops.start_authorization(shop_app, acme.admin, "pinduoduo", uri)


# ---------------------------------------------------------------- the state


def test_forged_or_altered_state_is_refused(shop_app, sandbox, acme) -> None:
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(sandbox))
    with pytest.raises(AuthenticationFailed, match="unknown to this orderhub"):
        shops.complete_authorization(shop_app, code, state[:-2] + "xy")
    with pytest.raises(AuthenticationFailed, match="missing or malformed"):
        shops.complete_authorization(shop_app, code, "short")
    # The genuine state still works: failed forgeries do not burn it.
    assert shops.complete_authorization(shop_app, code, state).status == "active"


def test_a_state_is_single_use(shop_app, sandbox, acme) -> None:
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(sandbox))
    shops.complete_authorization(shop_app, code, state)
    with pytest.raises(AuthenticationFailed, match="already used"):
        shops.complete_authorization(shop_app, code, state)
    # Even with a fresh code from the platform, the old state stays spent.
    fresh_code, _ = approve(start.url, owner(sandbox))
    with pytest.raises(AuthenticationFailed, match="already used"):
        shops.complete_authorization(shop_app, fresh_code, state)


def test_a_state_expires_after_ten_minutes(shop_app, sandbox, acme, frozen_clock) -> None:
    real_now(frozen_clock)
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    assert start.expires_at == clock.now() + timedelta(minutes=10)
    code, state = approve(start.url, owner(sandbox))
    frozen_clock[0] += timedelta(minutes=10, seconds=1)
    with pytest.raises(AuthenticationFailed, match="expired"):
        shops.complete_authorization(shop_app, code, state)
    assert shops.list_shops(shop_app, acme.admin) == []


def test_a_state_is_stored_only_as_a_keyed_hash(shop_app, acme) -> None:
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    with shop_app.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(text("SELECT * FROM oauth_states")).mappings()]
    assert len(rows) == 1 and rows[0]["redirect_uri"] == REDIRECT
    assert start.state not in " ".join(str(v) for v in rows[0].values())


def test_two_callbacks_racing_with_one_state_bind_once(shop_app, sandbox, acme) -> None:
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(sandbox))
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def callback() -> None:
        barrier.wait()
        try:
            outcomes.append(shops.complete_authorization(shop_app, code, state))
        except AuthenticationFailed as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=callback) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bound = [o for o in outcomes if isinstance(o, shops.ShopInfo)]
    assert len(bound) == 1
    assert all("already used" in str(o) for o in outcomes if o not in bound)


# ---------------------------------------------------------------- re-authorisation and orgs


def test_reauthorisation_keeps_cursor_settings_and_orders(shop_app, sandbox, acme) -> None:
    first = bind(shop_app, acme.admin, sandbox)
    report = sync_shop(shop_app, acme.admin, first.id)
    assert report.status == "ok" and report.seen > 0, report.error
    shops.update_sync_settings(shop_app, acme.admin, first.id, interval_minutes=17)
    with shop_app.tx() as session:  # the platform revoked the grant: the shop needs re-auth
        session.execute(update(Shop).where(Shop.id == first.id).values(status="auth_expired"))
    before = stored(shop_app, first.id)
    assert before.sync_cursor is not None
    with shop_app.tx() as session:
        orders_before = session.scalar(select(Order.id).where(Order.shop_id == first.id))

    again = bind(shop_app, acme.admin, sandbox)

    assert again.id == first.id and again.status == "active"
    assert again.sync_cursor == before.sync_cursor and again.sync_interval_minutes == 17
    after = stored(shop_app, first.id)
    assert after.credentials["access_token"] != before.credentials["access_token"]
    with shop_app.tx() as session:
        assert session.scalar(select(Order.id).where(Order.shop_id == first.id)) == orders_before
    (event,) = actions(shop_app, acme.org_id, "shop.reauthorize")
    assert event.before["status"] == "auth_expired" and event.after["status"] == "active"


def test_a_shop_bound_in_another_org_is_a_conflict_naming_nothing(
    shop_app, sandbox, acme, globex
) -> None:
    mine = bind(shop_app, acme.admin, sandbox)
    with pytest.raises(Conflict) as caught:
        bind(shop_app, globex.admin, sandbox)
    message = str(caught.value)
    assert "another merchant account" in message
    for secret in ("acme", "boss", mine.name, str(mine.id)):
        assert secret not in message
    assert shops.list_shops(shop_app, globex.admin) == []

    shops.unbind_shop(shop_app, acme.admin, mine.id)  # once unbound there, globex may bind
    theirs = bind(shop_app, globex.admin, sandbox)
    assert theirs.org_id == globex.org_id and theirs.id != mine.id


# ---------------------------------------------------------------- tenancy and permissions


def test_another_orgs_shop_is_not_found(shop_app, sandbox, acme, globex) -> None:
    shop = bind(shop_app, acme.admin, sandbox)
    bind(shop_app, globex.admin, sandbox, index=1)
    with pytest.raises(NotFound):
        shops.get_shop(shop_app, globex.admin, shop.id)
    with pytest.raises(NotFound):
        shops.update_sync_settings(shop_app, globex.admin, shop.id, interval_minutes=3)
    with pytest.raises(NotFound):
        shops.unbind_shop(shop_app, globex.admin, shop.id)
    assert [s.platform_shop_id for s in shops.list_shops(shop_app, globex.admin)] == [
        owner(sandbox, 1)
    ]
    assert stored(shop_app, shop.id).status == "active"


def test_reading_and_changing_shops_needs_permissions(shop_app, sandbox, acme) -> None:
    shop = bind(shop_app, acme.admin, sandbox)
    viewer = acme.staff("viewer", "只读")  # order.view only
    nobody = acme.staff("nobody")
    assert [s.id for s in shops.list_shops(shop_app, viewer)] == [shop.id]
    assert shops.get_shop(shop_app, viewer, shop.id).id == shop.id
    with pytest.raises(PermissionDenied):
        shops.list_shops(shop_app, nobody)
    with pytest.raises(PermissionDenied, match=r"shop\.bind"):
        shops.update_sync_settings(shop_app, viewer, shop.id, interval_minutes=3)
    with pytest.raises(PermissionDenied, match=r"shop\.unbind"):
        shops.unbind_shop(shop_app, viewer, shop.id)


def test_sync_settings_are_validated_and_audited(shop_app, sandbox, acme, frozen_clock) -> None:
    now = real_now(frozen_clock)
    shop = bind(shop_app, acme.admin, sandbox)
    for bad in (0, 61, -5, True, 2.5):
        with pytest.raises(ValidationError, match="1 to 60"):
            shops.update_sync_settings(shop_app, acme.admin, shop.id, interval_minutes=bad)
    with shop_app.tx() as session:
        session.execute(
            update(Shop).where(Shop.id == shop.id).values(next_sync_at=now + timedelta(hours=1))
        )
    changed = shops.update_sync_settings(shop_app, acme.admin, shop.id, interval_minutes=2)
    assert changed.sync_interval_minutes == 2
    assert changed.next_sync_at == now + timedelta(minutes=2)  # pulled forward
    off = shops.update_sync_settings(shop_app, acme.admin, shop.id, enabled=False)
    assert not off.sync_enabled
    events = actions(shop_app, acme.org_id, "shop.sync_settings")
    assert [e.after["sync_interval_minutes"] for e in events] == [2, 2]
    assert events[0].after["sync_enabled"] is False


# ---------------------------------------------------------------- unbinding


def test_unbind_wipes_credentials_and_keeps_orders(shop_app, sandbox, acme) -> None:
    shop = bind(shop_app, acme.admin, sandbox)
    assert sync_shop(shop_app, acme.admin, shop.id).status == "ok"
    with shop_app.tx() as session:
        orders = session.scalars(select(Order.id).where(Order.shop_id == shop.id)).all()
    assert orders

    gone = shops.unbind_shop(shop_app, acme.admin, shop.id)

    assert gone.status == "unbound" and not gone.sync_enabled and gone.unbound_at is not None
    raw = raw_row(shop_app, shop.id)
    assert raw["credentials"] is None and raw["token_expires_at"] is None
    with shop_app.tx() as session:
        assert session.scalars(select(Order.id).where(Order.shop_id == shop.id)).all() == orders
    with pytest.raises(Conflict, match="unbound"):
        shops.access_token_for(shop_app, shop.id)
    with pytest.raises(Conflict, match="already unbound"):
        shops.unbind_shop(shop_app, acme.admin, shop.id)
    with pytest.raises(Conflict, match="bind it again"):
        shops.update_sync_settings(shop_app, acme.admin, shop.id, enabled=True)
    (event,) = actions(shop_app, acme.org_id, "shop.unbind")
    assert event.before["status"] == "active" and event.after["status"] == "unbound"

    rebound = bind(shop_app, acme.admin, sandbox)  # binding again resumes the same shop
    assert rebound.id == shop.id and rebound.sync_enabled and rebound.status == "active"
    assert rebound.sync_cursor == gone.sync_cursor


# ---------------------------------------------------------------- tokens


@pytest.fixture
def short_lived(settings: Settings, frozen_clock: list) -> Iterator[tuple[App, SandboxServer]]:
    """A sandbox whose access tokens live 2 minutes (refresh tokens an hour)."""
    real_now(frozen_clock)
    config = SandboxConfig(orders=5, token_ttl=120, refresh_token_ttl=3600, rate_limits=False)
    with SandboxServer(config) as server:
        application = app_for(settings, server)
        yield application, server
        application.close()


def test_a_token_about_to_expire_is_refreshed_first(short_lived, acme, frozen_clock) -> None:
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    first = shops.access_token_for(app, shop.id)
    assert shops.access_token_for(app, shop.id) == first  # 2 minutes left: no refresh yet

    frozen_clock[0] += timedelta(seconds=61)  # within half the lifetime of expiry
    second = shops.access_token_for(app, shop.id)
    assert second != first
    assert server.sandbox.auth.tokens[first].revoked  # the platform rotated it
    assert len(actions(app, acme.org_id, "shop.token_refresh")) == 1

    frozen_clock[0] += timedelta(seconds=200)  # past expiry: still refreshed before use
    third = shops.access_token_for(app, shop.id)
    with shops.using_platform(app, "pinduoduo") as platform:
        now = clock.now()
        platform.fetch_orders(third, OrderWindow(now - timedelta(minutes=30), now), 1)
    assert stored(app, shop.id).token_expires_at == clock.now() + timedelta(seconds=120)


def test_a_refused_refresh_marks_the_shop_and_alerts(short_lived, acme, frozen_clock) -> None:
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    frozen_clock[0] += timedelta(hours=2)  # the refresh token (1 hour) has expired too
    with pytest.raises(AuthenticationFailed, match="authorisation expired") as caught:
        shops.access_token_for(app, shop.id)
    assert caught.value.code == "authentication_failed"  # not "token_expired": no retry loop
    assert stored(app, shop.id).status == "auth_expired"
    with app.tx() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "shop.auth_expired")).all()
    assert len(alerts) == 1 and alerts[0].org_id == acme.org_id
    assert "orderhub shop bind --platform pinduoduo" in alerts[0].message
    with pytest.raises(AuthenticationFailed, match="authorised again"):
        shops.refresh_tokens(app, shop.id)  # no second alert, no platform call
    with app.tx() as session:
        assert session.scalar(select(Alert.id).where(Alert.id != alerts[0].id)) is None
    assert bind(app, acme.admin, server).status == "active"  # re-authorising heals it


def test_a_refresh_the_platform_rejects_is_auth_expired(short_lived, acme) -> None:
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    with app.tx() as session:  # the grant was revoked on the platform's side
        row = session.get(Shop, shop.id)
        row.credentials = {**row.credentials, "refresh_token": "revoked-elsewhere"}
        token = row.credentials["access_token"]
    # Just bound: a plain refresh counts that as "someone else just refreshed" and skips.
    assert shops.refresh_tokens(app, shop.id).credentials["access_token"] == token
    with pytest.raises(AuthenticationFailed, match="refused to refresh"):
        shops.refresh_tokens(app, shop.id, stale_token=token)
    assert stored(app, shop.id).status == "auth_expired"


def test_a_refresh_skips_when_another_worker_just_refreshed(short_lived, acme) -> None:
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    old = shops.access_token_for(app, shop.id)
    new = shops.refresh_tokens(app, shop.id, stale_token=old).credentials["access_token"]
    assert new != old
    # A second worker that also saw `old` rejected: the stored token is already newer.
    again = shops.refresh_tokens(app, shop.id, stale_token=old).credentials["access_token"]
    assert again == new
    assert len(actions(app, acme.org_id, "shop.token_refresh")) == 1


def test_concurrent_refreshes_of_one_shop_refresh_once(short_lived, acme, frozen_clock) -> None:
    """Eight workers find the token about to expire at the same moment: one refresh."""
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    frozen_clock[0] += timedelta(seconds=90)
    barrier = threading.Barrier(8)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            tokens.append(shops.access_token_for(app, shop.id))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(tokens)) == 1
    assert len(actions(app, acme.org_id, "shop.token_refresh")) == 1
    assert not server.sandbox.auth.tokens[tokens[0]].revoked
