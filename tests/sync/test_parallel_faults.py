"""A parallel pass (reader processes) under token faults: a token that expires twice in
one pass is refreshed each time, and a pass that fails ends within seconds, every time,
leaving no reader process, thread or semaphore behind."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from core.models import AuditEvent
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.rig import Rig, make_rig, mismatches

PARALLEL = {"read_processes": 2, "parallel_min_windows": 2}


@pytest.fixture
def rig(settings) -> Iterator[Rig]:
    config = SandboxConfig(seed=29, shops=1, orders=1500, history_days=5.0)
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=6, **PARALLEL)
        yield built
        built.app.close()


def refreshes(rig: Rig) -> int:
    with rig.app.tx() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "shop.token_refresh")
        )


def test_a_token_expiring_again_and_again_in_one_pass_is_refreshed_each_time(rig: Rig) -> None:
    """Each reader process holds the token it was given; one refreshes it (which revokes
    the old one), the others then meet a revoked token, and later the new one expires too:
    none of that may fail the pass."""
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    rig.sandbox.set_faults("token_expiry=40")  # every token dies after 40 calls with it
    report = rig.sync(shop_id)
    assert report.status == "ok", report.error
    assert not report.more and len(report.windows) > 100
    assert rig.sandbox.faults.counts["token_expiry"] >= 2 and refreshes(rig) >= 2
    assert rig.shop(shop_id).status == "active"
    rig.sandbox.set_faults("")
    assert mismatches(rig, owner_id) == []
    assert multiprocessing.active_children() == []
