"""Invariant 4 under fire, on both backends: a 1,000-label batch printed by real
`orderhub print resume` processes to a printer that drops the connection in the middle of
random labels, while the test also SIGKILLs the runner at random moments and starts it
again. Between runs the "operator" settles uncertain labels the way a person at the
printer would: a label that came out whole is skipped, one that was cut short is
reprinted (an audited reprint).

Afterwards: the job is done; every package has exactly one first-print label, plus one
reprint per "reprint" choice; the printer received every waybill exactly once as a whole
label — no duplicate nobody asked for, none missing (a skip never sends again); no package
has two active waybills and the platform's waybill ledger agrees with ours.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from core.accounts import audit
from core.models import PrintJob, PrintJobItem, Waybill
from core.printing.history import job_items
from core.printing.jobs import create_job
from core.printing.reprint import resolve_uncertain
from core.printing.runner import settle_crashed
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import TEST_KEY
from tests.printing import streams
from tests.printing.chaos_printer import ChaosPrinter
from tests.printing.rig import TEXT_TEMPLATE, PrintRig
from tests.waybills.rig import app_for

LABELS = 1000
LABEL_BYTES = 79_300  # a text-mode label: header, blank bitmap, text commands
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        shops=1, orders=1800, history_days=1.0, rate_limits=False, waybill_quantity=5000
    )
    with SandboxServer(config) as server:
        yield server


@pytest.fixture
def big_rig(settings, big_sandbox, acme) -> Iterator[PrintRig]:
    big_sandbox.sandbox.reset()
    application = app_for(settings, big_sandbox)
    yield PrintRig(application, big_sandbox, acme)
    application.close()


class Runner:
    """`orderhub print resume JOB` in its own process group (its render workers too)."""

    def __init__(self, settings, tmp_path: Path, job_id: int) -> None:  # type: ignore[no-untyped-def]
        self.job_id = job_id
        self.env = {
            **os.environ,
            "ORDERHUB_CONFIG": str(tmp_path / "absent.toml"),
            "ORDERHUB_DATABASE_URL": settings.database_url,
            "ORDERHUB_SECRET_KEY": TEST_KEY,
            "ORDERHUB_PLUGINS_ONLY": "orderhub",
            "ORDERHUB_DATA_DIR": str(settings.data_dir),
        }
        self.kills = 0

    def run(self, printer: ChaosPrinter, kill_at: int | None, pool: bool) -> str:
        """One run: `done`, `paused` (exit 3), or `killed` — SIGKILLed once the printer
        has received `kill_at` more bytes (anywhere: inside a label or between two).
        Without `pool` the runner renders in its own process (it costs a start-up)."""
        command = [
            sys.executable,
            "-m",
            "cli.main",
            "--json",
            "print",
            "resume",
            str(self.job_id),
            "--quiet",
        ]
        if not pool:
            command += ["--render-processes", "0"]
        start = printer.total()
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 180
        while kill_at is not None and process.poll() is None:
            if printer.total() - start >= kill_at:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
                self.kills += 1
                return "killed"
            assert time.monotonic() < deadline, "the runner hung"
            time.sleep(0.002)
        out, err = process.communicate(timeout=180)
        if process.returncode == 3:
            return "paused"
        assert process.returncode == 0, err[-2000:]
        return json.loads(out)["status"]


def settle(rig: PrintRig, printer: ChaosPrinter, job_id: int, numbers: dict[int, str]) -> Counter:
    """The operator at the printer: whole label out → skip, cut short → reprint."""
    printer.quiet()
    settle_crashed(rig.app, rig.org.admin, job_id)
    uncertain = job_items(rig.app, rig.org.admin, job_id, states=("uncertain",), limit=1000)
    out = printed = streams.printed(printer.snapshot())
    choices: Counter = Counter()
    with rig.app.tx() as session:
        packages = dict(
            session.execute(
                select(PrintJobItem.position, PrintJobItem.package_id).where(
                    PrintJobItem.job_id == job_id
                )
            ).all()
        )
    for item in uncertain:
        number = numbers[packages[item.position]]
        choice = "skip" if printed[number] else "reprint"
        resolve_uncertain(
            rig.app,
            rig.org.admin,
            job_id,
            choice,
            [item.position],
            reason="cut short at the printer",
        )
        choices[choice] += 1
    del out
    return choices


def test_drops_and_kills_never_print_a_label_twice_or_lose_one(big_rig, settings, tmp_path) -> None:
    rig = big_rig
    rng = random.Random(20261127)
    order_ids = rig.load_orders(count=LABELS)
    rig.account("YTO")
    with ChaosPrinter(drop_chance=0.008, seed=rng.randrange(1 << 30)) as printer:
        rig.text_printer("gp-1", printer.port, settings={"write_timeout": 10})
        job = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT_TEMPLATE)
        assert len(order_ids) == job.total == LABELS and not job.refused
        with rig.app.tx() as session:
            numbers = dict(session.execute(select(Waybill.package_id, Waybill.number)).all())
        runner = Runner(settings, tmp_path, job.job_id)
        choices: Counter = Counter()
        outcomes: Counter = Counter()
        for round_number in range(80):
            choices += settle(rig, printer, job.job_id, numbers)
            kill = runner.kills < 5 and rng.random() < 0.6
            kill_at = rng.randint(5 * LABEL_BYTES, 150 * LABEL_BYTES) if kill else None
            outcome = runner.run(printer, kill_at, pool=round_number % 3 == 0)
            outcomes[outcome] += 1
            if outcome == "done":
                break
        else:
            pytest.fail(f"the job did not finish: {outcomes}")
        printer.quiet()
        received = streams.printed(printer.snapshot())
        cut = streams.partial(printer.snapshot())
        drops = printer.drops

    assert drops >= 3 and runner.kills >= 2, (drops, runner.kills, outcomes)
    assert cut >= drops  # every drop (and most kills) left a label cut short
    with rig.app.tx() as session:
        job_row = session.get(PrintJob, job.job_id)
        items = list(session.scalars(select(PrintJobItem).where(PrintJobItem.job_id == job.job_id)))
        reprint_events = audit.events(session, rig.org.org_id, action="print.reprint", limit=1000)
        skip_events = audit.events(
            session, rig.org.org_id, action="print.uncertain_skip", limit=1000
        )
    assert (job_row.status, job_row.done_items, job_row.uncertain_items) == (
        "done",
        LABELS + choices["reprint"],
        0,
    )
    assert {i.state for i in items} == {"done"}
    firsts = Counter(i.package_id for i in items if not i.reprint)
    assert set(firsts.values()) == {1} and len(firsts) == LABELS
    reprints = [i for i in items if i.reprint]
    assert len(reprints) == choices["reprint"] == len(reprint_events)
    assert all(i.reprint_reason == "cut short at the printer" for i in reprints)
    assert len(skip_events) == choices["skip"]
    # the printer's view: each waybill once as a whole label, nothing else
    assert received == dict.fromkeys(numbers.values(), 1)
    assert rig.active_by_package().most_common(1)[0][1] == 1
    rig.assert_ledgers_agree()
    print(
        f"\nreliability: {outcomes}, drops {drops}, kills {runner.kills}, "
        f"cut labels {cut}, operator choices {dict(choices)}"
    )
