"""Pure mapping of recorded Pinduoduo payloads to core's boundary types."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.contracts import OrderStatus, RefundStatus
from core.errors import ValidationError
from plugins.platforms.pinduoduo import mapping, small_answers
from plugins.platforms.pinduoduo.oauth import grant_from_payload
from plugins.platforms.pinduoduo.transport import parse_json
from tests.pinduoduo.fixtures import load


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_awaiting_shipment_order_maps_every_field() -> None:
    payload = load("order_awaiting_shipment")
    order = mapping.order_from_payload(payload)
    assert order.order_number == "240601-338104320801429"
    assert order.status is OrderStatus.AWAITING_SHIPMENT
    assert order.refund_status is RefundStatus.NONE
    assert order.platform_status == "待发货"
    # Beijing 09:15:42 is 01:15:42 UTC.
    assert order.created_at == utc(2024, 6, 1, 1, 15, 42)
    assert order.updated_at == utc(2024, 6, 1, 2, 2, 37)
    assert order.paid_at == utc(2024, 6, 1, 1, 16, 1)
    assert order.ship_by == utc(2024, 6, 3, 1, 16, 3)
    assert (order.goods_fen, order.paid_fen, order.discount_fen, order.postage_fen) == (
        12870,
        11420,
        1950,
        500,
    )
    assert order.goods_fen - order.discount_fen + order.postage_fen == order.paid_fen
    assert [(x.sku_id, x.title, x.quantity, x.unit_price_fen) for x in order.lines] == [
        ("1180459247731", "纯棉四件套 全棉床单被套 1.8m床", 1, 9990),
        ("1180459248802", "记忆棉枕头 护颈枕芯", 2, 1440),
        ("1180459250001", "【赠品】枕套一只", 1, 0),
    ]
    first = order.lines[0]
    assert (first.goods_id, first.outer_id, first.spec) == (
        "537281930214",
        "SJT-180-GRY",
        "浅灰格,1.8m床单款",
    )
    receiver = order.receiver
    assert receiver.encrypted is True
    assert (receiver.province, receiver.city, receiver.district) == ("浙江省", "杭州市", "西湖区")
    assert receiver.name == payload["receiver_name"] and receiver.name.startswith("~")
    assert receiver.phone == payload["receiver_phone"] and receiver.phone.startswith("$")
    assert receiver.address == payload["receiver_address"]
    assert (receiver.name_masked, receiver.phone_masked, receiver.address_masked) == (
        "王*",
        "138****5621",
        "文三路***号",
    )
    assert order.buyer_memo == "麻烦发圆通，谢谢" and order.seller_remark == "老客户，送枕套"
    assert order.remark_flag == "red"
    assert order.tags == ("free_sf", "delivery_one_day")
    assert order.raw == payload


def test_shipped_order_in_refund_with_iso_times_and_numeric_sku_ids() -> None:
    order = mapping.order_from_payload(load("order_shipped_refunding"))
    assert order.status is OrderStatus.SHIPPED
    assert order.refund_status is RefundStatus.IN_PROGRESS
    assert order.platform_status == "已发货待签收，退款中"
    assert order.created_at == utc(2024, 5, 28, 13, 40, 11)
    assert order.updated_at == utc(2024, 6, 1, 0, 5, 0)
    assert order.lines[0].sku_id == "1098273645102" and order.lines[0].goods_id == "410293847561"
    assert (order.goods_fen, order.paid_fen, order.discount_fen, order.postage_fen) == (
        3980,
        3680,
        300,
        0,
    )
    # Shipped orders no longer carry ciphertext; masks remain. That is not an error.
    receiver = order.receiver
    assert (receiver.name, receiver.phone, receiver.address) == ("", "", "")
    assert receiver.encrypted is False and receiver.name_masked == "李**"
    assert order.remark_flag == "" and order.tags == ()


def test_cancelled_order_flags_and_tiny_amounts() -> None:
    order = mapping.order_from_payload(load("order_cancelled"))
    assert order.status is OrderStatus.CANCELLED
    assert order.refund_status is RefundStatus.REFUNDED
    assert order.platform_status == "已取消，退款成功"
    assert order.ship_by is None  # empty last_ship_time
    assert (order.goods_fen, order.paid_fen, order.discount_fen) == (10, 10, 0)
    assert order.tags == ("risk_control", "pre_sale")
    assert order.receiver.encrypted is True
    assert order.created_at == utc(2024, 5, 31, 15, 59, 59)


def test_increment_page_fixture_maps_every_order() -> None:
    body = load("increment_page")["order_sn_increment_get_response"]
    numbers = [mapping.order_from_payload(o).order_number for o in body["order_sn_list"]]
    assert numbers == [
        "240601-338104320801429",
        "240528-117430981552017",
        "240531-552901837702241",
    ]


@pytest.mark.parametrize(
    ("order_status", "refund_status", "confirm", "status", "refund"),
    [
        (1, 1, 1, OrderStatus.AWAITING_SHIPMENT, RefundStatus.NONE),
        (2, 2, 1, OrderStatus.SHIPPED, RefundStatus.IN_PROGRESS),
        (3, 3, 1, OrderStatus.DELIVERED, RefundStatus.IN_PROGRESS),
        (3, 4, 1, OrderStatus.DELIVERED, RefundStatus.REFUNDED),
        (1, 4, 2, OrderStatus.CANCELLED, RefundStatus.REFUNDED),
        (0, 0, 1, OrderStatus.UNKNOWN, RefundStatus.UNKNOWN),
        ("1", "1", "0", OrderStatus.AWAITING_SHIPMENT, RefundStatus.NONE),
    ],
)
def test_status_table(order_status, refund_status, confirm, status, refund) -> None:
    payload = load("order_awaiting_shipment")
    payload.update(order_status=order_status, refund_status=refund_status, confirm_status=confirm)
    order = mapping.order_from_payload(payload)
    assert (order.status, order.refund_status) == (status, refund)


@pytest.mark.parametrize(
    ("tag", "colour"),
    [
        (1, "red"),
        (2, "yellow"),
        (3, "green"),
        (4, "blue"),
        (5, "purple"),
        ("3", "green"),
        (0, ""),
        (None, ""),
        (9, ""),
    ],
)
def test_remark_tag_colours(tag, colour) -> None:
    payload = load("order_awaiting_shipment")
    payload["remark_tag"] = tag
    assert mapping.order_from_payload(payload).remark_flag == colour


def test_discount_falls_back_to_discount_amount_when_the_parts_are_absent() -> None:
    payload = load("order_awaiting_shipment")
    for name in ("platform_discount", "seller_discount", "capital_free_discount"):
        del payload[name]
    payload["discount_amount"] = 7.3
    assert mapping.order_from_payload(payload).discount_fen == 730


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-01 08:00:00", utc(2024, 6, 1, 0, 0)),
        ("2024-06-01T08:00:00", utc(2024, 6, 1, 0, 0)),
        ("2024-06-01T08:00:00+00:00", utc(2024, 6, 1, 8, 0)),
        ("2024-01-01 07:59:59", utc(2023, 12, 31, 23, 59, 59)),
        (1717200000, utc(2024, 6, 1, 0, 0)),
        ("", None),
        (None, None),
    ],
)
def test_beijing_time(value, expected) -> None:
    assert mapping.beijing_time(value, "pay_time", "X") == expected


@given(st.datetimes(min_value=datetime(2015, 1, 1), max_value=datetime(2035, 1, 1)))
def test_beijing_text_round_trips(moment: datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=UTC)
    text = (moment + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M:%S")
    assert mapping.beijing_time(text, "updated_at", "X") == moment
    assert mapping.beijing_time(text.replace(" ", "T"), "updated_at", "X") == moment


@given(st.integers(min_value=0, max_value=10**10))
def test_json_money_reaches_exact_fen(fen: int) -> None:
    """Money the gateway sends as a JSON number (parsed to float) lands on the exact fen."""
    body = f'{{"pay_amount": {fen // 100}.{fen % 100:02d}, "goods_amount": {fen // 100}}}'
    for payload in (json.loads(body), parse_json(body.encode())):  # stdlib and the client's
        assert mapping.money(payload, "pay_amount", "X", required=True) == fen
        assert mapping.money(payload, "goods_amount", "X", required=True) == fen // 100 * 100


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"created_time": "2024/06/01 09:15"}, "created_time"),
        ({"updated_at": ""}, "updated_at"),
        ({"updated_at": "yesterday"}, "updated_at"),
        ({"pay_time": "2024-06-01"}, "pay_time"),
        ({"pay_amount": "12.3x"}, "pay_amount"),
        ({"pay_amount": None}, "pay_amount"),
        ({"goods_amount": 1.234}, "goods_amount"),
        ({"postage": -5}, "postage"),
        ({"seller_discount": "lots"}, "seller_discount"),
        ({"order_status": "shipped"}, "order_status"),
        ({"refund_status": None}, "refund_status"),
        ({"item_list": "none"}, "item_list"),
    ],
)
def test_bad_fields_name_the_order_and_the_field(change: dict, field: str) -> None:
    payload = load("order_awaiting_shipment")
    payload.update(change)
    with pytest.raises(ValidationError) as info:
        mapping.order_from_payload(payload)
    assert info.value.details == {"field": field, "order_number": "240601-338104320801429"}
    assert "240601-338104320801429" in info.value.message and field in info.value.message


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"goods_count": 0}, "item_list[1].goods_count"),
        ({"goods_count": "two"}, "item_list[1].goods_count"),
        ({"goods_price": "9.999"}, "item_list[1].goods_price"),
        ({"goods_price": None}, "item_list[1].goods_price"),
        ({"sku_id": None}, "item_list[1].sku_id"),
        ({"sku_id": True}, "item_list[1].sku_id"),
    ],
)
def test_bad_lines_name_the_order_and_the_line(change: dict, field: str) -> None:
    payload = load("order_awaiting_shipment")
    payload["item_list"][1].update(change)
    with pytest.raises(ValidationError) as info:
        mapping.order_from_payload(payload)
    assert info.value.details["field"] == field
    assert info.value.details["order_number"] == "240601-338104320801429"


@pytest.mark.parametrize("order_sn", [None, "", "   ", 240601338104320801429])
def test_missing_order_number(order_sn) -> None:
    payload = load("order_awaiting_shipment")
    payload["order_sn"] = order_sn
    with pytest.raises(ValidationError, match="without order_sn") as info:
        mapping.order_from_payload(payload)
    assert info.value.details["field"] == "order_sn"
    with pytest.raises(ValidationError, match="must be an object"):
        mapping.order_from_payload(["not", "an", "order"])  # type: ignore[arg-type]


def test_mapping_does_not_change_the_payload() -> None:
    payload = load("order_awaiting_shipment")
    before = copy.deepcopy(payload)
    mapping.order_from_payload(payload)
    assert payload == before


@pytest.mark.parametrize(
    ("value", "cipher"),
    [
        ("~AgAAAACjmWAFZ1vG5ABcHJJ+v1G1LcKH2BRzsYjGe/s=~niqTGhCNifXk~1~~", True),
        ("$WsuJt4Yh3K7a$AgAAAACjmWAGZ1vG5ABLUicfAzPuXzSdjyz1biPoE6E=$1$$", True),
        ("王芳", False),
        ("138****5621", False),
        ("", False),
        ("~", False),
        ("~abc$", False),
    ],
)
def test_ciphertext_shapes(value: str, cipher: bool) -> None:
    assert mapping.is_ciphertext(value) is cipher


def test_plain_receiver_is_not_marked_encrypted() -> None:
    payload = load("order_awaiting_shipment")
    payload.update(receiver_name="王芳", receiver_phone="13812345621", receiver_address="文三路1号")
    assert mapping.order_from_payload(payload).receiver.encrypted is False


def test_status_answers_use_camel_case_order_numbers() -> None:
    items = load("order_status")["order_status_get_response"]["order_status_list"]
    infos = [small_answers.status_info_from_payload(item) for item in items]
    assert [(i.order_number, i.status, i.refund_status) for i in infos] == [
        ("240601-338104320801429", OrderStatus.AWAITING_SHIPMENT, RefundStatus.NONE),
        ("240528-117430981552017", OrderStatus.SHIPPED, RefundStatus.IN_PROGRESS),
        ("240531-552901837702241", OrderStatus.UNKNOWN, RefundStatus.UNKNOWN),
    ]


def test_logistics_companies() -> None:
    items = load("logistics_companies")["logistics_companies_get_response"]["logistics_companies"]
    companies = [small_answers.logistics_company_from_payload(item) for item in items]
    assert [(c.id, c.code, c.name, c.available) for c in companies] == [
        ("85", "YTO", "圆通快递", True),
        ("115", "ZTO", "中通快递", True),
        ("44", "SF", "顺丰快递", True),
        ("3", "STO", "申通快递", False),
    ]


def test_decrypted_values_keep_per_item_errors() -> None:
    items = load("decrypt_batch")["open_decrypt_batch_response"]["data_decrypt_list"]
    answers = [small_answers.decrypted_from_payload(item) for item in items]
    assert [(a.plaintext, a.error) for a in answers[:2]] == [("王芳", ""), ("13812345621", "")]
    assert answers[2].plaintext == "" and "订单已取消" in answers[2].error
    assert answers[2].tag == "240531-552901837702241"


def test_token_grant_takes_the_earlier_expiry_and_owner_id() -> None:
    body = load("token_create")["pop_auth_token_create_response"]
    now = utc(2024, 6, 1, 0, 0)  # 1717200000
    grant = grant_from_payload(body, now)
    assert grant.shop_id == "712345678" and grant.shop_name == "杭州棉语家纺旗舰店"
    # expires_in says now + 86399 s, expires_at says 1717290000 (= now + 90000 s): earlier wins.
    assert grant.expires_at == now + timedelta(seconds=86399)
    assert grant.refresh_expires_at == now + timedelta(seconds=2591999)
    assert grant.scopes[0] == "pdd.order.number.list.increment.get"
    assert "c3d5e8" not in repr(grant)
    late = grant_from_payload(body, now + timedelta(hours=2))  # a clock running late
    assert late.expires_at == datetime.fromtimestamp(1717290000, UTC)


def test_token_grant_with_numeric_owner_id_and_only_expires_at() -> None:
    body = dict(load("token_create")["pop_auth_token_create_response"], owner_id=712345678)
    del body["expires_in"]
    grant = grant_from_payload(body, utc(2024, 6, 1))
    assert grant.shop_id == "712345678"
    assert grant.expires_at == datetime.fromtimestamp(1717290000, UTC)
