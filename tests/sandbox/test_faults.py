"""Fault injection: every kind, per-API targeting, reproducibility, counters, token expiry."""

from __future__ import annotations

import json

import httpx
import pytest

from plugins.platforms.pinduoduo.sandbox import FaultSpec, FaultSpecError
from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts


def _window() -> dict:
    now = now_ts()
    return {"start_updated_at": now - 1800, "end_updated_at": now, **ALL}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_http_errors(gw: Gateway, token: str, status: int) -> None:
    gw.server.sandbox.set_faults(f"{status}=1")
    response = gw.post(gw.params(INCREMENT, token, **_window()))
    assert response.status_code == status
    assert not response.headers["content-type"].startswith("application/json")
    assert gw.server.sandbox.faults.counts[str(status)] == 1


@pytest.mark.parametrize(
    ("code", "text"),
    [(52101, "当前接口被限流"), (70031, "调用过于频繁"), (52103, "服务暂时不可用")],
)
def test_throttling_codes(gw: Gateway, token: str, code: int, text: str) -> None:
    gw.server.sandbox.set_faults(f"{code}=1")
    error = gw.error(INCREMENT, token, **_window())
    assert (error["error_code"], error["error_msg"]) == (code, text)


def test_malformed_json_is_a_truncated_answer(gw: Gateway, token: str) -> None:
    gw.server.sandbox.set_faults("malformed=1")
    response = gw.post(gw.params(INCREMENT, token, **_window()))
    assert response.status_code == 200
    assert response.content.startswith(b'{"order_sn_increment_get_response":')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_a_timeout_processes_the_request_but_holds_the_answer(gw: Gateway, token: str) -> None:
    """The nasty case: the shipment happened, the client never heard."""
    sandbox = gw.server.sandbox
    sandbox.set_faults("timeout=1@pdd.logistics.online.send,delay=2")
    order = next(
        o
        for o in sandbox.store.shop_orders(sandbox.shops[0].owner_id)
        if o.order_status == 1
        and o.refund_status == 1
        and o.data["confirm_status"] == 1
        and not o.data["risk_control_status"]
    )
    params = gw.params(
        "pdd.logistics.online.send",
        token,
        order_sn=order.sn,
        logistics_id=115,
        tracking_number="78" + "1" * 12,
    )
    with pytest.raises(httpx.ReadTimeout):
        gw.post(params, timeout=0.3)
    assert order.order_status == 2 and order.data["tracking_number"] == "78" + "1" * 12
    sandbox.set_faults("")
    retry = gw.ok(
        "pdd.logistics.online.send",
        token,
        order_sn=order.sn,
        logistics_id=115,
        tracking_number="78" + "1" * 12,
    )
    assert retry["is_success"] is True


def test_faults_target_only_the_named_apis(gw: Gateway, token: str) -> None:
    gw.server.sandbox.set_faults("503=1@pdd.order.status.get|pdd.order.information.get")
    assert "time_get_response" in gw.call("pdd.time.get")
    assert "order_sn_increment_get_response" in gw.call(INCREMENT, token, **_window())
    response = gw.post(gw.params("pdd.order.status.get", token, order_sns="x"))
    assert response.status_code == 503
    report = gw.control("GET", "/faults")
    assert report["counts"] == {"503": 1, "total": 1}
    assert report["by_api"] == {"pdd.order.status.get": {"503": 1}}


def _outcomes(gw: Gateway, token: str, calls: int) -> list[str]:
    out = []
    for _ in range(calls):
        response = gw.post(gw.params("pdd.time.get", token))
        if response.status_code != 200:
            out.append(str(response.status_code))
            continue
        try:
            body = response.json()
        except json.JSONDecodeError:
            out.append("malformed")
            continue
        out.append(str(body["error_response"]["error_code"]) if "error_response" in body else "ok")
    return out


def test_mixed_faults_are_reproducible_for_a_seed(gw: Gateway, token: str) -> None:
    spec = "mixed=0.4,seed=11"
    spec_without_timeouts = FaultSpec.parse(spec)
    rules = tuple(r for r in spec_without_timeouts.rules if r.kind != "timeout")
    gw.server.sandbox.set_faults(FaultSpec(rules=rules, seed=11))
    first = _outcomes(gw, token, 120)
    gw.server.sandbox.set_faults(FaultSpec(rules=rules, seed=11))
    assert _outcomes(gw, token, 120) == first
    kinds = set(first)
    assert {"ok", "500", "502", "503", "52101", "70031", "52103", "malformed"} <= kinds
    assert 20 < sum(k != "ok" for k in first) < 75  # 35 % of 120 expected
    counts = gw.server.sandbox.faults.counts
    assert counts["total"] == sum(k != "ok" for k in first)


def test_token_expiry_after_n_calls_forces_a_refresh(gw: Gateway) -> None:
    sandbox = gw.server.sandbox
    sandbox.set_faults("token_expiry=3")
    grant = sandbox.grant()
    for _ in range(3):
        assert "order_sn_increment_get_response" in gw.call(
            INCREMENT, grant["access_token"], **_window()
        )
    error = gw.error(INCREMENT, grant["access_token"], **_window())
    assert error["error_code"] == 10019
    fresh = gw.ok("pdd.pop.auth.token.refresh", refresh_token=grant["refresh_token"])
    assert "order_sn_increment_get_response" in gw.call(
        INCREMENT, fresh["access_token"], **_window()
    )
    assert sandbox.faults.counts["token_expiry"] == 1


def test_faults_are_set_through_the_control_endpoint(gw: Gateway, token: str) -> None:
    report = gw.control(
        "PUT",
        "/faults",
        json={"rules": [{"kind": "502", "probability": 1, "apis": ["pdd.time.get"]}]},
    )
    assert report["spec"]["rules"][0]["kind"] == "502"
    assert gw.post(gw.params("pdd.time.get")).status_code == 502
    gw.control("PUT", "/faults", json={"spec": ""})
    assert gw.post(gw.params("pdd.time.get")).status_code == 200
    bad = gw.http.put(f"{gw.server.control_url}/faults", json={"spec": "404=1"})
    assert bad.status_code == 400 and "unknown fault" in bad.json()["error"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("500", "kind=value"),
        ("500=2", "[0, 1]"),
        ("500=0.6,502=0.6", "add up"),
        ("teapot=0.1", "unknown fault"),
        ("500=lots", "not a number"),
        ("delay=-1", "delay"),
    ],
)
def test_bad_fault_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message.replace("[", r"\[")):
        FaultSpec.parse(spec)


def test_a_fault_spec_round_trips_through_json() -> None:
    spec = FaultSpec.parse("mixed=0.16@pdd.time.get,token_expiry=5,delay=1.5,seed=3")
    assert FaultSpec.from_json(spec.to_json()) == spec
    assert len(spec.rules) == 8 and spec.token_expiry == 5 and spec.delay == 1.5
