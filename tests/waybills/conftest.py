"""Fixtures for waybill tests: one sandbox gateway per module, reset for every test (so
each test's package ids, which restart at 1, meet no waybill of an earlier test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.waybills.rig import Rig, app_for

SANDBOX = SandboxConfig(orders=60, history_days=1.0, rate_limits=False, waybill_quantity=500)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(SANDBOX) as server:
        yield server


@pytest.fixture
def rig(settings, sandbox_server, acme) -> Iterator[Rig]:
    sandbox_server.sandbox.reset()
    application = app_for(settings, sandbox_server)
    yield Rig(application, sandbox_server, acme)
    application.close()
