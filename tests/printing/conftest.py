"""Fixtures for print-job tests: one sandbox gateway per module (reset for every test) and
a rig with the org's shop bound, plus loopback printers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing.rig import PrintRig
from tests.waybills.rig import app_for

SANDBOX = SandboxConfig(orders=80, history_days=1.0, rate_limits=False, waybill_quantity=5000)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    with SandboxServer(SANDBOX) as server:
        yield server


@pytest.fixture
def rig(settings, sandbox_server, acme) -> Iterator[PrintRig]:
    sandbox_server.sandbox.reset()
    application = app_for(settings, sandbox_server)
    yield PrintRig(application, sandbox_server, acme)
    application.close()


@pytest.fixture
def listener() -> Iterator[LoopbackPrinter]:
    with LoopbackPrinter() as printer:
        yield printer
