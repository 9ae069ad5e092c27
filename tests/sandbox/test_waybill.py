"""E-waybill APIs: subscriptions, issuing, idempotency, balance, cancel, reprint, templates."""

from __future__ import annotations

import json
import re

from plugins.platforms.pinduoduo.sandbox.data_logistics import TRACKING_PATTERNS
from tests.sandbox.conftest import Gateway, waybill_branch, waybill_request

GET, CANCEL = "pdd.waybill.get", "pdd.waybill.cancel"
QUERY = "pdd.waybill.query.by.waybillcode"


def test_search_lists_subscriptions_with_branches_and_balance(gw: Gateway, token: str) -> None:
    cols = gw.ok("pdd.waybill.search", token)["waybill_apply_subscription_cols"]
    assert {c["wp_code"] for c in cols} == {"YTO", "ZTO", "YUNDA", "JTSD"}
    zto = next(c for c in cols if c["wp_code"] == "ZTO")
    assert len(zto["branch_account_cols"]) == 2
    branch = zto["branch_account_cols"][0]
    assert branch["quantity"] == 10_000 and branch["allocated_quantity"] == 0
    assert set(branch["shipp_address_cols"][0]) >= {"province", "city", "district", "detail"}


def test_standard_templates_per_carrier(gw: Gateway) -> None:
    datas = gw.ok("pdd.cloudprint.stdtemplates.get", wp_code="YTO")["result"]["datas"]
    assert [d["wp_code"] for d in datas] == ["YTO"]
    urls = [t["standard_template_url"] for t in datas[0]["standard_templates"]]
    assert "https://file-link.pinduoduo.com/yto_one" in urls
    everything = gw.ok("pdd.cloudprint.stdtemplates.get")["result"]["datas"]
    assert {d["wp_code"] for d in everything} >= {"YTO", "ZTO", "YUNDA", "JTSD"}


def test_issuing_numbers_decrements_the_balance_and_seals_print_data(
    gw: Gateway, token: str
) -> None:
    request = waybill_request(gw, token, "YTO", ["pkg-1", "pkg-2", "pkg-3"])
    modules = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    assert [m["object_id"] for m in modules] == ["pkg-1", "pkg-2", "pkg-3"]
    assert len({m["waybill_code"] for m in modules}) == 3
    for module in modules:
        assert TRACKING_PATTERNS["YTO"].fullmatch(module["waybill_code"])
        print_data = json.loads(module["print_data"])
        assert set(print_data) == {"encryptedData", "signature", "templateUrl", "ver"}
        assert print_data["templateUrl"] == "https://file-link.pinduoduo.com/yto_one"
        bytes.fromhex(print_data["encryptedData"])
        content = gw.server.sandbox.cipher.open_print_data(module["print_data"])
        assert content["waybillCode"] == module["waybill_code"]
        assert content["recipient"]["name"]  # the order's receiver, in clear inside
        routing = module["routing_info"]  # in clear beside the print data, as sealed inside
        assert routing["big_shot_name"] == content["routingInfo"]["bigShotName"]
        assert routing["three_segment_code"] == content["routingInfo"]["threeSegmentCode"]
        assert routing["consolidation"] == content["routingInfo"]["consolidation"]
        assert re.fullmatch(r"\d{3}-[A-Z]\d{2} \d{2}", routing["three_segment_code"])
        assert routing["consolidation"]["name"].endswith("转运中心")
        address = content["recipient"]["address"]
        assert routing["big_shot_name"] == address["province"][:2] + address["city"][:2]
    branch = waybill_branch(gw, token, "YTO")
    assert (branch["quantity"], branch["allocated_quantity"]) == (9_997, 3)


def test_the_same_object_id_gets_the_same_waybill(gw: Gateway, token: str) -> None:
    request = waybill_request(gw, token, "ZTO", ["pkg-9"])
    first = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    again = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    assert first == again
    assert waybill_branch(gw, token, "ZTO")["quantity"] == 9_999


def test_cancel_returns_the_number_and_frees_the_object_id(gw: Gateway, token: str) -> None:
    request = waybill_request(gw, token, "JTSD", ["pkg-7"])
    [module] = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    code = module["waybill_code"]
    assert gw.ok(CANCEL, token, wp_code="JTSD", waybill_code=code)["cancel_result"] is True
    assert gw.ok(CANCEL, token, wp_code="JTSD", waybill_code=code)["cancel_result"] is True
    branch = waybill_branch(gw, token, "JTSD")
    assert (branch["quantity"], branch["cancel_quantity"]) == (10_000, 1)
    [fresh] = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    assert fresh["waybill_code"] != code
    assert (
        gw.error(CANCEL, token, wp_code="YTO", waybill_code=fresh["waybill_code"])["error_code"]
        == 50001
    )


def test_query_by_code_returns_the_print_data_for_a_reprint(gw: Gateway, token: str) -> None:
    request = waybill_request(gw, token, "YUNDA", ["pkg-5"])
    [module] = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    params = [
        {"object_id": "reprint-1", "wp_code": "YUNDA", "waybill_code": module["waybill_code"]}
    ]
    [found] = gw.ok(QUERY, token, param_list=params)["modules"]
    assert found["waybill_cloud_print_response"] == {
        "object_id": "reprint-1",
        "waybill_code": module["waybill_code"],
        "print_data": module["print_data"],
        "routing_info": module["routing_info"],
    }
    gw.ok(CANCEL, token, wp_code="YUNDA", waybill_code=module["waybill_code"])
    assert "已取消" in gw.error(QUERY, token, param_list=params)["sub_msg"]


def test_requests_are_checked_whole_before_anything_is_issued(gw: Gateway, token: str) -> None:
    bad = waybill_request(gw, token, "YTO", [f"pkg-{n}" for n in range(3)])
    bad["trade_order_info_dtos"][2]["template_url"] = "https://file-link.pinduoduo.com/zto_one"
    error = gw.error(GET, token, param_waybill_cloud_print_apply_new_request=bad)
    assert error["error_code"] == 10000 and "[2].template_url" in error["sub_msg"]
    assert waybill_branch(gw, token, "YTO")["quantity"] == 10_000


def test_refusals_name_the_problem(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    foreign = next(sandbox.store.shop_orders(sandbox.shops[1].owner_id)).sn
    too_many = waybill_request(gw, token, "YTO", ["a"])
    too_many["trade_order_info_dtos"] = too_many["trade_order_info_dtos"] * 11
    elsewhere = waybill_request(gw, token, "YTO", ["a"])
    elsewhere["sender"]["address"]["detail"] = "别处"
    not_mine = waybill_request(gw, token, "YTO", ["a"])
    not_mine["trade_order_info_dtos"][0]["order_info"]["trade_order_list"] = [foreign]
    unsubscribed = {**waybill_request(gw, token, "YTO", ["a"]), "wp_code": "SF"}
    bad_count = waybill_request(gw, token, "YTO", ["a"])
    bad_count["trade_order_info_dtos"][0]["package_info"]["items"][0]["count"] = "two"
    for request, words in (
        (too_many, "1–10"),
        (elsewhere, "网点地址"),
        (not_mine, "不属于当前店铺"),
        (unsubscribed, "未开通"),
        (bad_count, "count>0"),
    ):
        error = gw.error(GET, token, param_waybill_cloud_print_apply_new_request=request)
        assert words in error["sub_msg"], (words, error)


def test_an_empty_balance_refuses_new_numbers(gw: Gateway) -> None:
    gw.server.sandbox.reset(waybill_quantity=2)
    token = gw.server.sandbox.grant()["access_token"]  # a reset forgets every token
    request = waybill_request(gw, token, "YTO", ["a", "b", "c"])
    error = gw.error(GET, token, param_waybill_cloud_print_apply_new_request=request)
    assert "余额不足" in error["sub_msg"]
    request["trade_order_info_dtos"] = request["trade_order_info_dtos"][:2]
    assert (
        len(gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]) == 2
    )
    assert waybill_branch(gw, token, "YTO")["quantity"] == 0


def test_recipient_ciphertext_is_opened_for_printing(gw: Gateway, token: str) -> None:
    sandbox = gw.server.sandbox
    truth = next(
        t for t in sandbox.ground_truth(sandbox.shops[0].owner_id) if t["order"]["receiver_name"]
    )
    order = truth["order"]
    request = waybill_request(gw, token, "YTO", ["enc-1"])
    dto = request["trade_order_info_dtos"][0]
    dto["order_info"]["trade_order_list"] = [order["order_sn"]]
    dto["recipient"] = {
        "name": order["receiver_name"],
        "mobile": order["receiver_phone"],
        "address": {
            "province": order["province"],
            "city": order["city"],
            "district": order["town"],
            "detail": order["receiver_address"],
        },
    }
    [module] = gw.ok(GET, token, param_waybill_cloud_print_apply_new_request=request)["modules"]
    content = sandbox.cipher.open_print_data(module["print_data"])
    assert content["recipient"]["name"] == truth["receiver"]["name"]
    assert content["recipient"]["mobile"] == truth["receiver"]["phone"]
    assert content["recipient"]["address"]["detail"] == truth["receiver"]["address"]
    waybills = gw.control("GET", "/waybills")["waybills"]
    assert [w["waybill_code"] for w in waybills] == [module["waybill_code"]]
