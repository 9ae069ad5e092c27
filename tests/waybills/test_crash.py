"""Crashes between the carrier's allocation and our store, on SQLite and PostgreSQL, with
the real sandbox as the carrier. Each test ends by comparing the sandbox's waybill ledger
with our rows: no waybill is active at the platform that orderhub does not hold, none
is active in orderhub that the platform voided, and no package has two."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select

from core.errors import Conflict
from core.models import Alert, Package, Waybill
from core.waybills import allocation as waybills
from core.waybills.query import mark_printed
from core.waybills.store import CLAIM_SECONDS
from tests.conftest import TEST_KEY
from tests.waybills.rig import platform_settings


def real_now(frozen_clock: list) -> datetime:
    """Freeze the test clock at the wall clock: the sandbox follows core's clock, and a
    child process (with the real clock) must agree with it on timestamps."""
    frozen_clock[0] = datetime.now(UTC).replace(microsecond=0)
    return frozen_clock[0]


class FailOnce:
    """Make the database refuse one statement (an injected fault at the OS/driver edge)."""

    def __init__(self, engine, prefix: str, containing: str = "") -> None:  # type: ignore[no-untyped-def]
        self.engine, self.prefix, self.containing = engine, prefix.upper(), containing.upper()
        self.fired = 0
        event.listen(engine, "before_cursor_execute", self)

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        text = statement.lstrip().upper()
        if not self.fired and text.startswith(self.prefix) and self.containing in text:
            self.fired += 1
            raise OSError(28, "No space left on device (injected)")

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self)


def test_a_failed_store_is_compensated_at_the_carrier(rig) -> None:
    package_ids = rig.packages(count=12)
    account = rig.account("YTO")
    fault = FailOnce(rig.app.engine, "INSERT INTO waybills")
    try:
        report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    finally:
        fault.remove()
    assert fault.fired == 1
    assert [o.outcome for o in report.outcomes] == ["failed"] * 12
    first_batch, rest = report.outcomes[:10], report.outcomes[10:]
    assert all("could not be stored" in o.error and o.retryable for o in first_batch)
    assert all("not attempted" in o.error for o in rest)  # the database failed: stop
    assert len(report.compensated) == 10
    platform = rig.platform_waybills()
    assert sorted(platform.values()) == ["cancelled"] * 10  # every drawn number voided
    assert rig.our_waybills() == platform  # recorded as cancelled rows too
    rig.assert_ledgers_agree()
    with rig.app.tx() as session:
        assert session.scalar(select(Package.allocation_claim).where(Package.id == 1)) is None

    again = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in again.outcomes] == ["allocated"] * 12
    platform = rig.platform_waybills()
    assert sorted(platform.values()) == ["allocated"] * 12 + ["cancelled"] * 10
    assert rig.our_waybills() == platform
    rig.assert_ledgers_agree()


def test_a_process_killed_after_the_carrier_call_loses_nothing(rig, settings, frozen_clock) -> None:
    real_now(frozen_clock)
    package_ids = rig.packages(count=12)
    account = rig.account("YTO")
    env = {
        **os.environ,
        "ORDERHUB_CONFIG": "/nonexistent/orderhub.toml",
        "ORDERHUB_DATABASE_URL": settings.database_url,
        "ORDERHUB_SECRET_KEY": TEST_KEY,
        "ORDERHUB_PLUGINS_ONLY": "orderhub",
        **{
            f"ORDERHUB_PLATFORMS__PINDUODUO__{k.upper()}": str(v).lower()
            if isinstance(v, bool)
            else str(v)
            for k, v in platform_settings(rig.server).items()
        },
    }
    job = {
        "org_id": rig.org.org_id,
        "account": account.name,
        "packages": package_ids,
        "die_at": "store",
    }
    child = subprocess.run(
        [sys.executable, "-m", "tests.waybills.crash_child"],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr[-2000:]
    issued = rig.platform_waybills()
    assert sorted(issued.values()) == ["allocated"] * 10  # the first batch, then death
    assert rig.our_waybills() == {}

    # At once: the dead process's claim still holds those ten; the other two go ahead.
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in report.outcomes] == ["busy"] * 10 + ["allocated"] * 2
    assert "claim ends" in report.outcomes[0].error

    # After the claim expires, the same object ids return the numbers already issued.
    with rig.app.tx() as session:
        until = session.scalar(
            select(Package.allocation_claim_until)
            .where(Package.allocation_claim_until.is_not(None))
            .order_by(Package.allocation_claim_until.desc())
        )
    assert until - frozen_clock[0] <= timedelta(seconds=CLAIM_SECONDS + 60)
    frozen_clock[0] = until + timedelta(seconds=1)
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in report.outcomes] == ["allocated"] * 10 + ["kept"] * 2
    assert {o.number for o in report.allocated} == set(issued)
    platform = rig.platform_waybills()
    assert len(platform) == 12 and set(platform.values()) == {"allocated"}
    assert rig.our_waybills() == platform
    rig.assert_ledgers_agree()


def test_an_interrupted_cancel_is_never_printed_and_finishes_when_repeated(rig) -> None:
    package_ids = rig.packages(count=2)
    account = rig.account("YTO")
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    target = report.outcomes[0]
    fault = FailOnce(rig.app.engine, "UPDATE waybills", containing="cancelled_at")
    try:
        with pytest.raises(OSError, match="injected"):
            waybills.cancel(rig.app, rig.org.admin, [target.waybill_id], "wrong address")
    finally:
        fault.remove()
    # Step 1 committed, the carrier cancelled, step 3 failed: the waybill is `cancelling`.
    assert rig.platform_waybills()[target.number] == "cancelled"
    with rig.app.tx() as session:
        assert session.get(Waybill, target.waybill_id).status == "cancelling"
    with pytest.raises(Conflict, match="cancelling"), rig.app.tx() as session:
        mark_printed(session, target.waybill_id)
    blocked = waybills.allocate(rig.app, rig.org.admin, package_ids[:1], account.name)
    assert blocked.outcomes[0].outcome == "failed"
    assert "being cancelled" in blocked.outcomes[0].error
    assert rig.active_by_package()[package_ids[0]] == 1

    done = waybills.cancel(rig.app, rig.org.admin, [target.waybill_id], "wrong address")
    assert [o.outcome for o in done] == ["cancelled"]
    rig.assert_ledgers_agree()
    fresh = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in fresh.outcomes] == ["allocated", "kept"]
    rig.assert_ledgers_agree()


def test_a_compensation_the_carrier_refuses_is_recorded_alerted_and_retried(rig) -> None:
    package_ids = rig.packages(count=2)
    account = rig.account("YTO")
    fault = FailOnce(rig.app.engine, "INSERT INTO waybills")
    rig.sandbox.set_faults("503=1.0@pdd.waybill.cancel")  # the gateway is down for cancels
    try:
        report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    finally:
        fault.remove()
        rig.sandbox.set_faults("")
    assert [o.outcome for o in report.outcomes] == ["failed", "failed"]
    assert all("could not be cancelled at the carrier" in o.error for o in report.outcomes)
    assert report.compensated == []
    drawn = rig.platform_waybills()
    assert set(drawn.values()) == {"allocated"}  # still live at the platform …
    assert rig.our_waybills() == dict.fromkeys(drawn, "recycled")  # … and recorded here
    with rig.app.tx() as session:
        alerts = session.scalars(select(Alert).where(Alert.kind == "waybill.cancel_failed")).all()
    assert len(alerts) == 1 and all(n in alerts[0].message for n in drawn)

    # The alert's advice works: cancelling the recorded numbers again reaches the carrier.
    with rig.app.tx() as session:
        ids = session.scalars(select(Waybill.id).order_by(Waybill.id)).all()
    outcomes = waybills.cancel(rig.app, rig.org.admin, ids, "compensation retried")
    assert [o.outcome for o in outcomes] == ["cancelled", "cancelled"]
    assert set(rig.platform_waybills().values()) == {"cancelled"}
    rig.assert_ledgers_agree()
    # and the packages draw fresh numbers under fresh object ids
    again = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in again.outcomes] == ["allocated", "allocated"]
    assert not {o.number for o in again.outcomes} & set(drawn)
    rig.assert_ledgers_agree()
