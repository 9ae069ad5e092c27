"""The pinduoduo-waybill carrier plugin: pure mapping against hand-written payloads, and
the real plugin class against the sandbox gateway over loopback HTTP (no database)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.contracts import Contact, WaybillItem, WaybillRef, WaybillRequest
from core.errors import ConfigurationError, ExternalError, ValidationError
from plugins.carriers.pinduoduo_waybill import mapping
from plugins.carriers.pinduoduo_waybill.carrier import PinduoduoWaybill
from plugins.platforms.pinduoduo.sandbox import SandboxServer
from tests.waybills.rig import platform_settings

SENDER = Contact(
    name="王仓管",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="余杭区",
    address="仓前街道1号",
)
CIPHER_RECIPIENT = Contact(
    name="~AgAAAAnamecipher~abcdefghijkl~1~~",
    phone="$abcdefghijkl$AgAAAAphone$1$$",
    province="广东省",
    city="深圳市",
    district="南山区",
    address="~AgAAAAaddrcipher~mnopqrstuvwx~1~~",
    encrypted=True,
)


def request(request_id: str = "41", **changes) -> WaybillRequest:  # type: ignore[no-untyped-def]
    values = {
        "request_id": request_id,
        "carrier_code": "YTO",
        "sender": SENDER,
        "recipient": CIPHER_RECIPIENT,
        "order_numbers": ("261126-000000000000001",),
        "items": (WaybillItem("保温杯 500ml", 2),),
        "order_channel": "PDD",
        "weight_g": 800,
    }
    values.update(changes)
    return WaybillRequest(**values)


# ---------------------------------------------------------------- mapping (pure)


def test_apply_request_passes_ciphertext_and_ids_through() -> None:
    payload = mapping.apply_request(
        [request("41"), request("42", weight_g=None, template="https://t/explicit")],
        "https://file-link.pinduoduo.com/yto_one",
        "222614087",
        need_encrypt=True,
    )
    assert payload["wp_code"] == "YTO" and payload["need_encrypt"] is True
    assert payload["sender"] == {
        "name": "王仓管",
        "mobile": "13800138000",
        "address": {
            "province": "浙江省",
            "city": "杭州市",
            "district": "余杭区",
            "detail": "仓前街道1号",
        },
    }
    first, second = payload["trade_order_info_dtos"]
    assert first["object_id"] == "41" and first["user_id"] == "222614087"
    assert first["recipient"]["name"] == CIPHER_RECIPIENT.name  # opaque, untouched
    assert first["recipient"]["mobile"] == CIPHER_RECIPIENT.phone
    assert first["order_info"] == {
        "order_channels_type": "PDD",
        "trade_order_list": ["261126-000000000000001"],
    }
    assert first["package_info"] == {
        "id": "41",
        "items": [{"name": "保温杯 500ml", "count": 2}],
        "weight": 800,
    }
    assert first["template_url"] == "https://file-link.pinduoduo.com/yto_one"
    assert second["template_url"] == "https://t/explicit" and "weight" not in second["package_info"]


def test_a_recipient_without_an_address_is_refused_by_name() -> None:
    empty = Contact(name="", phone="", province="", city="", district="", address="")
    with pytest.raises(ValidationError, match="request 7 recipient: name is empty"):
        mapping.apply_request([request("7", recipient=empty)], "u", "1", need_encrypt=True)


def test_results_keep_print_data_verbatim_and_flag_missing_answers() -> None:
    print_data = '{"encryptedData":"ab12","signature":"c2ln","templateUrl":"u","ver":"3"}'
    body = {
        "modules": [
            {
                "object_id": "42",
                "waybill_code": "YT0000000000042",
                "print_data": print_data,
                "parent_waybill_code": "",
            },
            {
                "object_id": "43",
                "waybill_code": "YT0000000000043",
                "print_data": {"encryptedData": "ff"},
            },
        ]
    }
    results = mapping.results_from_modules([request("41"), request("42"), request("43")], body)
    assert [r.request_id for r in results] == ["41", "42", "43"]
    assert results[0].waybill is None and results[0].retryable
    assert results[1].waybill.print_data == print_data and results[1].waybill.carrier_code == "YTO"
    assert json.loads(results[2].waybill.print_data) == {"encryptedData": "ff"}


def test_search_templates_and_query_payloads() -> None:
    search = {
        "waybill_apply_subscription_cols": [
            {
                "wp_code": "ZTO",
                "branch_account_cols": [
                    {
                        "branch_code": "310001",
                        "branch_name": "杭州余杭一部",
                        "quantity": "57",
                        "shipp_address_cols": [
                            {
                                "province": "浙江省",
                                "city": "杭州市",
                                "district": "余杭区",
                                "detail": "仓前街道1号",
                            }
                        ],
                    }
                ],
            }
        ]
    }
    (sub,) = mapping.subscriptions_from(search)
    assert (sub.carrier_code, sub.branch_code, sub.remaining) == ("ZTO", "310001", 57)
    assert sub.sender_addresses[0].address == "仓前街道1号"
    templates = mapping.standard_templates_from(
        {
            "result": {
                "datas": [
                    {
                        "wp_code": "ZTO",
                        "standard_templates": [
                            {
                                "standard_template_url": "https://x/zto_std",
                                "standard_waybill_type": 2,
                            },
                            {
                                "standard_template_url": "https://x/zto_one",
                                "standard_waybill_type": 1,
                            },
                        ],
                    }
                ]
            }
        }
    )
    assert mapping.default_template(templates["ZTO"]) == "https://x/zto_one"
    assert mapping.default_template([]) == ""
    refs = [WaybillRef("ZTO", "78000000000001"), WaybillRef("ZTO", "78000000000002")]
    assert mapping.query_params(refs)[0] == {
        "object_id": "78000000000001",
        "wp_code": "ZTO",
        "waybill_code": "78000000000001",
    }
    body = {
        "modules": [
            {"waybill_cloud_print_response": {"waybill_code": "78000000000002", "print_data": "P2"}}
        ]
    }
    assert [w.print_data for w in mapping.waybills_from_query(refs, body)] == ["", "P2"]


# ---------------------------------------------------------------- against the sandbox


@pytest.fixture
def carrier(sandbox_server: SandboxServer) -> Iterator[PinduoduoWaybill]:
    sandbox_server.sandbox.reset()
    grant = sandbox_server.sandbox.grant()
    settings = {
        "platform": platform_settings(sandbox_server),
        "access_token": grant["access_token"],
        "shop_id": grant["owner_id"],
    }
    with PinduoduoWaybill(settings) as plugin:
        yield plugin


def branch_sender(carrier: PinduoduoWaybill, code: str = "YTO") -> Contact:
    sub = next(s for s in carrier.subscriptions() if s.carrier_code == code)
    place = sub.sender_addresses[0]
    return Contact(
        name="王仓管",
        phone="13800138000",
        province=place.province,
        city=place.city,
        district=place.district,
        address=place.address,
    )


def clear_request(request_id: str, sender: Contact, **changes) -> WaybillRequest:  # type: ignore[no-untyped-def]
    recipient = Contact(
        name="李四",
        phone="13900139000",
        province="广东省",
        city="深圳市",
        district="南山区",
        address="科技园1号",
    )
    return request(
        request_id,
        sender=sender,
        recipient=recipient,
        order_channel="OTHERS",
        order_numbers=(f"X-{request_id}",),
        **changes,
    )


def test_subscriptions_and_standard_templates(carrier, sandbox_server) -> None:
    subs = carrier.subscriptions()
    assert {s.carrier_code for s in subs} == {"YTO", "ZTO", "YUNDA", "JTSD"}
    assert all(s.remaining == 500 and s.sender_addresses for s in subs)
    templates = carrier.standard_templates("YTO")["YTO"]
    assert {t["url"] for t in templates} == {
        "https://file-link.pinduoduo.com/yto_one",
        "https://file-link.pinduoduo.com/yto_std",
    }
    assert carrier.default_template("YTO") == "https://file-link.pinduoduo.com/yto_one"


def test_allocate_query_and_cancel(carrier, sandbox_server) -> None:
    sender = branch_sender(carrier)
    requests = [clear_request(str(n), sender) for n in range(1, 4)]
    results = carrier.allocate(requests)
    assert [r.request_id for r in results] == ["1", "2", "3"] and all(r.waybill for r in results)
    book = sandbox_server.sandbox.waybills.waybills
    first = results[0].waybill
    assert book[first.number].template_url.endswith("yto_one")  # the default one-part template
    content = sandbox_server.sandbox.cipher.open_print_data(first.print_data)
    assert content["recipient"]["name"] == "李四" and content["sender"]["name"] == "王仓管"
    # asking again with the same object ids returns the same numbers (no second draw)
    again = carrier.allocate(requests)
    assert [r.waybill.number for r in again] == [r.waybill.number for r in results]
    queried = carrier.query_waybills([WaybillRef("YTO", first.number)])
    assert queried[0].print_data == first.print_data
    carrier.cancel_waybill(WaybillRef("YTO", first.number))
    carrier.cancel_waybill(WaybillRef("YTO", first.number))  # twice is no error
    assert book[first.number].status == "cancelled"
    with pytest.raises(ExternalError, match="已取消"):
        carrier.query_waybills([WaybillRef("YTO", first.number)])


def test_one_bad_request_is_isolated_from_its_batch(carrier, sandbox_server) -> None:
    sender = branch_sender(carrier)
    requests = [clear_request(str(n), sender) for n in range(1, 5)]
    requests[2] = clear_request("3", sender, template="https://file-link.pinduoduo.com/nope")
    results = carrier.allocate(requests)
    assert [bool(r.waybill) for r in results] == [True, True, False, True]
    assert "template_url" in results[2].error and not results[2].retryable
    with pytest.raises(ValidationError, match="at most 10"):
        carrier.allocate([clear_request(str(n), sender) for n in range(11)])


def test_a_whole_call_refusal_fails_every_request(carrier) -> None:
    stranger = Contact(
        name="王仓管",
        phone="13800138000",
        province="北京市",
        city="北京市",
        district="朝阳区",
        address="不是网点地址",
    )
    results = carrier.allocate([clear_request("1", stranger), clear_request("2", stranger)])
    assert all("发货地址" in r.error for r in results)


def test_settings_are_required(sandbox_server) -> None:
    with pytest.raises(ConfigurationError, match="Pinduoduo app settings"):
        PinduoduoWaybill({"access_token": "t", "shop_id": "1"})
    with pytest.raises(ConfigurationError, match="authorised Pinduoduo shop"):
        PinduoduoWaybill({"platform": platform_settings(sandbox_server)})
