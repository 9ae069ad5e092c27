"""The alert passes: overdue-to-ship alerts (once per order and stage), forwarding each
alert once through the notifiers — the refund hold's "请勿发货" included."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import update

from core.alertdesk import forwarding, overdue, passes
from core.alerts.raising import raise_alert
from core.config import AlertSettings
from core.contracts import Notification, Notifier
from core.errors import ExternalError, PermissionDenied
from core.hookspecs import hookimpl
from core.models import Order
from core.startup import open_app
from tests.alerts.helpers import audit_actions, make_order, make_shop, stored_alerts

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
SENT: list[Notification] = []


class Recorder(Notifier):
    """Keeps what it is given (the test's channel); `down` makes it fail as a 503 would."""

    name = "recorder"
    down = False

    def send(self, notification: Notification) -> None:
        if Recorder.down:
            raise ExternalError("chat gateway answered 503", retryable=True)
        SENT.append(notification)


@pytest.fixture
def alert_app(settings):
    SENT.clear()
    Recorder.down = False
    alerts = AlertSettings(forward_severity="warning", notifiers=("recorder",))
    application = open_app(replace(settings, alerts=alerts))
    application.plugins.register(
        SimpleNamespace(register_notifiers=hookimpl(lambda: [Recorder])), "recorder"
    )
    yield application
    application.close()


def test_overdue_orders_alert_once_per_shop_and_stage(app, acme, globex, frozen_clock) -> None:
    frozen_clock[0] = NOW
    shop = make_shop(app, acme.org_id)
    other = make_shop(app, globex.org_id, "别家", "7777")
    make_order(app, acme.org_id, shop, "LATE-1", NOW - timedelta(hours=1))
    make_order(app, acme.org_id, shop, "SOON-1", NOW + timedelta(hours=3))
    make_order(app, acme.org_id, shop, "LATER", NOW + timedelta(hours=30))
    make_order(app, acme.org_id, shop, "SHIPPED", NOW - timedelta(hours=1), hub_status="shipped")
    make_order(app, acme.org_id, shop, "HELD", NOW - timedelta(hours=1), on_hold=True)
    make_order(app, acme.org_id, shop, "NONE", None)
    make_order(app, globex.org_id, other, "G-1", NOW - timedelta(hours=2))
    raised = overdue.run(app, now=NOW)
    by_kind = {(a.org_id, a.kind): a for a in raised}
    assert set(by_kind) == {
        (acme.org_id, "order.overdue"),
        (acme.org_id, "order.ship_due"),
        (globex.org_id, "order.overdue"),
    }
    late = by_kind[(acme.org_id, "order.overdue")]
    assert late.severity == "critical" and "LATE-1" in late.message and "杯子店" in late.message
    assert "SHIPPED" not in late.message and "HELD" not in late.message
    assert "2026-11-27 09:00" in late.message  # the promised time, in Beijing time
    soon = by_kind[(acme.org_id, "order.ship_due")]
    assert soon.severity == "warning" and "SOON-1" in soon.message and "LATER" not in soon.message
    assert all("王" not in a.message and "138" not in a.message for a in raised)
    # Again: nothing new, whether or not the alerts are acknowledged.
    assert overdue.run(app, now=NOW + timedelta(minutes=1)) == []
    # SOON-1 becomes late: it is told once more, as overdue.
    [again] = overdue.run(app, now=NOW + timedelta(hours=4))
    assert again.kind == "order.overdue" and "SOON-1" in again.message
    assert "LATE-1" not in again.message
    assert len(audit_actions(app, "alert.order_overdue")) == 3


def test_many_orders_make_one_alert_naming_the_first_few(app, acme) -> None:
    shop = make_shop(app, acme.org_id)
    for i in range(8):
        make_order(app, acme.org_id, shop, f"N-{i}", NOW - timedelta(hours=8 - i))
    [alert] = overdue.run(app, now=NOW)
    assert alert.message.startswith("店铺 杯子店 (shop")
    assert "8 笔订单" in alert.message and "N-0, N-1, N-2, N-3, N-4 … (+3)" in alert.message


def test_forwarding_sends_each_alert_once_grouped_by_org(alert_app, acme, globex) -> None:
    app = alert_app
    first = raise_alert(app, acme.org_id, "sync.failing", "warning", "shop 1 failing")
    raise_alert(app, acme.org_id, "sync.recovered", "info", "below the threshold")
    second = raise_alert(app, acme.org_id, "order.refund_hold", "critical", "请勿发货")
    theirs = raise_alert(app, globex.org_id, "sync.failing", "critical", "globex")
    raise_alert(app, acme.org_id, "notification.register", "critical", "never forwarded")
    report = forwarding.run(app)
    assert (report.forwarded, report.notifications, report.error) == (3, 2, None)
    by_org = {n.org_id: n for n in SENT}
    assert [a.id for a in by_org[acme.org_id].alerts] == [first.id, second.id]
    assert by_org[acme.org_id].subject == "orderhub [acme] 2 alerts (1 critical)"
    assert "请勿发货" in by_org[acme.org_id].body
    assert [a.id for a in by_org[globex.org_id].alerts] == [theirs.id]
    assert by_org[acme.org_id].kind == "alert" and by_org[acme.org_id].recipient == "operators"
    assert forwarding.run(app).forwarded == 0  # once each
    events = audit_actions(app, "alert.forwarded")
    assert sorted(int(e.target_id) for e in events) == sorted([first.id, second.id, theirs.id])
    assert {e.detail for e in events} == {"recorder"}


def test_a_refund_hold_written_by_the_order_store_reaches_the_notifiers(alert_app, acme) -> None:
    """The hold alert is stored with the order, in the sync's transaction; no hook fires
    for it, and the forwarding pass still sends it."""
    from core.contracts import RefundStatus
    from tests.desk.test_edits import platform_order, store

    app = alert_app
    shop = make_shop(app, acme.org_id)
    store(app, acme.org_id, shop, "H-1", source="sync")
    with app.tx() as session:
        session.execute(update(Order).values(hub_status="audited"))
    later = platform_order("H-1").updated_at + timedelta(hours=1)
    store(
        app,
        acme.org_id,
        shop,
        "H-1",
        source="sync",
        refund_status=RefundStatus.IN_PROGRESS,
        updated_at=later,
    )
    [hold] = [a for a in stored_alerts(app) if a.kind == "order.refund_hold"]
    assert forwarding.run(app).forwarded == 1
    [note] = SENT
    assert [a.id for a in note.alerts] == [hold.id] and "请勿发货" in note.body


def test_acked_old_and_off_are_not_forwarded(alert_app, acme, settings, frozen_clock) -> None:
    app = alert_app
    frozen_clock[0] = NOW - timedelta(hours=30)
    raise_alert(app, acme.org_id, "sync.failing", "critical", "old")
    frozen_clock[0] = NOW
    acked = raise_alert(app, acme.org_id, "sync.failing", "critical", "seen")
    from core.alertdesk import listing

    listing.ack_alerts(app, acme.admin, [acked.id])
    assert forwarding.run(app).forwarded == 0
    raise_alert(app, acme.org_id, "sync.failing", "critical", "new")
    off = open_app(replace(settings, alerts=AlertSettings(forward_severity="off")))
    try:
        assert forwarding.run(off).forwarded == 0
    finally:
        off.close()
    assert forwarding.run(app).forwarded == 1


def test_a_channel_that_is_down_keeps_alerts_for_later_and_warns_once(alert_app, acme) -> None:
    app = alert_app
    Recorder.down = True
    raise_alert(app, acme.org_id, "sync.failing", "critical", "x")
    first = forwarding.run(app)
    assert first.forwarded == 0 and "503" in first.error
    forwarding.run(app)
    failed = [a for a in stored_alerts(app) if a.kind == "alerts.forward_failed"]
    assert len(failed) == 1 and failed[0].message.startswith("[forwarding] ")
    Recorder.down = False
    assert forwarding.run(app).forwarded == 1


def test_run_now_needs_settings_manage(alert_app, acme) -> None:
    clerk = acme.staff("clerk", "print_operator")
    with pytest.raises(PermissionDenied):
        passes.run_now(alert_app, clerk)
    report = passes.run_now(alert_app, acme.admin)
    assert report.raised == [] and report.forward_error is None
