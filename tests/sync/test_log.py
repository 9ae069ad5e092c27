"""The sync log as people read it (`core.sync.log`): recent runs newest first, org-scoped,
one shop's runs, the passes a worker holds right now; reading needs order.view or shop.bind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Shop, SyncRun
from core.sync import log as sync_log

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def _shop(app, org_id: int, name: str, **values) -> int:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        shop = Shop(org_id=org_id, platform="pinduoduo", platform_shop_id=name, name=name, **values)
        session.add(shop)
        session.flush()
        return shop.id


def _run(app, org_id: int, shop_id: int, minutes: int, **values) -> None:  # type: ignore[no-untyped-def]
    start = T0 + timedelta(minutes=minutes)
    with app.tx() as session:
        session.add(
            SyncRun(
                org_id=org_id,
                shop_id=shop_id,
                kind=values.pop("kind", "scheduled"),
                window_start=start - timedelta(minutes=5),
                window_end=start,
                status=values.pop("status", "ok"),
                started_at=start,
                finished_at=start + timedelta(seconds=2),
                duration_ms=2000,
                **values,
            )
        )


def test_recent_runs_newest_first_of_the_actors_org(app, acme, globex) -> None:
    cups = _shop(app, acme.org_id, "杯子店")
    bowls = _shop(app, acme.org_id, "碗店")
    theirs = _shop(app, globex.org_id, "other")
    _run(app, acme.org_id, cups, 0, seen=10, new=8, updated=2, pages=1)
    _run(app, acme.org_id, bowls, 5, status="failed", error="gateway timeout")
    _run(app, acme.org_id, cups, 10, kind="manual", seen=1, new=1)
    _run(app, globex.org_id, theirs, 20)

    runs = sync_log.recent_runs(app, acme.admin)
    assert [(r.shop_name, r.kind, r.status) for r in runs] == [
        ("杯子店", "manual", "ok"),
        ("碗店", "scheduled", "failed"),
        ("杯子店", "scheduled", "ok"),
    ]
    assert runs[1].error == "gateway timeout"
    assert (runs[2].seen, runs[2].new, runs[2].updated, runs[2].pages) == (10, 8, 2, 1)
    assert runs[0].started_at == T0 + timedelta(minutes=10)

    assert [r.shop_id for r in sync_log.recent_runs(app, acme.admin, shop_id=bowls)] == [bowls]
    assert len(sync_log.recent_runs(app, acme.admin, limit=1)) == 1
    with pytest.raises(NotFound):
        sync_log.recent_runs(app, acme.admin, shop_id=theirs)
    with pytest.raises(ValidationError, match="limit"):
        sync_log.recent_runs(app, acme.admin, limit=0)


def test_running_passes_are_shops_with_a_live_lease(app, acme, frozen_clock) -> None:
    now = frozen_clock[0]
    cursor = now - timedelta(hours=3)
    live = _shop(
        app,
        acme.org_id,
        "live",
        lease_owner="worker-a",
        lease_expires_at=now + timedelta(seconds=90),
        sync_cursor=cursor,
    )
    _shop(app, acme.org_id, "expired", lease_owner="worker-b", lease_expires_at=now)
    _shop(app, acme.org_id, "idle")

    (running,) = sync_log.running_passes(app, acme.admin)
    assert (running.shop_id, running.shop_name, running.worker) == (live, "live", "worker-a")
    assert running.cursor == cursor and running.lease_expires_at == now + timedelta(seconds=90)


def test_reading_the_log_needs_order_view_or_shop_bind(app, acme) -> None:
    reader = acme.staff("reader", "read_only")
    assert sync_log.recent_runs(app, reader) == []
    nobody = acme.staff("nobody")
    with pytest.raises(PermissionDenied):
        sync_log.recent_runs(app, nobody)
    with pytest.raises(PermissionDenied):
        sync_log.running_passes(app, nobody)


def test_runs_page_walks_the_log_by_keyset(app, acme, globex) -> None:
    cups = _shop(app, acme.org_id, "杯子店")
    theirs = _shop(app, globex.org_id, "other")
    for minutes in range(5):
        _run(app, acme.org_id, cups, minutes, status="failed" if minutes == 2 else "ok")
    _run(app, globex.org_id, theirs, 9)

    first = sync_log.runs_page(app, acme.admin, limit=2)
    assert [r.window_end for r in first.items] == [T0 + timedelta(minutes=m) for m in (4, 3)]
    second = sync_log.runs_page(app, acme.admin, limit=2, after=first.next_cursor)
    third = sync_log.runs_page(app, acme.admin, limit=2, after=second.next_cursor)
    assert len(second.items) == 2 and len(third.items) == 1 and third.next_cursor is None
    ids = [r.id for page in (first, second, third) for r in page.items]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 5
    # A run logged meanwhile does not shift the pages already handed out.
    _run(app, acme.org_id, cups, 30)
    again = sync_log.runs_page(app, acme.admin, limit=2, after=first.next_cursor)
    assert [r.id for r in again.items] == [r.id for r in second.items]

    (failed,) = sync_log.runs_page(app, acme.admin, status="failed").items
    assert failed.window_end == T0 + timedelta(minutes=2)
    with pytest.raises(NotFound):
        sync_log.runs_page(app, acme.admin, shop_id=theirs)
    for bad in ({"after": "nope"}, {"status": "lost"}, {"limit": 0}):
        with pytest.raises(ValidationError):
            sync_log.runs_page(app, acme.admin, **bad)
    with pytest.raises(PermissionDenied):
        sync_log.runs_page(app, acme.staff("guest"))
