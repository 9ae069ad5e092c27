"""The print screen: three orders printed on a `file` printer (three PDFs), a batch that
stops on a printer fault resumed from the screen, the label preview, the jobs history."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import update
from textual.pilot import Pilot

from core.accounts import audit
from core.models import PrintJob, PrintJobItem
from core.orders import packages
from core.printing.history import list_jobs
from core.printing.jobs import create_job
from tests.conftest import OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.ops_world import PRINTER, OpsWorld, ops_world
from tui.screens.print_jobs import PrintJobsScreen
from tui.screens.print_preview import PreviewDialog
from tui.screens.printing import PrintScreen
from tui.widgets.printing.items import JobItems


@pytest.fixture
def world(app, acme: OrgFixture, tui_clock, tmp_path: Path) -> OpsWorld:
    return ops_world(app, acme, tmp_path / "labels")


def pdfs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.pdf")) if folder.exists() else []


async def print_batch(pilot: Pilot[None], orders: list[str]) -> None:
    """Type the orders, Enter (to the printers, the first ticked), p."""
    await pilot.press(*" ".join(orders), "enter")
    await pilot.press("p")
    await settle(pilot)


def test_three_orders_print_to_three_pdfs(make_tui, world: OpsWorld) -> None:
    orders = world.labelled(3)
    tui = make_tui(world.ship.admin, start="print")
    states: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PrintScreen)
        await print_batch(pilot, orders)
        items = screen.query_one(JobItems)
        states.extend(str(items.get_cell(str(n), "state")) for n in (1, 2, 3))
        assert screen.status == "done" and not screen.running

    drive(tui, scenario)
    assert states == ["已打印"] * 3
    files = pdfs(world.folder)
    assert len(files) == 3 and all(f.read_bytes().startswith(b"%PDF-") for f in files)
    (job,) = list_jobs(world.app, world.ship.admin)
    assert (job.status, job.done, job.total) == ("done", 3, 3)


def test_a_batch_that_cannot_start_is_told_and_frees_the_screen(make_tui, world: OpsWorld) -> None:
    """A failure before any label (here an order that does not exist) is a notice, and the
    screen is ready for the next batch instead of waiting for a job that never began."""
    tui = make_tui(world.ship.admin, start="print", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PrintScreen)
        await print_batch(pilot, ["NOPE-404"])
        assert not screen.running and screen.job_id is None
        assert "NOPE-404" in pilot.app.notices[-1].message
        assert screen.check_action("print", ()) is not False

    drive(tui, scenario)
    assert pdfs(world.folder) == []


def test_a_batch_stopped_by_the_printer_resumes_from_the_screen(
    make_tui, app, acme: OrgFixture, tui_clock, tmp_path: Path
) -> None:
    world = ops_world(app, acme, tmp_path / "labels", create=False)
    orders = world.labelled(3)  # the printer's folder does not exist yet: it pauses
    tui = make_tui(world.ship.admin, start="print", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PrintScreen)
        await print_batch(pilot, orders)
        assert screen.status == "paused" and pdfs(world.folder) == []
        world.folder.mkdir()  # the operator fixes the printer
        await pilot.press("c")
        await settle(pilot)
        assert screen.status == "done"

    drive(tui, scenario)
    assert len(pdfs(world.folder)) == 3
    (job,) = list_jobs(world.app, world.ship.admin)
    assert (job.status, job.done) == ("done", 3)


def test_preview_and_history(make_tui, world: OpsWorld) -> None:
    orders = world.labelled(2)
    tui = make_tui(world.ship.admin, start="print")
    seen: dict[str, object] = {}

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PrintScreen)
        await print_batch(pilot, orders)
        await pilot.press("v")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, PreviewDialog)
        seen["preview"] = dialog.shown
        picture = str(dialog.query_one("#preview-picture").render())
        seen["blocks"] = sum(picture.count(c) for c in "▀▄█")
        await pilot.press("escape", "h")
        await settle(pilot)
        assert isinstance(pilot.app.screen, PrintJobsScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen and screen.job_id == 1

    drive(tui, scenario)
    shown = seen["preview"]
    assert shown.order_number == orders[0] and shown.waybill == world.waybills[orders[0]]
    assert shown.receiver == "李* 139****9000" and seen["blocks"] > 50


def test_a_crashed_jobs_uncertain_label_is_skipped_and_the_rest_resumed(make_tui, world) -> None:
    orders = world.labelled(2)
    ids = list(packages.packages_for_orders(world.app, world.ship.admin, orders).values())
    job = create_job(world.app, world.ship.admin, ids, [PRINTER], options={"pdf_chunk": 1})
    with world.app.tx() as session:  # a runner killed while sending the second label
        session.execute(
            update(PrintJobItem)
            .where(PrintJobItem.job_id == job.job_id, PrintJobItem.position == 2)
            .values(state="sending")
        )
        session.execute(update(PrintJob).where(PrintJob.id == job.job_id).values(status="paused"))
    tui = make_tui(world.ship.admin, start="print", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PrintScreen)
        screen.load_job(job.job_id)  # as picked from the history
        await settle(pilot)
        assert screen.uncertain == 1 and screen.items.state_at(2) == "uncertain"
        screen.items.focus()
        await pilot.press("s")  # the uncertain item under the cursor: it did print
        await pilot.pause()
        await pilot.click("#ok")
        await settle(pilot)
        assert screen.uncertain == 0
        await pilot.press("c")  # the first label still waits: print it
        await settle(pilot)
        assert screen.status == "done"

    drive(tui, scenario)
    assert len(pdfs(world.folder)) == 1  # the skipped label was not sent again
    (info,) = list_jobs(world.app, world.ship.admin)
    assert (info.status, info.done, info.uncertain) == ("done", 2, 0)
    (event,) = audit.list_events(world.app, world.ship.admin, action="print.uncertain_skip")
    assert event.after["position"] == 2
