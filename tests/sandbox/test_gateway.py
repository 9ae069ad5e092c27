"""The gateway's common checks: sign, client id, timestamp, types, tokens, envelopes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from plugins.platforms.pinduoduo.sign import sign_params
from tests.sandbox.conftest import ALL, INCREMENT, SUCCESS_KEYS, Gateway, now_ts


def test_a_signed_call_succeeds_with_the_documented_envelope(gw: Gateway) -> None:
    body = gw.ok("pdd.time.get")
    assert body["time"] == "2026-11-27 10:00:00"  # the frozen clock, in Beijing time
    assert body["request_id"].isdigit()


def test_a_wrong_sign_is_20004_and_a_missing_sign_is_10001(gw: Gateway) -> None:
    params = gw.params("pdd.time.get", secret="not-the-secret")
    error = gw.post(params).json()["error_response"]
    assert (error["error_code"], error["error_msg"]) == (20004, "签名sign校验失败")

    params = gw.params("pdd.time.get")
    params["timestamp"] = str(int(params["timestamp"]) + 1)  # changed after signing
    assert gw.post(params).json()["error_response"]["error_code"] == 20004

    params.pop("sign")
    error = gw.post(params).json()["error_response"]
    assert (error["error_code"], error["error_msg"]) == (10001, "公共参数错误:sign")


def test_a_lower_case_sign_is_refused(gw: Gateway) -> None:
    params = gw.params("pdd.time.get")
    params["sign"] = params["sign"].lower()
    assert gw.post(params).json()["error_response"]["error_code"] == 20004


@pytest.mark.parametrize("name", ["type", "client_id", "timestamp"])
def test_missing_common_parameters_are_named(gw: Gateway, name: str) -> None:
    params = gw.params("pdd.time.get")
    params.pop(name)
    params["sign"] = sign_params(params, gw.server.config.client_secret)
    error = gw.post(params).json()["error_response"]
    assert error == {
        "error_msg": f"公共参数错误:{name}",
        "sub_msg": error["sub_msg"],
        "sub_code": None,
        "error_code": 10001,
        "request_id": error["request_id"],
    }


def test_an_unknown_client_id_is_10016(gw: Gateway) -> None:
    params = gw.params("pdd.time.get")
    params["client_id"] = "someone-else"
    params["sign"] = sign_params(params, gw.server.config.client_secret)
    assert gw.post(params).json()["error_response"]["error_code"] == 10016


@pytest.mark.parametrize(
    ("skew", "accepted"), [(0, True), (-599, True), (599, True), (-601, False), (601, False)]
)
def test_the_timestamp_must_be_within_ten_minutes(gw: Gateway, skew: int, accepted: bool) -> None:
    params = gw.params("pdd.time.get")
    params["timestamp"] = str(now_ts() + skew)
    params["sign"] = sign_params(params, gw.server.config.client_secret)
    body = gw.post(params).json()
    if accepted:
        assert "time_get_response" in body
    else:
        assert body["error_response"]["error_msg"] == "公共参数错误:timestamp"


def test_a_timestamp_in_milliseconds_is_a_common_parameter_error(gw: Gateway) -> None:
    params = gw.params("pdd.time.get")
    params["timestamp"] = str(now_ts() * 1000)
    params["sign"] = sign_params(params, gw.server.config.client_secret)
    assert gw.post(params).json()["error_response"]["error_msg"] == "公共参数错误:timestamp"


def test_after_the_sandbox_clock_advances_both_clocks_are_accepted(gw: Gateway) -> None:
    gw.server.sandbox.advance(3600)
    assert gw.ok("pdd.time.get")["time"] == "2026-11-27 11:00:00"  # signed with wall time
    params = gw.params("pdd.time.get")
    params["timestamp"] = str(now_ts() + 3600)  # signed with calibrated platform time
    params["sign"] = sign_params(params, gw.server.config.client_secret)
    assert "time_get_response" in gw.post(params).json()


@pytest.mark.parametrize(
    ("name", "value"), [("data_type", "XML"), ("data_type", "json"), ("version", "V2")]
)
def test_bad_data_type_or_version_is_named(gw: Gateway, name: str, value: str) -> None:
    params = gw.params("pdd.time.get", **{name: value})
    assert gw.post(params).json()["error_response"]["error_msg"] == f"公共参数错误:{name}"


def test_an_unknown_type_is_10017(gw: Gateway) -> None:
    assert gw.error("pdd.no.such.api")["error_code"] == 10017


def test_merchant_apis_need_a_live_token(gw: Gateway, token: str) -> None:
    business = {"start_updated_at": now_ts() - 600, "end_updated_at": now_ts(), **ALL}
    assert gw.error(INCREMENT, None, **business)["error_msg"] == "公共参数错误:access_token"
    wrong = gw.error(INCREMENT, "0123456789abcdef", **business)
    assert (wrong["error_code"], wrong["error_msg"]) == (20032, "access_token或client_id错误")
    assert "order_sn_list" in gw.ok(INCREMENT, token, **business)


def test_errors_are_http_200_json(gw: Gateway) -> None:
    response = gw.post(gw.params("pdd.time.get", secret="bad"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")


def test_json_bodies_are_accepted_and_signed_over_their_wire_text(gw: Gateway, token: str) -> None:
    """Nested values are signed as compact JSON, booleans as true/false (sign.stringify)."""
    now = now_ts()
    params = gw.params(
        INCREMENT,
        token,
        start_updated_at=now - 1800,
        end_updated_at=now,
        page=1,
        page_size=5,
        use_has_next=True,
        **ALL,
    )
    body = {k: v for k, v in params.items()}
    body["use_has_next"] = True  # a JSON boolean; signed as "true"
    body["page"] = 1  # a JSON number; signed as "1"
    response = gw.http.post(gw.server.gateway_url, json=body)
    inner = response.json()[SUCCESS_KEYS[INCREMENT]]
    assert "total_count" not in inner and "has_next" in inner

    body["sign"] = "0" * 32
    assert (
        gw.http.post(gw.server.gateway_url, json=body).json()["error_response"]["error_code"]
        == 20004
    )


def test_a_body_that_is_not_utf8_or_json_is_a_clear_error(gw: Gateway) -> None:
    response = gw.http.post(
        gw.server.gateway_url, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.json()["error_response"]["error_code"] == 10001
    response = gw.http.post(
        gw.server.gateway_url,
        content=b"type=\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.json()["error_response"]["error_code"] == 10001


def test_time_moves_with_the_test_clock(gw: Gateway, frozen_clock: list) -> None:
    frozen_clock[0] += timedelta(minutes=90)
    assert gw.ok("pdd.time.get")["time"] == "2026-11-27 11:30:00"


def test_every_documented_api_answers_under_its_success_key(gw: Gateway, token: str) -> None:
    """Each API in the §1.4 table is served; a call without business parameters gets either
    its success key or a business-parameter error (10000), never 10017."""
    for api in SUCCESS_KEYS:
        body = gw.call(api, token)
        if "error_response" in body:
            assert body["error_response"]["error_code"] in (10000, 50001), (api, body)
        else:
            assert list(body) == [SUCCESS_KEYS[api]], api
    assert json.dumps(gw.ok("pdd.logistics.companies.get"), ensure_ascii=False)
