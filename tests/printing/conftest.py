"""Fixtures for print-job tests: one sandbox gateway per module (reset for every test) and
a rig with the org's shop bound, plus loopback printers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.config import Settings
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing.rig import PrintRig
from tests.waybills.rig import open_rig, serve_sandbox

SANDBOX = SandboxConfig(orders=80, history_days=1.0, rate_limits=False, waybill_quantity=5000)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def rig(settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture) -> Iterator[PrintRig]:
    yield from open_rig(PrintRig, settings, sandbox_server, acme)


@pytest.fixture
def listener() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as printer:
        yield printer
