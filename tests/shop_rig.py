"""Helpers for the shop tests: an app pointed at a sandbox gateway, and the merchant's
browser on the sandbox's consent page (approve, then read code and state from the
redirect, exactly what a browser would carry back to the callback)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy import text

from core.accounts import audit
from core.app import App
from core.config import Settings, SyncSettings
from core.models import Shop
from core.shops import binding
from core.startup import open_app
from plugins.platforms.pinduoduo.sandbox import SandboxServer

REDIRECT = "https://hub.example.cn/oauth/pinduoduo/callback"


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


def owner(server: SandboxServer, index: int = 0) -> str:
    return server.sandbox.shops[index].owner_id


def approve(url: str, owner_id: str) -> tuple[str, str]:
    """The merchant approves on the consent page; return (code, state) from the redirect."""
    response = httpx.get(f"{url}&{urlencode({'owner_id': owner_id})}", follow_redirects=False)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0], query["state"][0]


def bind(app: App, actor, server: SandboxServer, index: int = 0) -> binding.ShopInfo:
    start = binding.start_authorization(app, actor, "pinduoduo", REDIRECT)
    code, state = approve(start.url, owner(server, index))
    assert state == start.state
    return binding.complete_authorization(app, code, state)


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
