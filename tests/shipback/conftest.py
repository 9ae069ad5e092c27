"""Fixtures for ship-back tests: one sandbox gateway per module, reset for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.config import Settings
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.shipback.rig import ShipRig, open_ship_rig
from tests.waybills.rig import serve_sandbox

SANDBOX = SandboxConfig(orders=80, history_days=1.0, rate_limits=False, waybill_quantity=500)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def rig(settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture) -> Iterator[ShipRig]:
    yield from open_ship_rig(settings, sandbox_server, acme)
