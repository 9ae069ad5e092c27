"""Orders that move: background activity over simulated time, and changes during paging."""

from __future__ import annotations

from plugins.platforms.pinduoduo.sandbox import Sandbox, SandboxConfig
from plugins.platforms.pinduoduo.sandbox.clock import parse_beijing
from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts

HOUR = 3600


def _moving_config(**changes) -> SandboxConfig:
    settings = {"seed": 3, "orders": 200, "new_orders_per_hour": 120, "updates_per_hour": 240}
    return SandboxConfig(**{**settings, **changes})


def test_activity_adds_and_updates_orders_as_simulated_time_passes(frozen_clock: list) -> None:
    sandbox = Sandbox(_moving_config())
    before = {t["order"]["order_sn"]: t["order"] for t in sandbox.ground_truth()}
    start = sandbox.now()
    sandbox.advance(2 * HOUR)
    after = {t["order"]["order_sn"]: t["order"] for t in sandbox.ground_truth()}
    new = set(after) - set(before)
    changed = {sn for sn in before if after[sn] != before[sn]}
    assert 150 < len(new) < 350  # ~240 expected at 120/h
    assert 300 < len(changed) + len(new) < 800
    for sn in new | changed:
        assert start < parse_beijing(after[sn]["updated_at"]) <= sandbox.now()
    # Late updates: some changed orders were created days before.
    assert any(
        sandbox.now() - parse_beijing(after[sn]["created_time"]) > 2 * 86_400 for sn in changed
    )
    kinds = {(before[sn]["order_status"], after[sn]["order_status"]) for sn in changed}
    assert (1, 2) in kinds and (2, 3) in kinds
    assert any(after[sn]["refund_status"] != before[sn]["refund_status"] for sn in changed)


def test_activity_does_not_depend_on_when_requests_arrive(frozen_clock: list) -> None:
    """One big step and sixty small ones replay the same history."""
    one, many = Sandbox(_moving_config()), Sandbox(_moving_config())
    one.advance(HOUR)
    for _ in range(60):
        many.advance(60)
    assert one.ground_truth() == many.ground_truth()


def test_new_orders_are_paid_and_most_already_confirmed(frozen_clock: list) -> None:
    sandbox = Sandbox(_moving_config(updates_per_hour=0))
    before = {o.sn for o in sandbox.store.shop_orders()}
    sandbox.advance(HOUR)
    new = [t["order"] for t in sandbox.ground_truth() if t["order"]["order_sn"] not in before]
    assert new and all(o["order_status"] == 1 and o["pay_time"] for o in new)
    confirmed = sum(o["confirm_status"] == 1 for o in new)
    assert confirmed > len(new) // 2
    assert all(o["receiver_name"].startswith("~") for o in new if not o["risk_control_status"])


def _window_sns(gw: Gateway, token: str, start: int, end: int) -> set[str]:
    return {o["order_sn"] for page in gw.pages(token, start, end) for o in page["order_sn_list"]}


def test_orders_change_while_a_sync_pages_through_a_window(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    owner_id = sandbox.shops[0].owner_id
    stamps = sorted(o.updated_ts for o in sandbox.store.shop_orders(owner_id))
    end = max(stamps, key=lambda t: sum(t - 1800 <= x <= t for x in stamps))  # busiest window
    start = end - 1800
    sandbox.set_moving(1, "into_window")
    version = sandbox.store.version
    pages, page = [], 1
    while True:
        body = gw.ok(
            INCREMENT,
            token,
            start_updated_at=start,
            end_updated_at=end,
            page=page,
            page_size=2,
            **ALL,
        )
        pages.append(body)
        if not body["has_next"]:
            break
        page += 1
    assert len(pages) >= 3 and sandbox.store.version == version + len(pages)
    totals = [p["total_count"] for p in pages]
    assert totals == sorted(totals) and totals[-1] > totals[0]  # orders arrived from older windows
    truth = {t["order"]["order_sn"]: t["order"] for t in sandbox.ground_truth(owner_id)}
    moved = {sn for sn, o in truth.items() if o["remark"].startswith("翻页期间改备注")}
    assert moved and all(start <= parse_beijing(truth[sn]["updated_at"]) <= end for sn in moved)
    in_window = {sn for sn, o in truth.items() if start <= parse_beijing(o["updated_at"]) <= end}
    read = {o["order_sn"] for p in pages for o in p["order_sn_list"]}
    assert in_window - read, "paging newest-first while orders move up must miss some"
    sandbox.set_moving(0)
    assert _window_sns(gw, token, start, end) == in_window  # a re-read once it is quiet


def test_moving_to_now_takes_orders_out_of_the_window(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    owner_id = sandbox.shops[0].owner_id
    end = now_ts() - 7200
    start = end - 1800
    sandbox.set_moving(2, "to_now")
    first = gw.ok(INCREMENT, token, start_updated_at=start, end_updated_at=end, page_size=1, **ALL)
    gw.ok(INCREMENT, token, start_updated_at=start, end_updated_at=end, page_size=1, **ALL)
    truth = {t["order"]["order_sn"]: t["order"] for t in sandbox.ground_truth(owner_id)}
    moved = [o for o in truth.values() if o["remark"].startswith("翻页期间改备注")]
    assert len(moved) == 4
    assert all(parse_beijing(o["updated_at"]) >= now_ts() for o in moved)
    assert first["total_count"] >= 0
