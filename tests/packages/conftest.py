"""Fixtures for merge/split and assignment tests: a desk of orders in a plain shop, and
the print rig (sandbox gateway, bound shop, loopback printer) for printing merged
packages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.app import App
from core.config import Settings
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.packages.desk import Desk
from tests.packages.rig import MergeRig
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.waybills.rig import open_rig, serve_sandbox


@pytest.fixture
def desk(app: App, acme: OrgFixture) -> Desk:
    return Desk(app, acme)


SANDBOX = SandboxConfig(orders=100, history_days=1.0, rate_limits=False, waybill_quantity=500)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def rig(settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture) -> Iterator[MergeRig]:
    yield from open_rig(MergeRig, settings, sandbox_server, acme)


@pytest.fixture
def listener() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as printer:
        yield printer
