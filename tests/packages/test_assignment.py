"""自动分配: rules validated and matched (hypothesis against a brute-force reading), rules
kept in order, orders assigned as they arrive, by hand, and never overridden by rules."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.assignment import assigning, rules, service
from core.assignment.rules import Conditions, OrderFacts, Rule
from core.errors import Conflict, NotFound, ValidationError
from core.models import OrderTag, Tag
from core.orders import splitting
from tests.packages.desk import LI, WANG, make_order

PROVINCES = ["浙江省", "浙江", "江苏省", "广西壮族自治区", "上海市", "上海"]
SKUS = ["A", "B", "C"]
TAGS = ["紧急", "大件"]

conditions = st.builds(
    Conditions,
    provinces=st.lists(st.sampled_from(PROVINCES), max_size=2).map(tuple),
    shop_ids=st.lists(st.sampled_from([1, 2]), max_size=1).map(tuple),
    min_weight_g=st.none() | st.sampled_from([0, 500, 1000]),
    max_weight_g=st.none() | st.sampled_from([1000, 3000]),
    skus=st.lists(st.sampled_from(SKUS), max_size=2).map(tuple),
    tags=st.lists(st.sampled_from(TAGS), max_size=1).map(tuple),
    platforms=st.lists(st.sampled_from(["pinduoduo", "taobao"]), max_size=1).map(tuple),
)
facts = st.builds(
    OrderFacts,
    province=st.sampled_from(PROVINCES),
    shop_id=st.sampled_from([1, 2]),
    platform=st.sampled_from(["pinduoduo", "taobao"]),
    weight_g=st.none() | st.sampled_from([0, 499, 500, 1000, 2999, 3001]),
    skus=st.frozensets(st.sampled_from(SKUS)),
    tags=st.frozensets(st.sampled_from(TAGS)),
)


def brute_force(c: Conditions, f: OrderFacts) -> bool:
    def same_province(a: str, b: str) -> bool:
        return a.rstrip("省市").replace("壮族自治区", "") == b.rstrip("省市").replace(
            "壮族自治区", ""
        )

    checks = []
    if c.provinces:
        checks.append(any(same_province(p, f.province) for p in c.provinces))
    if c.shop_ids:
        checks.append(f.shop_id in c.shop_ids)
    if c.platforms:
        checks.append(f.platform in c.platforms)
    if c.min_weight_g is not None:
        checks.append(f.weight_g is not None and f.weight_g >= c.min_weight_g)
    if c.max_weight_g is not None:
        checks.append(f.weight_g is not None and f.weight_g <= c.max_weight_g)
    if c.skus:
        checks.append(any(s in f.skus for s in c.skus))
    if c.tags:
        checks.append(any(t in f.tags for t in c.tags))
    return all(checks)


@given(conditions, facts)
def test_the_matcher_agrees_with_a_brute_force_reading(c, f) -> None:
    assert rules.matches(c, f) == brute_force(c, f)


@given(st.lists(st.tuples(conditions, st.booleans()), max_size=5), facts)
def test_the_first_enabled_matching_rule_by_position_wins(listed, f) -> None:
    ordered = [Rule(f"r{n}", n, c, enabled=on) for n, (c, on) in enumerate(listed)]
    expected = next((r for r in ordered if r.enabled and brute_force(r.conditions, f)), None)
    assert rules.first_match(list(reversed(ordered)), f) == expected


def test_conditions_are_validated_naming_the_condition() -> None:
    assert Conditions.of({}).is_default
    assert Conditions.of({"platforms": ["PinDuoDuo"]}).platforms == ("pinduoduo",)
    for bad, field in (
        ({"colour": ["red"]}, "conditions"),
        ({"provinces": "浙江省"}, "conditions.provinces"),
        ({"provinces": [""]}, "conditions.provinces"),
        ({"min_weight_g": -1}, "conditions.min_weight_g"),
        ({"min_weight_g": 900, "max_weight_g": 100}, "conditions.min_weight_g"),
        ({"shop_ids": ["x"]}, "conditions.shop_ids"),
    ):
        with pytest.raises(ValidationError) as raised:
            Conditions.of(bad)
        assert raised.value.details["field"] == field


def two_accounts(desk) -> None:  # type: ignore[no-untyped-def]
    desk.manual_account("sf", "SF")
    desk.manual_account("yto", "YTO")


def test_rules_are_kept_in_order_and_audited(desk) -> None:
    shop = desk.shop()
    two_accounts(desk)
    admin = desk.org.admin
    service.add_rule(admin_app := desk.app, admin, "默认", carrier_account="yto")
    service.add_rule(
        admin_app,
        admin,
        "江浙沪",
        {"provinces": ["浙江", "江苏"], "shops": ["杯子店"]},
        carrier_account="sf",
        position=1,
    )
    listed = service.list_rules(desk.app, admin)
    assert [(r.name, r.position) for r in listed] == [("江浙沪", 1), ("默认", 2)]
    assert listed[0].conditions == {"provinces": ["浙江", "江苏"], "shops": ["杯子店"]}
    assert listed[1].is_default
    service.move_rule(desk.app, admin, "默认", 1)
    service.update_rule(desk.app, admin, "默认", enabled=False)
    assert [(r.name, r.enabled) for r in service.list_rules(desk.app, admin)] == [
        ("默认", False),
        ("江浙沪", True),
    ]
    with pytest.raises(Conflict, match="exists already"):
        service.add_rule(desk.app, admin, "默认", carrier_account="sf")
    with pytest.raises(NotFound, match="no shop named '无此店'"):
        service.add_rule(desk.app, admin, "x", {"shops": ["无此店"]}, carrier_account="sf")
    with pytest.raises(NotFound, match="no carrier account named 'ems'"):
        service.add_rule(desk.app, admin, "x", carrier_account="ems")
    with pytest.raises(ValidationError, match="chooses nothing"):
        service.add_rule(desk.app, admin, "x")
    with pytest.raises(ValidationError, match="position must be 1 to 3"):
        service.add_rule(desk.app, admin, "x", carrier_account="sf", position=9)
    service.remove_rule(desk.app, admin, "默认")
    assert [r.name for r in service.list_rules(desk.app, admin)] == ["江浙沪"]
    actions = [e.action for e in desk.events("assignment_rule.add")]
    assert actions == ["assignment_rule.add"] * 2
    assert desk.events("assignment_rule.remove")[0].before["name"] == "默认"
    assert shop


def test_orders_get_the_first_matching_rule_and_hand_assignments_stay(desk) -> None:
    shop = desk.shop()
    two_accounts(desk)
    admin = desk.org.admin
    service.add_rule(desk.app, admin, "大件", {"min_weight_g": 5000}, carrier_account="yto")
    service.add_rule(desk.app, admin, "江苏", {"provinces": ["江苏"]}, carrier_account="yto")
    service.add_rule(
        desk.app, admin, "紧急", {"tags": ["紧急"]}, carrier_account="sf", template="label-76x130"
    )
    service.add_rule(desk.app, admin, "默认", carrier_account="sf")
    jiangsu = replace(LI, province="江苏省", city="南京市", district="玄武区")
    desk.store(
        shop,
        make_order("O1"),
        make_order("O2", receiver=jiangsu),
        make_order("O3", receiver=WANG),
        make_order("O4"),
    )
    with desk.app.tx() as s:
        tag = Tag(org_id=desk.org.org_id, name="紧急")
        s.add(tag)
        s.flush()
        s.add(OrderTag(order_id=desk.order("O3").id, tag_id=tag.id, org_id=desk.org.org_id))
    splitting.split(desk.app, admin, "O4", [{1: 2}])
    splitting.set_weight(desk.app, admin, 8000, order_number="O4")
    ids = [desk.order(n).id for n in ("O1", "O2", "O3", "O4")]
    with desk.app.tx() as s:
        assert assigning.assign_orders(s, desk.org.org_id, ids) == 4
    got = {
        n: (desk.order(n).assigned_template, desk.order(n).assigned_by)
        for n in ("O1", "O2", "O3", "O4")
    }
    assert got == {
        "O1": ("", "rule:默认"),
        "O2": ("", "rule:江苏"),
        "O3": ("label-76x130", "rule:紧急"),
        "O4": ("", "rule:大件"),
    }
    assert desk.events("order.assign_rules")[0].actor_label == "rules"
    # by hand: rules leave it alone, even re-applied
    assert assigning.set_assignment(desk.app, admin, ["O2"], "sf", None) == 1
    service.update_rule(desk.app, admin, "默认", carrier_account="yto")
    assert assigning.apply_rules(desk.app, admin) == 1  # O1 (默认 changed), not O2
    assert desk.order("O2").assigned_by == "manual"
    event = desk.events("order.assign")[0]
    assert (event.before["by"], event.after) == (
        "rule:江苏",
        {"carrier_account": "sf", "template": "", "by": "manual"},
    )
    assigning.clear_assignment(desk.app, admin, ["O2"])
    assert desk.order("O2").assigned_by == "rule:江苏"
