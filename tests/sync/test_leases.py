"""Shop leases on both backends: due shops, one holder at a time, expiry and takeover,
fenced writes, and workers racing for shops."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.contracts.platform import OrderWindow
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import Shop, SyncRun
from core.sync import lease as leases
from core.sync.engine import FetchedWindow, WindowReport, store_window
from core.sync.scheduler import request_sync, sync_shop


def add_shops(app, org, count: int, **values) -> list[int]:
    with app.tx() as session:
        shops = [
            Shop(
                org_id=org.org_id,
                platform="pinduoduo",
                platform_shop_id=str(9000 + n),
                name=f"店铺{n}",
                **values,
            )
            for n in range(count)
        ]
        session.add_all(shops)
        session.flush()
        return [s.id for s in shops]


def holder(app, shop_id: int) -> tuple[str | None, object]:
    with app.tx() as session:
        shop = session.get(Shop, shop_id)
        return shop.lease_owner, shop.lease_expires_at


def test_only_due_active_enabled_shops_are_claimed(app, acme, frozen_clock) -> None:
    now = clock.now()
    due, later, never, off, expired = add_shops(app, acme, 5)
    with app.tx() as session:
        session.get(Shop, due).next_sync_at = now - timedelta(minutes=1)
        session.get(Shop, later).next_sync_at = now + timedelta(minutes=3)
        session.get(Shop, off).sync_enabled = False
        session.get(Shop, expired).status = "auth_expired"
    claimed = []
    while (lease := leases.claim_next_due(app, "w1")) is not None:
        claimed.append(lease.shop_id)
    assert claimed == [never, due]  # never synced first, then the most overdue
    assert holder(app, due) == ("w1", now + timedelta(seconds=120))
    assert leases.claim_next_due(app, "w2") is None


def test_a_held_shop_is_refused_until_its_lease_expires(app, acme, frozen_clock) -> None:
    (shop_id,) = add_shops(app, acme, 1)
    lease = leases.claim_shop(app, shop_id, "host-a:1")
    with pytest.raises(Conflict, match="host-a:1"):
        leases.claim_shop(app, shop_id, "host-b:2")
    assert leases.claim_next_due(app, "host-b:2") is None
    assert leases.claim_shop(app, shop_id, "host-a:1").owner == "host-a:1"  # mine again

    frozen_clock[0] += timedelta(seconds=121)  # host-a crashed and stopped renewing
    taken = leases.claim_shop(app, shop_id, "host-b:2")
    assert taken.owner == "host-b:2"
    with pytest.raises(leases.LeaseLost), app.tx() as session:
        leases.renew(session, lease, 120)
    assert not leases.release(app, lease)  # a stale release changes nothing
    assert holder(app, shop_id)[0] == "host-b:2"


def test_a_stale_worker_cannot_commit_a_window(app, acme, frozen_clock) -> None:
    """Fencing: the window commit checks the lease in its own transaction."""
    (shop_id,) = add_shops(app, acme, 1)
    stale = leases.claim_shop(app, shop_id, "slow")
    frozen_clock[0] += timedelta(minutes=3)
    leases.claim_shop(app, shop_id, "fast")
    window = OrderWindow(clock.now() - timedelta(minutes=30), clock.now() - timedelta(minutes=5))
    with pytest.raises(leases.LeaseLost):
        store_window(
            app,
            stale,
            org_id=acme.org_id,
            cursor=None,
            window=window,
            fetched=FetchedWindow([], 1, 1),
            report=WindowReport(shop_id, window, "scheduled"),
            backfill=False,
        )
    with app.tx() as session:
        assert session.get(Shop, shop_id).sync_cursor is None
        assert session.scalars(select(SyncRun)).all() == []


def test_leases_are_renewed_and_released(app, acme, frozen_clock) -> None:
    (shop_id,) = add_shops(app, acme, 1)
    lease = leases.claim_shop(app, shop_id, "w")
    frozen_clock[0] += timedelta(seconds=100)
    renewed = leases.renew_now(app, lease)
    assert renewed.expires_at == clock.now() + timedelta(seconds=120)
    frozen_clock[0] += timedelta(seconds=100)  # 200 s after the claim: still held
    with pytest.raises(Conflict):
        leases.claim_shop(app, shop_id, "other")
    assert leases.release_all(app, "w") == 1
    assert holder(app, shop_id) == (None, None)


@pytest.mark.parametrize("workers", [4])
def test_racing_workers_never_claim_one_shop_twice(app, acme, workers: int) -> None:
    """Threads with their own connections claim at once; each shop goes to one of them
    (SKIP LOCKED and the conditional UPDATE on PostgreSQL, the write lock on SQLite)."""
    shop_ids = add_shops(app, acme, 12)
    start = threading.Barrier(workers)
    claimed: dict[str, list[int]] = {f"w{n}": [] for n in range(workers)}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            start.wait()
            while (lease := leases.claim_next_due(app, name)) is not None:
                claimed[name].append(lease.shop_id)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    everything = [shop for shops in claimed.values() for shop in shops]
    assert sorted(everything) == sorted(shop_ids)  # each exactly once
    for name, shops in claimed.items():
        assert all(holder(app, s)[0] == name for s in shops)


def test_who_may_sync_which_shop(app, acme, globex, frozen_clock) -> None:
    (shop_id,) = add_shops(app, acme, 1, next_sync_at=clock.now() + timedelta(hours=1))
    finance = acme.staff("kuaiji", "finance")
    with pytest.raises(PermissionDenied, match=r"order\.import or shop\.bind"):
        sync_shop(app, finance, shop_id)
    with pytest.raises(PermissionDenied):
        request_sync(app, finance, shop_id)
    with pytest.raises(NotFound):  # another org's shop does not exist for globex
        request_sync(app, globex.admin, shop_id)
    printer = acme.staff("dayin", "print_operator")  # has order.import
    asked = request_sync(app, printer, shop_id)
    assert (asked.shop_id, asked.due_at, asked.running_worker) == (shop_id, clock.now(), None)
    assert leases.claim_next_due(app, "w").shop_id == shop_id  # due now
    assert request_sync(app, printer, shop_id).running_worker == "w"  # a worker holds it


def test_sync_now_is_refused_when_no_worker_would_take_the_shop(app, acme) -> None:
    unbound, paused = add_shops(app, acme, 2)
    with app.tx() as session:
        session.get(Shop, unbound).status = "unbound"
        session.get(Shop, paused).sync_enabled = False
    with pytest.raises(Conflict, match="unbound; bind it again"):
        request_sync(app, acme.admin, unbound)
    with pytest.raises(Conflict, match="switched off"):
        request_sync(app, acme.admin, paused)


def test_an_unbound_shop_is_not_synced_by_hand(app, acme) -> None:
    (shop_id,) = add_shops(app, acme, 1, status="unbound")
    with pytest.raises(Conflict, match="unbound; bind it again"):
        sync_shop(app, acme.admin, shop_id)
    with pytest.raises(ValidationError, match="both since and until"):
        sync_shop(app, acme.admin, shop_id, since=clock.now())
