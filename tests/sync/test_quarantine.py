"""One unreadable order never stops a shop's sync: it is quarantined (raw payload sealed,
one alert), the rest of its window is stored and the cursor moves on in the same
transaction (invariant 2); a later read that maps stores it and clears the quarantine —
a window serving it again, or the pass's retry by order detail. With the windows read in
this process and in reader processes, on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from core import clock
from core.models import Alert, QuarantinedOrder
from core.models.base import SEALED_TAG
from core.sync.engine import UNREADABLE_ALERT
from core.sync.parallel import ParallelWindowReader
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from plugins.platforms.pinduoduo.sandbox.clock import parse_beijing
from tests.sync.rig import Rig, make_rig, stored_states, truth

READERS = {
    "thread": {},
    "processes": {"read_processes": 2, "parallel_min_windows": 2},
}


@pytest.fixture(params=sorted(READERS))
def rig(settings, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    if request.param == "processes":  # no warm-up thread: every window crosses a process
        monkeypatch.setattr(ParallelWindowReader, "_read_here", lambda self: None)
    config = SandboxConfig(seed=5, shops=1, orders=150, history_days=0.5)
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=1, **READERS[request.param])
        yield built
        built.app.close()


def quarantined(rig: Rig) -> list[QuarantinedOrder]:
    with rig.app.tx() as session:
        return list(session.scalars(select(QuarantinedOrder)))


def alerts(rig: Rig) -> list[Alert]:
    with rig.app.tx() as session:
        return list(session.scalars(select(Alert).where(Alert.kind == UNREADABLE_ALERT)))


def stored_raw(rig: Rig) -> bytes:
    with rig.app.engine.connect() as conn:
        value = conn.execute(text("SELECT raw FROM quarantined_orders")).scalar_one()
    return bytes(value)


def sync_with_one_bad_order(rig: Rig) -> tuple[int, str, str]:
    """Bind the shop, plant one unreadable order in the middle of its history, sync it."""
    owner_id = rig.sandbox.shops[0].owner_id
    orders = sorted(truth(rig, owner_id).values(), key=lambda o: o["updated_at"])
    sn = orders[len(orders) // 2]["order_sn"]
    rig.sandbox.garble(sn, touch=False)  # served in its own window, refused by the mapping
    rig.settle()
    shop_id = rig.bind(owner_id)
    reports = rig.sync_until_done(shop_id)
    assert [r.status for r in reports] == ["ok"] * len(reports)
    return shop_id, owner_id, sn


def test_an_unreadable_order_is_quarantined_and_the_rest_stored(rig: Rig) -> None:
    shop_id, owner_id, sn = sync_with_one_bad_order(rig)

    served = truth(rig, owner_id)
    assert set(stored_states(rig.app, shop_id)) == set(served) - {sn}
    runs = rig.runs(shop_id)
    shop = rig.shop(shop_id)
    assert clock.as_utc(shop.sync_cursor) == clock.as_utc(runs[-1].window_end)
    assert shop.sync_cursor.timestamp() > parse_beijing(served[sn]["updated_at"])
    assert all(run.status == "ok" for run in runs)

    (row,) = quarantined(rig)
    assert (row.shop_id, row.platform_order_no) == (shop_id, sn)
    assert "goods_price" in row.reason and "more than two decimals" in row.reason
    assert row.raw == served[sn]  # the payload as served, read back through the keyring
    assert row.retries >= 1  # the pass asked for it by detail; it still did not read
    blob = stored_raw(rig)
    assert blob.startswith(SEALED_TAG)
    assert sn.encode() not in blob and b"goods_price" not in blob

    (alert,) = alerts(rig)
    assert sn in alert.message and "goods_price" in alert.message
    assert alert.severity == "warning" and alert.org_id == rig.org.org_id

    rig.sync(shop_id)  # seen again (overlap) or retried: still one row, still one alert
    assert [r.platform_order_no for r in quarantined(rig)] == [sn]
    assert len(alerts(rig)) == 1


@pytest.mark.parametrize("touch", [True, False], ids=["served-again", "by-detail"])
def test_a_quarantined_order_that_reads_later_is_stored_and_cleared(rig: Rig, touch: bool) -> None:
    """`touch`: the platform updated the order, so a window serves it again; without, only
    the retry by order detail at the end of the pass can read it."""
    shop_id, owner_id, sn = sync_with_one_bad_order(rig)
    assert [r.platform_order_no for r in quarantined(rig)] == [sn]

    rig.sandbox.garble(sn, on=False, touch=touch)
    rig.settle()
    report = rig.sync(shop_id)
    assert report.status == "ok"
    assert report.recovered == (0 if touch else 1)
    assert sum(w.cleared for w in report.windows) == (1 if touch else 0)

    assert quarantined(rig) == []
    stored = stored_states(rig.app, shop_id)
    assert set(stored) == set(truth(rig, owner_id))
    assert stored[sn][0].timestamp() == parse_beijing(truth(rig, owner_id)[sn]["updated_at"])
    assert len(alerts(rig)) == 1
