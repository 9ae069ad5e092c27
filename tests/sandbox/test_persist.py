"""The state file: a restarted sandbox continues the same world."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from plugins.platforms.pinduoduo.sandbox.persist import StateFileError, load_sandbox
from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts, waybill_request


def test_a_restart_keeps_orders_tokens_waybills_and_clock(
    tmp_path: Path, frozen_clock: list
) -> None:
    state = tmp_path / "state.json"
    config = SandboxConfig(
        seed=5, orders=150, state_file=state, new_orders_per_hour=60, updates_per_hour=60
    )
    with SandboxServer(config) as server:
        gw = Gateway(server)
        sandbox = server.sandbox
        grant = sandbox.grant()
        sn = sandbox.store.sns[0]
        sandbox.update(sn, remark="重启前的备注", remark_tag=2)
        added = sandbox.add_orders(2)
        sandbox.advance(3600)  # activity: more new and changed orders
        request = waybill_request(gw, grant["access_token"], "ZTO", ["before-restart"])
        gw.ok(
            "pdd.waybill.get",
            grant["access_token"],
            param_waybill_cloud_print_apply_new_request=request,
        )
        search = gw.ok("pdd.waybill.search", grant["access_token"])
        waybills = sandbox.waybills.dump()
        before = sandbox.ground_truth()
        offset = sandbox.clock.offset
        serial = sandbox.factory.serial
    assert state.exists()

    with SandboxServer(SandboxConfig(seed=999, orders=1, state_file=state)) as server:
        assert server.resumed
        sandbox = server.sandbox
        assert (sandbox.config.seed, sandbox.config.orders) == (5, 150)  # the file's world
        assert sandbox.clock.offset == offset and sandbox.factory.serial == serial
        assert sandbox.ground_truth() == before
        assert {sn, *added} <= set(sandbox.store.orders)
        gw = Gateway(server)
        now = now_ts() + offset
        body = gw.ok(
            INCREMENT, grant["access_token"], start_updated_at=now - 1800, end_updated_at=now, **ALL
        )
        assert body["total_count"] > 0
        again = gw.ok("pdd.waybill.search", grant["access_token"])
        cols = "waybill_apply_subscription_cols"
        assert again[cols] == search[cols] and sandbox.waybills.dump() == waybills
        assert len(waybills["waybills"]) == 1
        again = gw.ok(
            "pdd.waybill.get",
            grant["access_token"],
            param_waybill_cloud_print_apply_new_request=request,
        )
        assert again["modules"][0]["waybill_code"] == waybills["waybills"][0]["waybill_code"]
        new = sandbox.add_orders(1)
        assert new[0] not in before  # numbering continues, no clash


def test_only_changes_are_written(tmp_path: Path, frozen_clock: list) -> None:
    state = tmp_path / "state.json"
    with SandboxServer(SandboxConfig(orders=500, state_file=state)) as server:
        server.sandbox.update(server.sandbox.store.sns[3], buyer_memo="改了")
    data = json.loads(state.read_text(encoding="utf-8"))
    assert [o["sn"] for o in data["orders"]] == [server.sandbox.store.sns[3]]


def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text("{not json", encoding="utf-8")
    with pytest.raises(StateFileError, match=r"state\.json"):
        load_sandbox(SandboxConfig(state_file=state))
    state.write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(StateFileError, match="unknown state format"):
        load_sandbox(SandboxConfig(state_file=state))
