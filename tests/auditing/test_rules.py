"""Each 审单 rule alone: the order that passes and the one that fails, on facts only."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.auditing import rules
from core.auditing.regions import divisions
from core.auditing.settings import RuleSettings

BASE = rules.OrderFacts(
    id=1,
    shop_id=1,
    number="A1",
    refund_status="none",
    flag="",
    buyer_memo="",
    seller_remark="",
    local_remark="",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    address="文三路 90 号",
    phone="13812345678",
    platform_encrypted=False,
    pay_amount_fen=7980,
    quantity=2,
    paid_at=None,
)


def codes(facts: rules.OrderFacts, **settings) -> list[str]:
    ctx = rules.Context(RuleSettings(**settings))
    return [code for code, _ in rules.evaluate(facts, ctx)]


def test_a_plain_order_passes_every_rule_with_every_rule_on() -> None:
    every = dict(seller_remark=True, amount_min_fen=1, amount_max_fen=10**6, quantity_max=10)
    assert codes(BASE, **every) == []


@pytest.mark.parametrize(
    ("change", "settings", "code"),
    [
        ({"refund_status": "in_progress"}, {}, "refund_in_progress"),
        ({"flag": "red"}, {}, "flag_red"),
        ({"flag": "purple"}, {"stop_flags": ("red", "purple")}, "flag_purple"),
        ({"buyer_memo": "请发顺丰"}, {}, "buyer_memo"),
        ({"seller_remark": "送小样"}, {"seller_remark": True}, "seller_remark"),
        ({"local_remark": "客户要求改地址"}, {"seller_remark": True}, "seller_remark"),
        ({"province": "火星省"}, {}, "address_unknown_province"),
        ({"city": "北京市"}, {}, "address_unknown_city"),
        ({"district": "朝阳区"}, {}, "address_unknown_district"),
        ({"address": "  "}, {}, "address_empty"),
        ({"address": "浙江省杭州市西湖区文三路 90 号"}, {}, "address_repeated_prefix"),
        ({"phone": "1381234567"}, {}, "phone_shape"),
        ({"phone": "138-1234-567x"}, {}, "phone_shape"),
        ({"pay_amount_fen": 50}, {"amount_min_fen": 100}, "amount_out_of_range"),
        ({"pay_amount_fen": 10**7}, {"amount_max_fen": 10**6}, "amount_out_of_range"),
        ({"quantity": 12}, {"quantity_max": 10}, "quantity_out_of_range"),
        ({"quantity": 1}, {"quantity_min": 2}, "quantity_out_of_range"),
    ],
)
def test_each_rule_fails_its_order_and_names_it(change, settings, code) -> None:
    assert codes(replace(BASE, **change), **settings) == [code]


@pytest.mark.parametrize(
    ("change", "settings"),
    [
        ({"refund_status": "in_progress"}, {"refund_in_progress": False}),
        ({"flag": "yellow"}, {}),  # only red stops by default
        ({"flag": "red"}, {"stop_flags": ()}),
        ({"buyer_memo": "请发顺丰"}, {"buyer_memo": False}),
        ({"seller_remark": "送小样"}, {}),  # off by default
        ({"province": "火星省"}, {"address": False}),
        ({"phone": "123"}, {"phone": False}),
        ({"phone": "0571-88886666"}, {}),
        ({"phone": "+86 138 1234 5678"}, {}),
        ({"phone": "13812345678-1234"}, {}),
        ({"address": "杭州路 8 号"}, {}),  # a street named after the city is no repeat
        ({"province": "浙江", "city": "杭州"}, {}),  # short forms
        ({"province": "北京市", "city": "北京市", "district": "朝阳区"}, {}),
        ({"province": "广东省", "city": "东莞市", "district": "东城街道"}, {}),
        ({"pay_amount_fen": 10**7}, {}),  # no bounds by default
    ],
)
def test_each_rule_passes_what_it_allows(change, settings) -> None:
    assert codes(replace(BASE, **change), **settings) == []


def test_clear_text_rules_skip_platform_ciphertext_but_regions_still_count() -> None:
    encrypted = replace(BASE, platform_encrypted=True, address=None, phone=None)
    assert codes(encrypted) == []
    assert codes(replace(encrypted, district="朝阳区")) == ["address_unknown_district"]


def test_duplicate_and_mergeable_read_the_batch_context() -> None:
    ctx = rules.Context(RuleSettings(), duplicates={1: "shop 2 #A1"}, mergeable={1: ["A2"]})
    failures = rules.evaluate(BASE, ctx)
    assert [c for c, _ in failures] == ["duplicate_order", "mergeable"]
    assert "A2" in failures[1][1] and "/" in failures[1][1]  # Chinese / English
    off = rules.Context(
        RuleSettings(duplicate_order=False, mergeable=False),
        duplicates={1: "x"},
        mergeable={1: ["A2"]},
    )
    assert rules.evaluate(BASE, off) == []


def test_divisions_know_levels_and_short_forms() -> None:
    table = divisions()
    assert table.province("浙江") == "浙江省"
    assert table.province("内蒙古") == "内蒙古自治区"
    assert table.check("重庆市", "重庆市", "城口县") == "ok"
    assert table.check("湖北省", "仙桃市", "沙嘴街道") == "ok"
    assert table.check("浙江省", "杭州市", "下城区") == "ok"  # merged in 2021, still accepted
    assert table.repeated_prefix("浙江杭州文三路", "浙江省", "杭州市")
    assert table.repeated_prefix("北京市朝阳区建国路", "北京市", "北京市")
