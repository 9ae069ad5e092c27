"""`PinduoduoPlatform` over the scripted gateway double: which calls, which answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest

from core.contracts import (
    EncryptedValue,
    OrderStatus,
    OrderWindow,
    RefundStatus,
    ShipmentConfirmation,
)
from core.contracts.base import validate_contract
from core.contracts.platform import SalesPlatform
from core.errors import (
    AuthenticationFailed,
    ConfigurationError,
    Conflict,
    ExternalError,
    NotFound,
    ValidationError,
)
from plugins.platforms.pinduoduo.errors import TokenExpired
from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from plugins.platforms.pinduoduo.settings import PinduoduoSettings
from plugins.platforms.pinduoduo.sign import sign_params
from tests.pinduoduo.conftest import NoLimit, platform_settings
from tests.pinduoduo.fixtures import load
from tests.pinduoduo.scripted_gateway import error_body

TOKEN = "shop-token-1"
INCREMENT = "pdd.order.number.list.increment.get"
START = datetime(2024, 6, 1, 1, 0, tzinfo=UTC)


def window(minutes: float = 30) -> OrderWindow:
    return OrderWindow(START, START + timedelta(minutes=minutes))


def page_body(orders: list, *, total: int | None = None, has_next: bool | None = None) -> dict:
    body: dict = {"order_sn_list": orders, "request_id": "r"}
    if total is not None:
        body["total_count"] = total
    if has_next is not None:
        body["has_next"] = has_next
    return {"order_sn_increment_get_response": body}


def test_the_class_passes_its_contract_checks() -> None:
    validate_contract(PinduoduoPlatform, SalesPlatform, "test")
    caps = PinduoduoPlatform.capabilities()
    assert caps["status_check"] and caps["decrypt"] and caps["server_time"]
    assert caps["max_window_seconds"] == 1800 and caps["min_lag_seconds"] == 180


def test_settings_are_checked_when_the_platform_is_built() -> None:
    with pytest.raises(ConfigurationError, match="client_secret"):
        PinduoduoPlatform({"client_id": "x"})
    with pytest.raises(ConfigurationError, match="client_secert"):
        PinduoduoPlatform({"client_id": "x", "client_secret": "y", "client_secert": "z"})
    with pytest.raises(ConfigurationError, match="gateway_url"):
        PinduoduoPlatform({"client_id": "x", "client_secret": "y", "gateway_url": "ftp://x"})
    with pytest.raises(ConfigurationError, match="max_attempts"):
        PinduoduoPlatform({"client_id": "x", "client_secret": "y", "max_attempts": 0})
    config = PinduoduoSettings.from_mapping(
        {"client_id": "x", "client_secret": "s3cr3t", "read_timeout": "12.5", "max_attempts": "2"}
    )
    assert config.read_timeout == 12.5 and config.max_attempts == 2
    assert config.gateway_url == "https://gw-api.pinduoduo.com/api/router"
    assert "s3cr3t" not in repr(config)


def test_first_page_asks_for_the_total(platform: PinduoduoPlatform, gateway) -> None:
    orders = load("increment_page")["order_sn_increment_get_response"]["order_sn_list"]
    gateway.answer(INCREMENT, page_body(orders, total=203))
    page = platform.fetch_orders(TOKEN, window(), 1)
    assert page.total == 203 and page.has_next is True and page.page == 1
    assert page.orders[0].order_number == "240601-338104320801429"
    assert PinduoduoPlatform.page_count(203) == 3 and PinduoduoPlatform.page_count(0) == 0
    [sent] = gateway.calls(INCREMENT)
    assert sent["start_updated_at"] == str(int(START.timestamp()))
    assert sent["end_updated_at"] == str(int(START.timestamp()) + 1800)
    assert (sent["order_status"], sent["refund_status"], sent["is_lucky_flag"]) == ("5", "5", "0")
    assert sent["page"] == "1" and sent["page_size"] == "100"
    assert sent["use_has_next"] == "false" and sent["access_token"] == TOKEN


def test_later_pages_use_has_next(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer(INCREMENT, page_body([load("order_cancelled")], has_next=False))
    gateway.answer(INCREMENT, page_body([], has_next=True))
    gateway.answer(INCREMENT, page_body([load("order_cancelled")], total=301))
    last = platform.fetch_orders(TOKEN, window(), 3)
    assert last.total is None and last.has_next is False and len(last.orders) == 1
    assert platform.fetch_orders(TOKEN, window(), 2).has_next is True
    counted = platform.fetch_orders(TOKEN, window(), 4, with_total=True)
    assert counted.total == 301 and counted.has_next is False  # 4 * 100 >= 301
    assert [c["use_has_next"] for c in gateway.calls(INCREMENT)] == ["true", "true", "false"]


def test_windows_longer_than_30_minutes_are_refused(platform: PinduoduoPlatform, gateway) -> None:
    with pytest.raises(ValidationError, match="30 minutes") as info:
        platform.fetch_orders(TOKEN, window(31), 1)
    assert info.value.details["field"] == "window"
    with pytest.raises(ValidationError, match=r"spans 0:30:00\.001"):
        platform.fetch_orders(TOKEN, window(30 + 1 / 60_000), 1)
    assert gateway.requests == []


def test_sub_second_windows_round_down_at_both_ends(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer(INCREMENT, page_body([], total=0))
    half = timedelta(milliseconds=500)
    platform.fetch_orders(TOKEN, OrderWindow(START + half, START + half + timedelta(minutes=30)), 1)
    [sent] = gateway.requests
    assert int(sent["end_updated_at"]) - int(sent["start_updated_at"]) == 1800
    assert sent["start_updated_at"] == str(int(START.timestamp()))
    gateway.answer(INCREMENT, page_body([], total=0))
    tiny = OrderWindow(START + half, START + half + timedelta(milliseconds=100))
    platform.fetch_orders(TOKEN, tiny, 1)
    sent = gateway.requests[-1]
    assert int(sent["end_updated_at"]) - int(sent["start_updated_at"]) == 1  # start < end


def test_an_unreadable_order_is_handed_over_apart_naming_it(
    platform: PinduoduoPlatform, gateway
) -> None:
    """The page's other orders are mapped; the refused one comes back in `unreadable` with
    the mapping's error and its payload (it used to fail the whole page)."""
    broken = dict(load("order_awaiting_shipment"), pay_amount="abc")
    gateway.answer(INCREMENT, page_body([load("order_cancelled"), broken], total=2))
    page = platform.fetch_orders(TOKEN, window(), 1)
    assert [o.order_number for o in page.orders] == [load("order_cancelled")["order_sn"]]
    (bad,) = page.unreadable
    assert bad.order_number == "240601-338104320801429"
    assert "240601-338104320801429" in bad.reason and "pay_amount" in bad.reason
    assert dict(bad.raw) == broken
    assert page.total == 2 and page.has_next is False


def test_an_order_without_a_number_still_fails_the_page(
    platform: PinduoduoPlatform, gateway
) -> None:
    nameless = {k: v for k, v in load("order_awaiting_shipment").items() if k != "order_sn"}
    nameless["pay_amount"] = "abc"
    gateway.answer(INCREMENT, page_body([load("order_cancelled"), nameless], total=2))
    with pytest.raises(ValidationError, match="without order_sn") as info:
        platform.fetch_orders(TOKEN, window(), 1)
    assert info.value.details["field"] == "order_sn"


def test_token_expiry_reaches_core_as_token_expired(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer(None, load("error_token_expired"))
    with pytest.raises(TokenExpired) as info:
        platform.fetch_orders(TOKEN, window(), 1)
    assert isinstance(info.value, AuthenticationFailed) and info.value.code == "token_expired"


def test_order_detail_and_not_found(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer("pdd.order.information.get", load("order_info"))
    gateway.answer("pdd.order.information.get", load("error_order_not_found"))
    order = platform.order_detail(TOKEN, "240601-338104320801429")
    assert order.order_number == "240601-338104320801429" and len(order.lines) == 3
    with pytest.raises(NotFound, match="240601-999") as info:
        platform.order_detail(TOKEN, "240601-999")
    assert info.value.details["request_id"] == "17172036000050001"
    assert [c["order_sn"] for c in gateway.requests] == ["240601-338104320801429", "240601-999"]


def test_order_statuses_in_batches_and_in_the_order_asked(
    platform: PinduoduoPlatform, gateway
) -> None:
    numbers = [f"240601-{n:015d}" for n in range(150)]
    first = [{"orderSn": n, "order_status": 1, "refund_status": 1} for n in numbers[:100]]
    second = [{"orderSn": n, "order_status": 2, "refund_status": 4} for n in numbers[100:149]]
    gateway.answer(
        "pdd.order.status.get",
        {"order_status_get_response": {"order_status_list": list(reversed(first))}},
    )
    gateway.answer(
        "pdd.order.status.get", {"order_status_get_response": {"order_status_list": second}}
    )
    infos = platform.fetch_order_statuses(TOKEN, numbers + numbers[:3])
    assert [i.order_number for i in infos] == numbers[:149]  # the last one got no answer
    assert infos[0].status is OrderStatus.AWAITING_SHIPMENT
    assert infos[-1].refund_status is RefundStatus.REFUNDED
    calls = gateway.calls("pdd.order.status.get")
    assert [len(c["order_sns"].split(",")) for c in calls] == [100, 50]


def test_server_time_is_beijing_text_as_utc(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer("pdd.time.get", load("time_get"))
    assert platform.server_time() == datetime(2024, 6, 1, 2, 5, 12, tzinfo=UTC)
    assert "access_token" not in gateway.requests[0]


def test_logistics_companies_are_an_app_level_call(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer("pdd.logistics.companies.get", load("logistics_companies"))
    companies = platform.logistics_companies(TOKEN)
    assert [(c.id, c.code) for c in companies][:2] == [("85", "YTO"), ("115", "ZTO")]
    assert "access_token" not in gateway.requests[0]


def test_decrypt_batches_of_100_keep_order_and_item_errors(
    platform: PinduoduoPlatform, gateway
) -> None:
    answers = load("decrypt_batch")["open_decrypt_batch_response"]["data_decrypt_list"]
    values = [EncryptedValue(a["data_tag"], a["encrypted_data"]) for a in answers]
    filler = [EncryptedValue(f"T{n}", f"~c{n}~idx~1~~") for n in range(120)]
    filler_answers = [
        {
            "data_tag": v.tag,
            "encrypted_data": v.ciphertext,
            "decrypted_data": f"明文{n}",
            "error_code": 0,
        }
        for n, v in enumerate(filler)
    ]
    gateway.answer(
        "pdd.open.decrypt.batch",
        {"open_decrypt_batch_response": {"data_decrypt_list": answers + filler_answers[:97]}},
    )
    gateway.answer(
        "pdd.open.decrypt.batch",
        {"open_decrypt_batch_response": {"data_decrypt_list": filler_answers[97:119]}},
    )
    result = platform.decrypt(TOKEN, values + filler)
    assert len(result) == 123
    assert [r.plaintext for r in result[:2]] == ["王芳", "13812345621"]
    assert "订单已取消" in result[2].error
    assert result[3].plaintext == "明文0" and result[-2].plaintext == "明文118"
    assert result[-1].error == "Pinduoduo returned no answer for this value"
    sizes = [len(json.loads(c["data_list"])) for c in gateway.requests]
    assert sizes == [100, 23]


def test_the_form_goes_out_as_httpx_would_encode_it() -> None:
    """The transport encodes the form itself (cheaper than httpx's `data=`): the bytes,
    content type and signature must be exactly what `data=` would have sent."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"open_decrypt_batch_response": {}})

    settings = {
        "client_id": "app-1",
        "client_secret": "s3cret",
        "gateway_url": "https://gw.example.cn/api/router",
        "auth_url": "https://auth.example.cn/auth",
    }
    http = httpx.Client(transport=httpx.MockTransport(answer))
    with PinduoduoPlatform(settings, http=http, limiter=NoLimit()) as platform:
        platform.decrypt(TOKEN, [EncryptedValue("单 1&2=3", "~a+b/c=~1~~")])
    sent = requests[0]
    fields = dict(parse_qsl(sent.content.decode(), keep_blank_values=True))
    assert json.loads(fields["data_list"]) == [
        {"data_tag": "单 1&2=3", "encrypted_data": "~a+b/c=~1~~"}
    ]
    assert sent.content == httpx.Request("POST", sent.url, data=fields).content
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent.headers["content-length"] == str(len(sent.content))
    assert str(sent.url) == "https://gw.example.cn/api/router"
    assert fields["sign"] == sign_params(fields, "s3cret")


def shipment(**overrides: object) -> ShipmentConfirmation:
    values = {
        "order_number": "240601-338104320801429",
        "logistics_company_id": "85",
        "tracking_number": "YT7485920364718",
    }
    return ShipmentConfirmation(**{**values, **overrides})


def test_confirm_shipment_sends_carrier_and_number(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer(
        "pdd.logistics.online.send",
        {"logistics_online_send_response": {"is_success": True, "request_id": "x"}},
    )
    assert platform.confirm_shipment(TOKEN, shipment()) is None
    [sent] = gateway.requests
    assert (sent["order_sn"], sent["logistics_id"], sent["tracking_number"]) == (
        "240601-338104320801429",
        "85",
        "YT7485920364718",
    )
    assert sent["redelivery_type"] == "1"


def test_confirm_shipment_is_idempotent(platform: PinduoduoPlatform, gateway) -> None:
    shipped = dict(
        load("order_awaiting_shipment"),
        order_status=2,
        tracking_number="YT7485920364718",
        logistics_id=85,
    )
    gateway.answer("pdd.logistics.online.send", error_body(10000, "参数错误", "订单已发货"))
    gateway.answer(
        "pdd.order.information.get", {"order_info_get_response": {"order_info": shipped}}
    )
    assert platform.confirm_shipment(TOKEN, shipment()) is None
    assert [r["type"] for r in gateway.requests] == [
        "pdd.logistics.online.send",
        "pdd.order.information.get",
    ]


def test_confirm_shipment_after_a_lost_answer(gateway, sleeps) -> None:
    """The first send went through but its answer timed out; the retry is refused as a
    duplicate, and the read-back shows our tracking number: success."""
    settings = platform_settings(gateway, read_timeout=0.2)
    platform = PinduoduoPlatform(settings, limiter=NoLimit(), sleep=sleeps)
    ok = {"logistics_online_send_response": {"is_success": True}}
    gateway.answer("pdd.logistics.online.send", ok, delay=0.5)  # > read_timeout
    gateway.answer("pdd.logistics.online.send", error_body(10000, "参数错误", "订单已发货"))
    extra = dict(load("order_shipped_refunding"), refund_status=1)
    gateway.answer("pdd.order.information.get", {"order_info_get_response": {"order_info": extra}})
    # Matches an extra delivery's tracking number too.
    confirmation = shipment(
        order_number="240528-117430981552017", tracking_number="YT7485920364799"
    )
    assert platform.confirm_shipment(TOKEN, confirmation) is None
    assert len(sleeps.waits) == 1
    platform.close()


def test_refunding_order_is_a_conflict(platform: PinduoduoPlatform, gateway) -> None:
    refunding = dict(load("order_awaiting_shipment"), refund_status=2)
    gateway.answer("pdd.logistics.online.send", load("error_ship_refunding"))
    gateway.answer(
        "pdd.order.information.get", {"order_info_get_response": {"order_info": refunding}}
    )
    with pytest.raises(Conflict) as info:
        platform.confirm_shipment(TOKEN, shipment())
    assert "240601-338104320801429" in info.value.message
    assert "订单售后中，不能发货" in info.value.message and "售后处理中" in info.value.message
    assert info.value.details["request_id"] == "17172036000010000"


def test_shipped_with_another_number_is_a_conflict(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer("pdd.logistics.online.send", error_body(10000, "参数错误", "订单已发货"))
    gateway.answer(
        "pdd.order.information.get",
        {"order_info_get_response": {"order_info": load("order_shipped_refunding")}},
    )
    with pytest.raises(Conflict, match="已发货待签收"):
        platform.confirm_shipment(
            TOKEN, shipment(order_number="240528-117430981552017", tracking_number="ZT0001")
        )


def test_other_refusals_stay_business_errors(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer("pdd.logistics.online.send", error_body(10000, "参数错误", "物流公司不支持"))
    gateway.answer("pdd.order.information.get", load("order_info"))
    with pytest.raises(ExternalError, match="物流公司不支持") as info:
        platform.confirm_shipment(TOKEN, shipment())
    assert not isinstance(info.value, Conflict) and info.value.retryable is False


def test_redelivery_changes_a_shipped_order(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer(
        "pdd.logistics.online.send", {"logistics_online_send_response": {"is_success": True}}
    )
    platform.confirm_shipment(TOKEN, shipment(redelivery=True, tracking_number="ZT1"))
    assert gateway.requests[0]["redelivery_type"] == "2"
    gateway.answer("pdd.logistics.online.send", error_body(10000, "参数错误", "订单未发货"))
    gateway.answer("pdd.order.information.get", load("order_info"))
    with pytest.raises(Conflict, match=r"will not change the shipment of .* \(待发货\)"):
        platform.confirm_shipment(TOKEN, shipment(redelivery=True, tracking_number="ZT1"))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"risk_control_status": 1}, "风控审核中"),
        ({"confirm_status": 0}, "未成交"),
        ({"order_tag_list": [{"name": "ship_hold", "value": 1}]}, "暂停发货"),
    ],
)
def test_orders_the_platform_holds_back_are_conflicts(
    platform: PinduoduoPlatform, gateway, change: dict, reason: str
) -> None:
    held = dict(load("order_awaiting_shipment"), **change)
    gateway.answer("pdd.logistics.online.send", error_body(10000, "参数错误", "订单不能发货"))
    gateway.answer("pdd.order.information.get", {"order_info_get_response": {"order_info": held}})
    with pytest.raises(Conflict, match=reason):
        platform.confirm_shipment(TOKEN, shipment())


def test_shipping_someone_elses_order_is_not_found(platform: PinduoduoPlatform, gateway) -> None:
    gateway.answer(None, load("error_order_not_found"))
    gateway.answer(None, load("error_order_not_found"))
    with pytest.raises(NotFound, match="240601-338104320801429"):
        platform.confirm_shipment(TOKEN, shipment())


def test_authorize_url(platform: PinduoduoPlatform, gateway) -> None:
    url = platform.authorize_url("https://hub.example.cn/oauth/pdd?x=1", "org7-user3-nonce")
    parts = urlsplit(url)
    assert url.startswith(gateway.url.replace("/api/router", "/service-market/auth?"))
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["scripted-client"],
        "redirect_uri": ["https://hub.example.cn/oauth/pdd?x=1"],
        "state": ["org7-user3-nonce"],
        "view": ["web"],
    }
    default = PinduoduoPlatform({"client_id": "1", "client_secret": "s"})
    assert default.authorize_url("https://h/cb", "s").startswith(
        "https://fuwu.pinduoduo.com/service-market/auth?response_type=code&client_id=1&"
    )
    default.close()
    with pytest.raises(ValidationError):
        platform.authorize_url("https://h/cb", "")


def test_exchange_and_refresh(platform: PinduoduoPlatform, gateway, frozen_clock) -> None:
    gateway.answer("pdd.pop.auth.token.create", load("token_create"))
    refreshed = {
        "pop_auth_token_refresh_response": dict(
            load("token_create")["pop_auth_token_create_response"], access_token="new-token"
        )
    }
    gateway.answer("pdd.pop.auth.token.refresh", refreshed)
    grant = platform.exchange_code("auth-code-1", "https://h/cb")
    assert grant.shop_id == "712345678" and grant.refresh_token.startswith("9f8e")
    assert gateway.requests[0]["code"] == "auth-code-1"
    assert "access_token" not in gateway.requests[0]
    again = platform.refresh_token(grant.refresh_token)
    assert again.access_token == "new-token"
    assert gateway.requests[1]["refresh_token"] == grant.refresh_token


@pytest.mark.parametrize(
    "body",
    [
        error_body(10000, "参数错误", "code已过期"),
        error_body(20032, "access_token或client_id错误"),
        error_body(10019, "access_token已过期"),
    ],
)
def test_refused_codes_mean_authorise_again(platform: PinduoduoPlatform, gateway, body) -> None:
    gateway.answer(None, body)
    with pytest.raises(AuthenticationFailed, match="authorise the shop again") as info:
        platform.exchange_code("used-code", "https://h/cb")
    assert not isinstance(info.value, TokenExpired)


def test_token_calls_keep_configuration_and_retryable_errors(
    platform: PinduoduoPlatform, gateway
) -> None:
    gateway.answer(None, error_body(20005, "ip不在白名单中"))
    with pytest.raises(ExternalError, match="whitelist"):
        platform.refresh_token("r")
    for _ in range(3):
        gateway.answer(None, load("error_rate_limited"))
    with pytest.raises(ExternalError) as info:
        platform.refresh_token("r")
    assert info.value.retryable is True
    with pytest.raises(AuthenticationFailed):
        platform.refresh_token("")
