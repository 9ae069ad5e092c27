"""Shops: OAuth binding, sync settings and unbinding, on SQLite and PostgreSQL (tokens:
tests/test_shop_tokens.py).

The platform is the real Pinduoduo client talking to the sandbox gateway over loopback
HTTP. The test plays the merchant's browser: it opens the authorisation URL on the
sandbox's consent page (approving for one demo shop) and reads the code and state from
the redirect, exactly what a browser would carry back to the callback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from core import clock
from core.app import App
from core.config import Settings
from core.contracts import OrderWindow
from core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from core.models import Order, Shop
from core.shops import binding as shops
from core.shops import oauth_state
from core.sync.scheduler import sync_shop
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.shop_rig import (
    REDIRECT,
    actions,
    all_audit_text,
    app_for,
    approve,
    bind,
    owner,
    raw_row,
    real_now,
    stored,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(orders=40, history_days=1.0, rate_limits=False)) as server:
        yield server


@pytest.fixture
def shop_app(settings: Settings, sandbox: SandboxServer) -> Iterator[App]:
    application = app_for(settings, sandbox)
    yield application
    application.close()


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
    from core.accounts import roles

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


def test_a_callback_for_another_platform_is_refused(shop_app, sandbox, acme) -> None:
    """The API's callback names its platform in the path; a state issued for another
    platform is refused there, and is spent."""
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(sandbox))
    with pytest.raises(AuthenticationFailed, match="issued for pinduoduo, not taobao"):
        shops.complete_authorization(shop_app, code, state, platform="taobao")
    with pytest.raises(AuthenticationFailed, match="already used"):
        shops.complete_authorization(shop_app, code, state, platform="pinduoduo")
    assert shops.list_shops(shop_app, acme.admin) == []
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(sandbox))
    bound = shops.complete_authorization(shop_app, code, state, platform="pinduoduo")
    assert bound.platform_shop_id == owner(sandbox)


def test_a_state_expires_after_ten_minutes(shop_app, sandbox, acme, frozen_clock) -> None:
    real_now(frozen_clock)
    start = shops.start_authorization(shop_app, acme.admin, "pinduoduo", REDIRECT)
    assert start.expires_at == clock.now() + timedelta(minutes=10)
    code, state = approve(start.url, owner(sandbox))
    frozen_clock[0] += timedelta(minutes=10, seconds=1)
    with pytest.raises(AuthenticationFailed, match="expired"):
        shops.complete_authorization(shop_app, code, state)
    assert shops.list_shops(shop_app, acme.admin) == []


def test_a_state_never_starts_with_a_dash(shop_app, acme) -> None:
    """A state is typed on command lines (`shop bind --state S`): `-…` reads as an option.

    With 64 URL-safe characters one state in 64 started with "-"; 1000 states would show it.
    """
    with shop_app.tx() as session:
        states = [
            oauth_state.issue(session, shop_app, acme.admin, "pinduoduo", REDIRECT)[0]
            for _ in range(1000)
        ]
    assert not [s for s in states if s.startswith("-")]
    assert len(set(states)) == 1000 and min(len(s) for s in states) >= 43  # >= 256 bits


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
