"""When syncing fails: the sync log, the failure count, one alert, and a cursor that stays
at the last committed window (invariant 2)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.models import Alert
from core.sync.scheduler import window_rules
from core.sync.windows import plan_pass
from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.rig import Rig, make_rig, mismatches, stored_states

INCREMENT = "pdd.order.number.list.increment.get"


@pytest.fixture
def rig(settings) -> Iterator[Rig]:
    config = SandboxConfig(seed=3, shops=1, orders=120, history_days=0.5)
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=1, alert_after_failures=3)
        yield built
        built.app.close()


def alerts(rig: Rig, kind: str) -> list[Alert]:
    with rig.app.tx() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == kind)))


def test_failures_are_logged_counted_and_alerted_once(rig: Rig) -> None:
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    rig.sandbox.set_faults(f"500=1.0@{INCREMENT}")
    for attempt in range(1, 5):
        report = rig.sync(shop_id)
        assert report.status == "failed" and report.failures == attempt
        assert "HTTP 500" in report.error
        shop = rig.shop(shop_id)
        assert shop.consecutive_failures == attempt and shop.sync_cursor is None
        assert shop.lease_owner is None
        due = clock.as_utc(shop.next_sync_at) - clock.now()
        assert timedelta(minutes=4) < due <= timedelta(minutes=5)  # retried at the interval
        assert len(alerts(rig, "sync.failing")) == (0 if attempt < 3 else 1)
    failed = rig.runs(shop_id)
    assert [r.status for r in failed] == ["failed"] * 4
    assert all("HTTP 500" in r.error and r.window_end > r.window_start for r in failed)
    (alert,) = alerts(rig, "sync.failing")
    assert alert.severity == "critical" and "3 times in a row" in alert.message
    assert "HTTP 500" in alert.message

    rig.sandbox.set_faults("")
    assert rig.sync(shop_id).status == "ok"
    assert rig.shop(shop_id).consecutive_failures == 0
    assert len(alerts(rig, "sync.recovered")) == 1
    # A new streak after a recovery alerts again, once.
    rig.sandbox.set_faults(f"500=1.0@{INCREMENT}")
    for _ in range(3):
        rig.sync(shop_id)
    assert len(alerts(rig, "sync.failing")) == 2


def test_a_pass_failing_before_its_first_window_is_logged_at_the_cursor(rig: Rig) -> None:
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    rig.sandbox.set_faults("503=1.0@pdd.time.get")
    report = rig.sync(shop_id)
    assert report.status == "failed" and report.windows == []
    (run,) = rig.runs(shop_id)
    assert run.status == "failed" and "pdd.time.get" in run.error
    assert run.window_start == run.window_end


def test_an_unreadable_order_does_not_fail_the_window_but_is_named(rig: Rig) -> None:
    """An order the mapping refuses used to fail the window (and so every later order of
    the shop waited); now it is quarantined, named in an alert and the window's run, and
    the rest is stored with the cursor (tests/sync/test_quarantine.py has the rest)."""
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    victim = next(iter(rig.sandbox.store.shop_orders(owner_id)))
    rig.sandbox.mutate(victim.sn, rig.sandbox.now(), lambda o: o.data.update(pay_amount="十块"))
    rig.settle()
    report = rig.sync(shop_id)
    assert report.status == "ok" and rig.shop(shop_id).consecutive_failures == 0
    served = {o.sn for o in rig.sandbox.store.shop_orders(owner_id)}
    assert set(stored_states(rig.app, shop_id)) == served - {victim.sn}
    (alert,) = alerts(rig, "sync.order_unreadable")
    assert victim.sn in alert.message and "pay_amount" in alert.message


def test_cursor_stays_put_when_a_window_fails_half_way(settings, frozen_clock) -> None:
    """A multi-page window fails after some of its pages were read: nothing of it is
    stored and the cursor stays at the end of the last committed window; the next pass
    starts there and loses nothing."""
    frozen_clock[0] = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    config = SandboxConfig(seed=8, shops=1, orders=900, history_days=0.03)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, initial_days=1)
        try:
            rig.settle()
            owner_id = rig.sandbox.shops[0].owner_id
            platform_now = datetime.fromtimestamp(rig.sandbox.now(), UTC)
            plan = plan_pass(None, platform_now, window_rules(rig.app, PinduoduoPlatform))
            stamps = [o.updated_ts for o in rig.sandbox.store.shop_orders(owner_id)]
            calls, target = 0, None
            for window in plan.windows:
                start = math.floor(window.start.timestamp())
                end = math.ceil(window.end.timestamp())
                total = sum(start <= s <= end for s in stamps)
                pages = math.ceil(total / 100)
                if pages >= 3:
                    target = window
                    calls += 3  # page 1 for the total, then the last page and the one before
                    break
                calls += 1 if pages <= 1 else 1 + pages
            assert target is not None, "the sandbox should have a window of several pages"
            rig.sandbox.limiter.table[INCREMENT] = {"shop": ((calls, 3600.0),)}

            shop_id = rig.bind(owner_id)
            report = rig.sync(shop_id)
            assert report.status == "failed" and "70031" in report.error
            failed = rig.runs(shop_id)[-1]
            assert failed.status == "failed"
            assert clock.as_utc(failed.window_start) == target.start
            cursor = clock.as_utc(rig.shop(shop_id).sync_cursor)
            assert cursor == target.start == report.windows[-1].window.end
            stored = stored_states(rig.app, shop_id)
            assert all(state[0] <= cursor for state in stored.values())
            assert mismatches(rig, owner_id, before=cursor) == []

            rig.sandbox.limiter.enabled = False
            assert rig.sync(shop_id).status == "ok"
            assert mismatches(rig, owner_id) == []
        finally:
            rig.app.close()
