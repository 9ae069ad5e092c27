"""Fixtures for waybill tests: one sandbox gateway per module, reset for every test (so
each test's package ids, which restart at 1, meet no waybill of an earlier test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.config import Settings
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.waybills.rig import Rig, open_rig, serve_sandbox

SANDBOX = SandboxConfig(orders=60, history_days=1.0, rate_limits=False, waybill_quantity=500)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def rig(settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture) -> Iterator[Rig]:
    yield from open_rig(Rig, settings, sandbox_server, acme)
