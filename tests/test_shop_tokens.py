"""Shop tokens: refreshed before they expire, once even when workers race, and a refused
refresh marks the shop and raises an alert — against the sandbox gateway, both backends."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.app import App
from core.config import Settings
from core.contracts import OrderWindow
from core.errors import (
    AuthenticationFailed,
)
from core.models import Alert, Shop
from core.shops import binding
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.shop_rig import (
    actions,
    app_for,
    bind,
    real_now,
    stored,
)


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
    first = binding.access_token_for(app, shop.id)
    assert binding.access_token_for(app, shop.id) == first  # 2 minutes left: no refresh yet

    frozen_clock[0] += timedelta(seconds=61)  # within half the lifetime of expiry
    second = binding.access_token_for(app, shop.id)
    assert second != first
    assert server.sandbox.auth.tokens[first].revoked  # the platform rotated it
    assert len(actions(app, acme.org_id, "shop.token_refresh")) == 1

    frozen_clock[0] += timedelta(seconds=200)  # past expiry: still refreshed before use
    third = binding.access_token_for(app, shop.id)
    with binding.using_platform(app, "pinduoduo") as platform:
        now = clock.now()
        platform.fetch_orders(third, OrderWindow(now - timedelta(minutes=30), now), 1)
    assert stored(app, shop.id).token_expires_at == clock.now() + timedelta(seconds=120)


def test_a_refused_refresh_marks_the_shop_and_alerts(short_lived, acme, frozen_clock) -> None:
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    frozen_clock[0] += timedelta(hours=2)  # the refresh token (1 hour) has expired too
    with pytest.raises(AuthenticationFailed, match="authorisation expired") as caught:
        binding.access_token_for(app, shop.id)
    assert caught.value.code == "authentication_failed"  # not "token_expired": no retry loop
    assert stored(app, shop.id).status == "auth_expired"
    with app.tx() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "shop.auth_expired")).all()
    assert len(alerts) == 1 and alerts[0].org_id == acme.org_id
    assert "orderhub shop bind --platform pinduoduo" in alerts[0].message
    with pytest.raises(AuthenticationFailed, match="authorised again"):
        binding.refresh_tokens(app, shop.id)  # no second alert, no platform call
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
    assert binding.refresh_tokens(app, shop.id).credentials["access_token"] == token
    with pytest.raises(AuthenticationFailed, match="refused to refresh"):
        binding.refresh_tokens(app, shop.id, stale_token=token)
    assert stored(app, shop.id).status == "auth_expired"


def test_a_refresh_skips_when_another_worker_just_refreshed(short_lived, acme) -> None:
    app, server = short_lived
    shop = bind(app, acme.admin, server)
    old = binding.access_token_for(app, shop.id)
    new = binding.refresh_tokens(app, shop.id, stale_token=old).credentials["access_token"]
    assert new != old
    # A second worker that also saw `old` rejected: the stored token is already newer.
    again = binding.refresh_tokens(app, shop.id, stale_token=old).credentials["access_token"]
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
            tokens.append(binding.access_token_for(app, shop.id))
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
