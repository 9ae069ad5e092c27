"""Snapshots of the settings screen's main sections (shops with their sync log, printers,
users and roles, audit rules) at 120×36 and 80×24, in Chinese and English, with the
clock, the data and the cursor frozen (`tests/tui/conftest.py`).

`pytest tests/tui/test_settings_snapshots.py --snapshot-update` rewrites them after a
deliberate change; look at the SVGs under `__snapshots__/` before committing.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot

from core.app import App
from core.models import SyncRun
from core.printing.printers import add_printer
from tests.conftest import OrgFixture
from tests.desk.world import store_world
from tests.tui.conftest import NOW, SIZES, settle

LANGS = ("zh", "en")
SECTIONS = ("shops", "printers", "users", "audit_rules")


@pytest.fixture
def settings_world(app: App, acme: OrgFixture, tui_clock: None, tmp_path: Path) -> None:
    """Two shops with a sync log, the world's carrier accounts, a printer, a second user."""
    world = store_world(app, acme.org_id, [], prefix="PDD")
    with app.tx() as session:
        for n in range(3):
            start = NOW - timedelta(minutes=5 * (3 - n))
            session.add(
                SyncRun(
                    org_id=world.org_id,
                    shop_id=1 + n % 2,
                    kind="scheduled",
                    window_start=start - timedelta(minutes=5),
                    window_end=start,
                    pages=1,
                    seen=10 + n,
                    new=n,
                    updated=1,
                    status="failed" if n == 1 else "ok",
                    error="gateway timeout" if n == 1 else "",
                    worker="worker-1",
                    started_at=start,
                    finished_at=start + timedelta(seconds=2),
                    duration_ms=2000,
                )
            )
    add_printer(
        app,
        acme.admin,
        name="仓库一号",
        driver="file",
        settings={"folder": str(tmp_path)},
        media_mm=(76, 130),
    )
    acme.staff("xiaoli", "print_operator")


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_settings(
    snap_compare, make_tui, acme: OrgFixture, settings_world, lang: str, size: str, section: str
) -> None:
    async def shown(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.app.screen.run_action(f"show_section('{section}')")
        await settle(pilot)

    tui = make_tui(acme.admin, lang=lang, start="settings")
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=shown)
