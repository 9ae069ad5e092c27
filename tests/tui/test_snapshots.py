"""Snapshots (pytest-textual-snapshot) of the main screens at 120×36 and 80×24, in Chinese
and English, with the clock, the data and the cursor frozen (`tests/tui/conftest.py`).

`pytest tests/tui/test_snapshots.py --snapshot-update` rewrites them after a deliberate
change; look at the SVGs under `__snapshots__/` (a browser shows them) before committing.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.conftest import OrgFixture
from tests.tui.conftest import SIZES, settle

LANGS = ("zh", "en")


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_login(snap_compare, make_tui, acme: OrgFixture, tui_clock, lang: str, size: str) -> None:
    async def typed(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press(*"boss")

    assert snap_compare(make_tui(None, lang=lang), terminal_size=SIZES[size], run_before=typed)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_desk(snap_compare, make_tui, acme: OrgFixture, desk_world, lang: str, size: str) -> None:
    """The exception tab, two orders picked, the cursor on the third."""

    async def picked(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("2", "space", "space")
        await settle(pilot)

    tui = make_tui(acme.admin, lang=lang)
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=picked)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_detail(snap_compare, make_tui, acme: OrgFixture, desk_world, lang: str, size: str) -> None:
    """The first order of the exception tab, receiver masked."""

    async def opened(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("2", "enter")
        await settle(pilot)

    tui = make_tui(acme.admin, lang=lang)
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=opened)
