"""The terminal UI's tests: a real database with fixed orders, a frozen clock, the app
made by `make_app` as `orderhub tui` makes it, driven by Textual's pilot.

`drive(app, scenario, size)` runs `scenario(pilot)` in a headless terminal and waits for
the app's thread workers between steps (`settle`), so assertions see what a person would
after the screen caught up. Snapshots (`snap_compare`, pytest-textual-snapshot) run with
the cursor not blinking and the same frozen data.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from core import clock
from core.actor import Actor
from core.app import App
from tests.conftest import OrgFixture
from tests.desk.world import BASE, LineSpec, OrderSpec, World, store_world
from tui.app import OrderhubApp, make_app

#: The UI's "now": the morning after the world's orders were paid (Asia/Shanghai 10:00).
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
SIZES = {"wide": (120, 36), "small": (80, 24)}
TITLES = ("保温杯 500ml 红色 L", "陶瓷杯 红色 M")

Scenario = Callable[[Pilot[None]], Awaitable[None]]


def desk_specs() -> list[OrderSpec]:
    """Thirty orders across the tabs, with reasons, holds, tags, flags and memos."""
    specs: list[OrderSpec] = []
    for n in range(30):
        specs.append(
            OrderSpec(
                shop=n % 2,
                hub=("pending", "pending", "audited", "printed", "shipped")[n % 5],
                on_hold=n % 11 == 3,
                reasons=(("address_unknown_city",), (), ("buyer_memo",), ())[n % 4]
                if n % 5 < 2
                else (),
                paid=BASE + timedelta(minutes=37 * n),
                created=BASE + timedelta(minutes=37 * n - 5),
                due=BASE + timedelta(hours=48),
                place=n % 4,
                lines=(LineSpec(TITLES[n % 2], "sku-1", "CUP-R"),),
                tags=frozenset({"紧急"}) if n % 7 == 0 else frozenset(),
                flag=("", "red", "", "green")[n % 4],
                memo="请发顺丰" if n % 6 == 2 else "",
                assigned=0 if n % 3 == 0 else None,
            )
        )
    return specs


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the UI holds no SQL, and core's services run on both backends in
    their own tests."""
    target = tmp_path / "orderhub.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def tui_clock() -> Iterator[None]:
    clock.set_clock(lambda: NOW)
    yield
    clock.set_clock(None)


@pytest.fixture
def desk_world(app: App, acme: OrgFixture, tui_clock: None) -> World:
    return store_world(app, acme.org_id, desk_specs(), prefix="PDD")


@pytest.fixture
def make_tui(app: App) -> Callable[..., OrderhubApp]:
    def build(actor: Actor | None, *, lang: str = "zh", **options: object) -> OrderhubApp:
        return make_app(None, actor, lang=lang, core=app, cursor_blink=False, **options)  # type: ignore[arg-type]

    return build


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the app's thread workers are done and the screen has caught up."""
    for _ in range(3):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:  # a newer read of the same group replaced it: wait for that
            continue
        await pilot.pause()


def drive(tui: OrderhubApp, scenario: Scenario, size: tuple[int, int] = SIZES["wide"]) -> None:
    async def run() -> None:
        async with tui.run_test(size=size) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(run())
