"""The API tests that talk to a platform: settings pointing `[platforms.pinduoduo]` at a
sandbox gateway (one per test module), so the `app` and `client` fixtures share it."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from core.config import Settings, SyncSettings
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from tests.waybills.rig import platform_settings


def sandbox_settings(settings: Settings, server: SandboxServer) -> Settings:
    return replace(
        settings,
        platforms={"pinduoduo": platform_settings(server)},
        sync=SyncSettings(initial_days=1, overlap_seconds=60, read_processes=0),
    )


def consent(url: str, owner_id: str) -> tuple[str, str, str]:
    """The merchant approves on the sandbox's consent page: (redirect path, code, state)
    from the redirect the browser would follow."""
    response = httpx.get(f"{url}&{urlencode({'owner_id': owner_id})}", follow_redirects=False)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    return location.path, query["code"][0], query["state"][0]
