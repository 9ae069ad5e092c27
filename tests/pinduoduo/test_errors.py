"""Gateway errors → typed errors, and how the transport retries them over real HTTP."""

from __future__ import annotations

import logging

import pytest

from core.errors import AuthenticationFailed, ExternalError
from plugins.platforms.pinduoduo.errors import TokenExpired, error_from_response
from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from plugins.platforms.pinduoduo.settings import PinduoduoSettings
from plugins.platforms.pinduoduo.transport import GatewayTransport
from tests.pinduoduo.conftest import NoLimit, RecordingSleep, platform_settings
from tests.pinduoduo.fixtures import load
from tests.pinduoduo.scripted_gateway import ScriptedGateway, error_body

TIME_OK = load("time_get")
TOKEN = "c3d5e8f0-secret-token-value"


def transport_for(gateway: ScriptedGateway, sleeps: RecordingSleep, **overrides: object):
    settings = PinduoduoSettings.from_mapping(platform_settings(gateway, **overrides))
    return GatewayTransport(settings, NoLimit(), sleep=sleeps)


# ------------------------------------------------------------------ the code table


def test_token_expired_is_an_authentication_failure_core_can_recognise() -> None:
    body = load("error_token_expired")["error_response"]
    error = error_from_response("pdd.order.information.get", body)
    assert isinstance(error, TokenExpired) and isinstance(error, AuthenticationFailed)
    assert error.code == "token_expired"
    assert error.details["request_id"] == "17172036000000019"
    assert "access_token已过期" in error.message


def test_revoked_token_means_authorise_again() -> None:
    body = error_body(20032, "access_token或client_id错误")["error_response"]
    error = error_from_response("pdd.order.status.get", body)
    assert type(error) is AuthenticationFailed
    assert "authorise the shop again" in error.message


@pytest.mark.parametrize("code", [52101, 52102, 52103, 70031, 52001, 52002, 70033])
def test_throttling_and_outages_are_retryable(code: int) -> None:
    error = error_from_response(
        "pdd.order.number.list.increment.get", error_body(code, "当前接口被限流")["error_response"]
    )
    assert isinstance(error, ExternalError) and error.retryable is True
    assert error.details["error_code"] == code


@pytest.mark.parametrize("code", [10000, 10001, 21001, 21002, 50000, 50001, 50002, 70032, 20004])
def test_business_and_configuration_errors_are_not_retryable(code: int) -> None:
    body = error_body(code, "参数错误", "订单售后中，不能发货")["error_response"]
    error = error_from_response("pdd.logistics.online.send", body, order_number="240601-1")
    assert isinstance(error, ExternalError) and error.retryable is False
    assert "240601-1" in error.message and "订单售后中，不能发货" in error.message
    assert "参数错误" in error.message and f"error {code}" in error.message
    assert error.details["order_number"] == "240601-1"
    assert error.details["request_id"] == f"scripted-{code}"


def test_configuration_errors_say_what_to_check() -> None:
    body = error_body(20004, "签名sign校验失败")["error_response"]
    error = error_from_response("pdd.time.get", body)
    assert "client_secret" in error.message and error.details["kind"] == "configuration"


def test_string_error_codes_and_sub_codes_are_kept() -> None:
    body = {"error_code": "10019", "error_msg": "access_token已过期", "sub_code": "abc"}
    error = error_from_response("pdd.order.status.get", body)
    assert isinstance(error, TokenExpired) and error.details["sub_code"] == "abc"


# ------------------------------------------------------------------ transport over HTTP


def test_success_envelope_is_unwrapped(gateway: ScriptedGateway, sleeps: RecordingSleep) -> None:
    gateway.answer("pdd.time.get", TIME_OK)
    transport = transport_for(gateway, sleeps)
    assert transport.call("pdd.time.get")["time"] == "2024-06-01 10:05:12"
    [sent] = gateway.requests
    assert "access_token" not in sent and sent["client_id"] == "scripted-client"
    assert sleeps.waits == []


def test_token_expired_is_raised_at_once(gateway: ScriptedGateway, sleeps: RecordingSleep) -> None:
    gateway.answer(None, load("error_token_expired"))
    transport = transport_for(gateway, sleeps)
    with pytest.raises(TokenExpired):
        transport.call("pdd.order.status.get", {"order_sns": "1"}, access_token=TOKEN)
    assert len(gateway.requests) == 1 and sleeps.waits == []


@pytest.mark.parametrize(
    "failure",
    [
        {"body": load("error_rate_limited")},
        {"body": error_body(70031, "调用过于频繁")},
        {"body": "<html>502 Bad Gateway</html>", "status": 502, "content_type": "text/html"},
        {"body": "", "status": 503},
        {"body": '{"time_get_response": {"time": "2024-06-01 10:0', "status": 200},
        {"body": {"unexpected": {}}},
        {"body": TIME_OK, "delay": 0.6},  # longer than read_timeout below
    ],
    ids=["52101", "70031", "502-html", "503-empty", "truncated-json", "no-envelope", "timeout"],
)
def test_retryable_failures_are_retried_with_backoff(
    gateway: ScriptedGateway, sleeps: RecordingSleep, failure: dict
) -> None:
    gateway.answer("pdd.time.get", **failure)
    gateway.answer("pdd.time.get", **failure)
    gateway.answer("pdd.time.get", TIME_OK)
    transport = transport_for(gateway, sleeps, read_timeout=0.3)
    assert transport.call("pdd.time.get")["time"] == "2024-06-01 10:05:12"
    assert len(gateway.requests) == 3
    # Two waits, exponential with jitter: in [base/2, base] then [base, 2*base].
    assert len(sleeps.waits) == 2
    assert 0.005 <= sleeps.waits[0] <= 0.01 and 0.01 <= sleeps.waits[1] <= 0.02
    # Every attempt is freshly signed (the double checked each sign).
    assert all(r["sign"] for r in gateway.requests)


def test_attempts_are_bounded(gateway: ScriptedGateway, sleeps: RecordingSleep) -> None:
    for _ in range(5):
        gateway.answer(None, load("error_rate_limited"))
    transport = transport_for(gateway, sleeps, max_attempts=3)
    with pytest.raises(ExternalError) as info:
        transport.call("pdd.order.status.get", {"order_sns": "1"}, access_token=TOKEN)
    assert info.value.retryable is True and info.value.details["attempts"] == 3
    assert len(gateway.requests) == 3 and len(sleeps.waits) == 2


def test_backoff_is_capped(gateway: ScriptedGateway, sleeps: RecordingSleep) -> None:
    transport = transport_for(gateway, sleeps, backoff_base=1, backoff_max=4)
    delays = [transport.backoff(n) for n in range(1, 9)]
    assert all(
        0.5 * min(4, 2 ** (n - 1)) <= d <= min(4, 2 ** (n - 1)) for n, d in enumerate(delays, 1)
    )
    assert max(delays) <= 4


def test_business_errors_are_not_retried_and_name_the_order(
    gateway: ScriptedGateway, sleeps: RecordingSleep
) -> None:
    gateway.answer(None, load("error_ship_refunding"))
    transport = transport_for(gateway, sleeps)
    with pytest.raises(ExternalError) as info:
        transport.call(
            "pdd.logistics.online.send",
            {"order_sn": "240528-117430981552017", "logistics_id": 85, "tracking_number": "YT1"},
            access_token=TOKEN,
            order_number="240528-117430981552017",
        )
    error = info.value
    assert error.retryable is False and len(gateway.requests) == 1
    assert "240528-117430981552017" in error.message and "订单售后中，不能发货" in error.message
    assert error.details["request_id"] == "17172036000010000"


def test_http_client_errors_without_an_envelope_are_not_retried(
    gateway: ScriptedGateway, sleeps: RecordingSleep
) -> None:
    gateway.answer(None, "<html>404</html>", status=404, content_type="text/html")
    with pytest.raises(ExternalError, match="HTTP 404") as info:
        transport_for(gateway, sleeps).call("pdd.time.get")
    assert info.value.retryable is False and len(gateway.requests) == 1


def test_unreachable_gateway_is_retryable(sleeps: RecordingSleep) -> None:
    server = ScriptedGateway()
    server.close()  # nothing listens on that port any more
    with pytest.raises(ExternalError, match="could not be reached") as info:
        transport_for(server, sleeps, max_attempts=2).call("pdd.time.get")
    assert info.value.retryable is True and len(sleeps.waits) == 1


def test_wrong_secret_is_a_configuration_error_not_a_retry(
    gateway: ScriptedGateway, sleeps: RecordingSleep
) -> None:
    transport = transport_for(gateway, sleeps, client_secret="not-the-secret")
    with pytest.raises(ExternalError, match="check client_secret") as info:
        transport.call("pdd.time.get")
    assert info.value.retryable is False


def test_unknown_api_is_refused_before_sending(
    gateway: ScriptedGateway, sleeps: RecordingSleep
) -> None:
    with pytest.raises(ValueError, match="SUCCESS_KEYS"):
        transport_for(gateway, sleeps).call("pdd.goods.list.get")
    assert gateway.requests == []


def test_secrets_and_tokens_never_reach_logs_or_errors(
    gateway: ScriptedGateway, sleeps: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    gateway.answer(None, "", status=500)
    gateway.answer(None, load("error_token_expired"))
    gateway.answer(None, "{broken", status=200)
    gateway.answer(None, {"pop_auth_token_refresh_response": {"access_token": "NEW-SECRET-TOKEN"}})
    platform = PinduoduoPlatform(platform_settings(gateway), limiter=NoLimit(), sleep=sleeps)
    texts = []
    with caplog.at_level(logging.DEBUG):
        for call in (
            lambda: platform.order_detail(TOKEN, "240601-1"),
            lambda: platform.refresh_token("REFRESH-SECRET"),
        ):
            try:
                call()
            except Exception as exc:  # both calls fail; collect what a user would see
                texts.append(str(exc))
                texts.append(repr(getattr(exc, "details", "")))
    platform.close()
    everything = caplog.text + "\n".join(texts)
    assert texts, "the calls should have failed"
    for secret in ("scripted-secret", TOKEN, "REFRESH-SECRET", "NEW-SECRET-TOKEN"):
        assert secret not in everything
