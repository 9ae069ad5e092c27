"""The settings screen's shops section, against the Pinduoduo sandbox: binding shows the
authorisation URL as text and as a QR code, the address the browser ends on finishes it;
the sync interval, the switch, "sync now" with its log, and unbinding."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import ProgressBar, Static

from core.app import App
from core.config import Settings
from core.shops import binding
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.shop_rig import app_for, owner
from tests.tui.conftest import drive, settle
from tui.app import make_app
from tui.screens.dialogs import ConfirmDialog, TextDialog
from tui.widgets.common.halfblocks import qr_lines
from tui.widgets.settings.base import SettingsTable
from tui.widgets.settings.shop_bind import BindDialog
from tui.widgets.settings.shops import LOG_LENGTH


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxConfig(orders=20, history_days=1.0, rate_limits=False)) as server:
        yield server


@pytest.fixture
def shop_app(settings: Settings, sandbox: SandboxServer) -> Iterator[App]:
    application = app_for(settings, sandbox)
    yield application
    application.close()


def browser_ends_on(url: str, owner_id: str) -> str:
    """The merchant approves on the sandbox's consent page: where the browser ends."""
    response = httpx.get(f"{url}&owner_id={owner_id}", follow_redirects=False)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_binding_shows_the_url_and_its_qr_code_and_finishes_from_the_redirect(
    shop_app: App, sandbox: SandboxServer, acme: OrgFixture
) -> None:
    tui = make_app(None, acme.admin, core=shop_app, cursor_blink=False, start="settings")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("b")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, BindDialog)
        url = dialog.start.url
        assert str(dialog.query_one("#bind-url", Static).render()) == url
        assert url.startswith(sandbox.client_settings()["auth_url"])
        qr = str(dialog.query_one("#bind-qr", Static).render())
        assert qr.splitlines() == qr_lines(url) and "█" in qr

        await pilot.click("#bind-code")
        dialog.query_one("#bind-code").value = browser_ends_on(url, owner(sandbox))
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, BindDialog)
        table = pilot.app.screen.query_one("#shops-table", SettingsTable)
        assert table.row_count == 1
        assert sandbox.sandbox.shops[0].owner_name in [str(c) for c in table.get_row_at(0)]

        await pilot.press("i")
        assert isinstance(pilot.app.screen, TextDialog)
        pilot.app.screen.query_one("#answer").value = "15"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("e")  # sync off
        await settle(pilot)

    drive(tui, scenario)
    (shop,) = binding.list_shops(shop_app, acme.admin)
    assert shop.sync_interval_minutes == 15 and not shop.sync_enabled
    assert [n.message for n in tui.notices][-1] == f"{shop.name} 自动同步：关"


def test_sync_now_fills_the_log_and_unbinding_asks_first(
    shop_app: App, sandbox: SandboxServer, acme: OrgFixture
) -> None:
    start = binding.start_authorization(shop_app, acme.admin, "pinduoduo", "http://127.0.0.1/cb")
    code = sandbox.sandbox.issue_code(owner(sandbox))
    shop = binding.complete_authorization(shop_app, code, start.state)
    tui = make_app(None, acme.admin, core=shop_app, cursor_blink=False, start="settings", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("s")
        await settle(pilot)
        log = pilot.app.screen.query_one("#shops-log", SettingsTable)
        assert log.row_count >= 1
        first = [str(cell) for cell in log.get_row_at(0)]
        assert first[1] == shop.name and first[2] == "manual" and first[3] == "ok"
        bar = pilot.app.screen.query_one("#shops-progress", ProgressBar)
        assert bar.total and bar.progress == bar.total  # every window of the pass shown
        assert log.row_count == min(bar.total, LOG_LENGTH)

        await pilot.press("u")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await pilot.click("#ok")
        await settle(pilot)

    drive(tui, scenario)
    assert binding.get_shop(shop_app, acme.admin, shop.id).status == "unbound"
    assert any(n.message.startswith(f"{shop.name} synced:") for n in tui.notices)
