"""The drain against the sandbox gateway over HTTP: status look first, then
`pdd.logistics.online.send`; each failure class ends where the issue says, and the
sandbox's per-order counts show every order applied once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core import clock
from core.config import Settings, ShipbackSettings
from core.models import ShipmentOutbox
from core.shipback import alerts, outbox, review
from core.shipback.drain import drain_now
from core.waybills import allocation
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from tests.conftest import OrgFixture
from tests.progress_watch import Recorder
from tests.shipback.rig import SHIPBACK, ShipRig, open_ship_rig

SEND = "pdd.logistics.online.send"


def confirmed(rig: ShipRig, count: int) -> dict[str, str]:
    """`count` packages drawn and confirmed: order number → tracking number."""
    numbers = rig.ready(count)
    ids = list(numbers)
    assert rig.confirm(ids).confirmed == ids
    return dict(zip(rig.numbers_of(ids), numbers.values(), strict=True))


def test_drain_confirms_each_order_once_with_our_number(rig) -> None:
    orders = confirmed(rig, 3)
    report = rig.drain()
    assert (report.claimed, report.sent, report.retrying) == (3, 3, 0)
    logistics_id = int(rig.carrier().logistics_company_id)
    rows = rig.outbox()
    for sn, number in orders.items():
        wire = rig.platform_order(sn)
        assert (wire["order_status"], wire["tracking_number"], wire["logistics_id"]) == (
            2,
            number,
            logistics_id,
        )
        assert rig.sends(sn) == {"calls": 1, "applied": 1}
        assert (rows[sn].state, rows[sn].outcome, rows[sn].attempts) == ("done", "sent", 1)
        assert rig.package_status(rows[sn].package_id) == "synced"
    assert rig.drain().claimed == 0  # nothing is due any more


def test_a_refund_found_at_send_time_holds_the_order(rig) -> None:
    orders = confirmed(rig, 2)
    refunded, _fine = list(orders)
    rig.sandbox.refund(refunded, 3)  # 退款中, after the confirm
    report = rig.drain()
    assert (report.held, report.sent) == (1, 1)
    row = rig.outbox()[refunded]
    assert (row.state, row.last_error_class) == ("held", "refund")
    assert rig.sends(refunded) == {}  # never sent
    assert rig.platform_order(refunded)["order_status"] == 1
    order = rig.order(refunded)
    assert order.on_hold and "已拦截" in order.hold_reason
    assert rig.package_status(row.package_id) == "on_hold"
    (alert,) = rig.alerts(alerts.HELD)
    assert alert.severity == "critical" and refunded in alert.message
    assert rig.drain().claimed == 0  # held is final until a person acts
    assert len(rig.alerts(alerts.HELD)) == 1


def test_a_refused_tracking_number_needs_a_person(rig) -> None:
    account = rig.manual("YTO")
    package = rig.packages(0, 1)[0]
    allocation.allocate(
        rig.app, rig.org.admin, [package], account.name, typed_numbers={package: "73123456789012"}
    )
    rig.confirm([package])
    (sn,) = rig.numbers_of([package])
    report = rig.drain()
    assert report.needs_person == 1
    row = rig.outbox()[sn]
    assert (row.state, row.last_error_class) == ("needs_person", "invalid")
    assert "不符合" in row.last_error
    assert rig.sends(sn) == {"calls": 1, "refused": 1}
    (alert,) = rig.alerts(alerts.FAILED)
    assert alert.severity == "warning" and sn in alert.message


def test_an_order_the_platform_pauses_needs_a_person(rig) -> None:
    orders = confirmed(rig, 1)
    (sn,) = orders
    rig.sandbox.update(sn, ship_hold=True)  # 暂停发货 on the platform
    rig.drain()
    row = rig.outbox()[sn]
    assert (row.state, row.last_error_class) == ("needs_person", "blocked")
    assert "暂停发货" in row.last_error
    assert rig.drain().claimed == 0  # waits for a person

    rig.sandbox.update(sn, ship_hold=False)  # the merchant lifts the pause
    assert review.retry(rig.app, rig.org.admin, [sn]).changed == [sn]
    assert rig.drain().sent == 1
    assert rig.outbox()[sn].state == "done"
    assert rig.sends(sn) == {"calls": 2, "refused": 1, "applied": 1}


def test_already_shipped_is_recognised_and_done(rig) -> None:
    orders = confirmed(rig, 2)
    same, other = list(orders)
    logistics_id = int(rig.carrier().logistics_company_id)
    rig.sandbox.ship(same, logistics_id, orders[same])  # shipped in the back office, our number
    rig.sandbox.ship(other)  # shipped elsewhere with another carrier and number
    report = rig.drain()
    assert (report.already_shipped, report.sent, report.retrying) == (2, 0, 0)
    rows = rig.outbox()
    assert (rows[same].state, rows[same].outcome) == ("done", "already_shipped")
    assert (rows[other].state, rows[other].last_error_class) == ("done", "already_shipped")
    assert rig.sends(same) == {"calls": 1, "repeat": 1}
    assert rig.sends(other) == {"calls": 1, "refused": 1}
    (alert,) = rig.alerts("shipback.shipped_elsewhere")  # ours may leave a second time
    assert alert.severity == "warning" and other in alert.message and same not in alert.message


def test_an_outage_is_retried_with_back_off_and_nothing_is_lost(
    settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture
) -> None:
    slow = ShipbackSettings(lease_seconds=20, retry_base_seconds=60, retry_max_seconds=600)
    for rig in open_ship_rig(settings, sandbox_server, acme, slow, max_attempts=1):
        orders = confirmed(rig, 3)
        rig.sandbox.set_faults("503=1.0")
        report = rig.drain()
        assert (report.claimed, report.retrying) == (3, 3)
        rows = rig.outbox()
        for sn in orders:
            assert (rows[sn].state, rows[sn].last_error_class) == ("pending", "transient")
            wait = (clock.as_utc(rows[sn].next_attempt_at) - clock.now()).total_seconds()
            assert 25 <= wait <= 60  # [base/2, base] after the first try
        assert rig.drain().claimed == 0  # not due yet
        rig.sandbox.set_faults("")
        _due_now(rig)
        assert rig.drain().sent == 3
        assert all(rig.sends(sn) == {"calls": 1, "applied": 1} for sn in orders)
        assert {r.attempts for r in rig.outbox().values()} == {2}


def test_a_lost_answer_is_met_as_already_shipped(
    settings: Settings, sandbox_server: SandboxServer, acme: OrgFixture
) -> None:
    for rig in open_ship_rig(settings, sandbox_server, acme, read_timeout=0.5, max_attempts=1):
        orders = confirmed(rig, 2)
        rig.sandbox.set_faults(f"timeout=1.0@{SEND},delay=2")
        report = rig.drain()
        assert report.retrying == 2
        assert all(rig.platform_order(sn)["order_status"] == 2 for sn in orders)  # applied
        rig.sandbox.set_faults("")
        _due_now(rig)
        report = rig.drain()
        assert report.already_shipped == 2
        for sn in orders:
            assert rig.sends(sn) == {"calls": 2, "applied": 1, "repeat": 1}
            assert rig.outbox()[sn].outcome == "already_shipped"


def test_a_dead_workers_claim_runs_out_and_another_worker_finishes(rig) -> None:
    orders = confirmed(rig, 2)
    claimed = outbox.claim_due(rig.app, "dead-worker", 10, timedelta(seconds=20))
    assert len(claimed) == 2
    assert rig.drain().claimed == 0  # claimed by a live (so far) worker
    _due_now(rig, state="sending")  # its claim ran out
    assert rig.drain().sent == 2
    # The dead worker's late write is fenced off by its claim token.
    written = outbox.record(rig.app, [outbox.Outcome(c, "needs_person") for c in claimed])
    assert written == []
    assert {r.state for r in rig.outbox().values()} == {"done"}
    assert all(rig.sends(sn)["applied"] == 1 for sn in orders)


def test_backlog_alert_is_raised_once(rig, frozen_clock) -> None:
    confirmed(rig, 1)
    assert alerts.check_backlog(rig.app) == 0
    frozen_clock[0] += timedelta(minutes=SHIPBACK.backlog_alert_minutes + 1)
    assert alerts.check_backlog(rig.app) == 1
    assert alerts.check_backlog(rig.app) == 0  # the open alert stands for it
    (alert,) = rig.alerts(alerts.BACKLOG)
    assert "1 shipment confirmation(s) waiting" in alert.message


def _due_now(rig: ShipRig, state: str = "pending") -> None:
    """Move the rows' time forward instead of sleeping (the back-off is what the test
    checked; here it has passed)."""
    with rig.app.tx() as session:
        session.execute(
            update(ShipmentOutbox)
            .where(ShipmentOutbox.state == state)
            .values(next_attempt_at=clock.now())
        )


def test_a_drain_run_by_a_person_reports_its_progress(rig) -> None:
    confirmed(rig, 3)
    watch = Recorder()
    report = drain_now(rig.app, rig.org.admin, progress=watch)
    assert report.sent == 3
    [task] = watch.tasks()
    assert task[0] == ("start", 3, "orders", "ship-back", 0)
    advanced = [call for call in task if call[0] == "advance"]
    assert sum(call[1] for call in advanced) == 3
    assert advanced[-1][2]["sent"] == 3 and task[-1] == ("finish",)


def test_the_outbox_by_pages_and_one_row_retried_by_id(rig, globex) -> None:  # type: ignore[no-untyped-def]
    """`outbox_page` and `retry_row`: what the HTTP API lists and retries."""
    from core.errors import Conflict, NotFound, PermissionDenied, ValidationError

    orders = confirmed(rig, 3)
    paused, refunded, _fine = list(orders)
    rig.sandbox.update(paused, ship_hold=True)
    rig.sandbox.refund(refunded, 3)
    rig.drain()
    admin = rig.org.admin
    first = review.outbox_page(rig.app, admin, limit=2)
    rest = review.outbox_page(rig.app, admin, limit=2, after=first.next_cursor)
    assert rest.next_cursor is None
    rows = [*first.items, *rest.items]
    assert [r.id for r in rows] == sorted((r.id for r in rows), reverse=True)
    assert {r.order_number for r in rows} == set(orders)
    assert (first.counts["done"], first.counts["needs_person"], first.counts["held"]) == (1, 1, 1)
    (held,) = review.outbox_page(rig.app, admin, state="held").items
    (stuck,) = review.outbox_page(rig.app, admin, state="needs_person").items
    assert (held.order_number, stuck.order_number) == (refunded, paused)
    with pytest.raises(ValidationError):
        review.outbox_page(rig.app, admin, after="x")

    with pytest.raises(Conflict, match="on hold"):
        review.retry_row(rig.app, admin, held.id)
    with pytest.raises(NotFound):
        review.retry_row(rig.app, globex.admin, stuck.id)
    with pytest.raises(PermissionDenied):
        review.retry_row(rig.app, rig.org.staff("kuaiji", "finance"), stuck.id)
    rig.sandbox.update(paused, ship_hold=False)
    again = review.retry_row(rig.app, admin, stuck.id)
    assert (again.id, again.state) == (stuck.id, "pending")
    assert rig.drain().sent == 1 and rig.outbox()[paused].state == "done"
    with pytest.raises(Conflict, match="nothing to retry"):
        review.retry_row(rig.app, admin, stuck.id)
