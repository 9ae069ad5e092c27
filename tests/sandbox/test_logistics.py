"""Logistics companies and `pdd.logistics.online.send` shipment rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugins.platforms.pinduoduo.sandbox.orders import SandboxOrder
from tests.sandbox.conftest import ALL, INCREMENT, Gateway, now_ts

SEND = "pdd.logistics.online.send"
ZTO, ZTO_NUMBER = 115, "78" + "0123456789" + "01"


def _shippable(gw: Gateway, skip: int = 0) -> SandboxOrder:
    sandbox = gw.server.sandbox
    candidates = [
        o
        for o in sandbox.store.shop_orders(sandbox.shops[0].owner_id)
        if o.order_status == 1
        and o.refund_status == 1
        and o.data["confirm_status"] == 1
        and not o.data["risk_control_status"]
        and not any(t["value"] for t in o.data["order_tag_list"] if t["name"] == "ship_hold")
    ]
    return candidates[skip]


def test_companies_list_the_major_carriers_with_ids(gw: Gateway) -> None:
    companies = gw.ok("pdd.logistics.companies.get")["logistics_companies"]
    by_code = {c["code"]: c for c in companies if c["code"]}
    for code in ("YTO", "ZTO", "STO", "YUNDA", "JTSD", "SF", "EMS", "JD", "DB"):
        assert by_code[code]["available"] == 1 and isinstance(by_code[code]["id"], int)
    assert (by_code["ZTO"]["id"], by_code["ZTO"]["logistics_company"]) == (115, "中通快递")
    assert any(c["available"] == 0 for c in companies)


def test_a_first_shipment_marks_the_order_shipped_and_bumps_updated_at(
    gw: Gateway, token: str, frozen_clock: list
) -> None:
    order = _shippable(gw)
    frozen_clock[0] += timedelta(minutes=1)
    assert (
        gw.ok(SEND, token, order_sn=order.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER)[
            "is_success"
        ]
        is True
    )
    now = now_ts()
    info = gw.ok("pdd.order.information.get", token, order_sn=order.sn)["order_info"]
    assert (info["order_status"], info["logistics_id"], info["tracking_number"]) == (
        2,
        ZTO,
        ZTO_NUMBER,
    )
    assert info["receiver_name"] == "" and info["receiver_name_mask"]  # ciphertext gone
    window = gw.ok(INCREMENT, token, start_updated_at=now - 10, end_updated_at=now, **ALL)
    assert order.sn in {o["order_sn"] for o in window["order_sn_list"]}


def test_repeating_the_same_shipment_succeeds_and_changes_nothing(gw: Gateway, token: str) -> None:
    order = _shippable(gw)
    gw.ok(SEND, token, order_sn=order.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER)
    stamp = order.updated_ts
    again = gw.ok(SEND, token, order_sn=order.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER)
    assert again["is_success"] is True and order.updated_ts == stamp
    other = gw.error(
        SEND, token, order_sn=order.sn, logistics_id=ZTO, tracking_number="78" + "9" * 12
    )
    assert other["error_code"] == 50001 and "redelivery_type=2" in other["sub_msg"]


def test_redelivery_changes_a_shipped_order_only(gw: Gateway, token: str) -> None:
    first, second = _shippable(gw), _shippable(gw, 1)
    gw.ok(SEND, token, order_sn=first.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER)
    shipped_at = first.data["shipping_time"]
    gw.ok(
        SEND,
        token,
        order_sn=first.sn,
        logistics_id=85,
        tracking_number="YT" + "1" * 13,
        redelivery_type=2,
    )
    assert (first.data["logistics_id"], first.data["tracking_number"]) == (85, "YT" + "1" * 13)
    assert first.data["shipping_time"] == shipped_at
    error = gw.error(
        SEND,
        token,
        order_sn=second.sn,
        logistics_id=ZTO,
        tracking_number=ZTO_NUMBER,
        redelivery_type=2,
    )
    assert "未发货" in error["sub_msg"]


@pytest.mark.parametrize(("refund_status", "words"), [(2, "售后"), (3, "售后"), (4, "退款成功")])
def test_refunding_orders_are_refused(
    gw: Gateway, token: str, refund_status: int, words: str
) -> None:
    order = _shippable(gw)
    gw.server.sandbox.refund(order.sn, refund_status)
    error = gw.error(SEND, token, order_sn=order.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER)
    assert error["error_code"] == 50001 and words in error["sub_msg"]
    assert order.order_status == 1


def test_held_and_reviewed_orders_are_refused(gw: Gateway, token: str) -> None:
    held, reviewed = _shippable(gw), _shippable(gw, 1)
    gw.server.sandbox.update(held.sn, ship_hold=True)
    gw.server.sandbox.update(reviewed.sn, risk_control_status=1)
    for order, words in ((held, "暂停发货"), (reviewed, "审核中")):
        error = gw.error(
            SEND, token, order_sn=order.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER
        )
        assert words in error["sub_msg"]


def test_bad_carriers_numbers_and_orders_are_refused(gw: Gateway, token: str) -> None:
    order = _shippable(gw)
    sandbox = gw.server.sandbox
    foreign = next(sandbox.store.shop_orders(sandbox.shops[1].owner_id))
    cases = [
        ({"logistics_id": 99999, "tracking_number": ZTO_NUMBER}, 10000, "logistics_id"),
        ({"logistics_id": 116, "tracking_number": "QF1"}, 50001, "不支持"),
        ({"logistics_id": ZTO, "tracking_number": "YT" + "1" * 13}, 50001, "单号规则"),
        ({"logistics_id": ZTO}, 10000, "tracking_number"),
    ]
    for business, code, words in cases:
        error = gw.error(SEND, token, order_sn=order.sn, **business)
        assert error["error_code"] == code and words in error["sub_msg"], (business, error)
    error = gw.error(SEND, token, order_sn=foreign.sn, logistics_id=ZTO, tracking_number=ZTO_NUMBER)
    assert error["sub_msg"] == "订单不属于当前店铺或订单不存在"
