"""The afternoon at the desk through the TUI, against the Pinduoduo sandbox: three synced
orders get a carrier account, their e-waybills, labels printed to PDF files, and are
confirmed shipped — each step one key on the selection and a dialog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from core.config import Settings
from core.desk import search
from core.printing.printers import add_printer
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.printing.rig import PrintRig
from tests.tui.conftest import drive, settle
from tests.waybills.rig import open_rig, serve_sandbox
from tui.app import make_app
from tui.screens.desk import DeskScreen
from tui.screens.printing import PrintScreen

SANDBOX = SandboxConfig(orders=20, history_days=1.0, rate_limits=False, waybill_quantity=100)


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[SandboxServer]:
    yield from serve_sandbox(SANDBOX)


@pytest.fixture
def rig(settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture) -> Iterator[PrintRig]:
    yield from open_rig(PrintRig, settings, sandbox_server, acme)


async def on_all(pilot: Pilot[None], key: str, *answer: str) -> str:
    """Select every order of the "all" tab, press `key`, answer its dialog; the notice."""
    await pilot.press("0", "ctrl+a", key)
    await settle(pilot)
    await pilot.press(*answer)
    await settle(pilot)
    return pilot.app.notices[-1].message


def test_assign_allocate_print_and_ship_three_orders(rig: PrintRig, tmp_path: Path) -> None:
    numbers = rig.order_numbers()[:3]
    rig.load_orders(numbers=numbers)
    account = rig.account("YTO")
    folder = tmp_path / "labels"
    add_printer(
        rig.app,
        rig.org.admin,
        name="pdf",
        driver="file",
        language="pdf",
        settings={"folder": str(folder), "create": "true"},
    )
    tui = make_app(None, rig.org.admin, core=rig.app, cursor_blink=False)

    async def scenario(pilot: Pilot[None]) -> None:
        assert await on_all(pilot, "c", "enter") == f"已为 3 单指定 {account.name}"
        assert await on_all(pilot, "w", "enter") == "面单：新取 3，已有 0，失败 0"
        await pilot.press("0", "ctrl+a", "p")  # the selection goes to the print screen
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, PrintScreen) and sorted(screen.order_numbers) == sorted(numbers)
        await pilot.press("p")  # the first printer is ticked: print
        await settle(pilot)
        assert screen.status == "done" and not screen.running
        await pilot.press("f2")  # back to the desk, its selection cleared
        await settle(pilot)
        assert isinstance(pilot.app.screen, DeskScreen)
        shipped = await on_all(pilot, "s", "enter")
        assert shipped.startswith("已确认发货 3 个包裹"), shipped

    drive(tui, scenario)
    labels = [p for p in folder.iterdir() if not p.name.startswith(".")]
    assert labels and all(p.suffix == ".pdf" for p in labels)
    shipped = search.count_tabs(rig.app, rig.org.admin).counts["shipped"]
    assert shipped == 3
