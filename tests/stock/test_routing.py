"""分仓 (`core.stock.routing`, `routing_rules`, `core.desk.rerouting`): ordered rules, the
first that matches wins — by province, shop, or stock that fills the whole order — else
the default warehouse; orders get theirs as they are stored, and moving one by hand moves
its reservation, the levels always proving against the ledger."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update

from core.accounts import audit
from core.auditing import decisions
from core.contracts.types import Contact, PlatformOrderLine
from core.desk import manual, rerouting
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Order, Shop, Warehouse
from core.orders import store as order_store
from core.stock import catalogue, levels, operations, routing_rules, warehouses
from core.stock.operations import Line
from core.stock.routing import OrderFacts, Rule, choose
from tests.conftest import OrgFixture
from tests.test_order_store import make_order

MAIN, NORTH, SOUTH = 1, 2, 3


def test_the_first_matching_rule_wins_and_the_default_catches_the_rest() -> None:
    rules = [
        Rule("北方", (NORTH,), provinces=("北京", "河北省")),
        Rule("旗舰店", (SOUTH,), shop_ids=(7,)),
        Rule("浙江旗舰", (MAIN,), provinces=("浙江",), shop_ids=(7,)),  # never reached
    ]
    assert choose(rules, OrderFacts("北京市", 7), {}, MAIN) == (NORTH, "北方")  # both match
    assert choose(rules, OrderFacts("河北", 1), {}, MAIN) == (NORTH, "北方")
    assert choose(rules, OrderFacts("浙江省", 7), {}, MAIN) == (SOUTH, "旗舰店")
    assert choose(rules, OrderFacts("浙江省", 1), {}, SOUTH) == (SOUTH, "")  # the default
    assert choose([], OrderFacts("北京", 1), {}, MAIN) == (MAIN, "")


def test_a_stock_rule_takes_the_first_warehouse_that_fills_the_whole_order() -> None:
    rules = [Rule("有货", (NORTH, SOUTH), by_stock=True)]
    stock = {(NORTH, 10): 5, (NORTH, 11): 0, (SOUTH, 10): 1, (SOUTH, 11): 1}
    assert choose(rules, OrderFacts("浙江", 1, {10: 1}), stock, MAIN) == (NORTH, "有货")
    # NORTH has the cups but not the lids: only SOUTH fills the whole order
    assert choose(rules, OrderFacts("浙江", 1, {10: 1, 11: 1}), stock, MAIN) == (SOUTH, "有货")
    # nobody can: the rule does not match, the next one (here: the default) decides
    assert choose(rules, OrderFacts("浙江", 1, {10: 2, 11: 1}), stock, MAIN) == (MAIN, "")
    then = [*rules, Rule("其余", (NORTH,))]
    assert choose(then, OrderFacts("浙江", 1, {10: 9}), stock, MAIN) == (NORTH, "其余")


@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=3),
    st.dictionaries(st.tuples(st.sampled_from((1, 2, 3)), st.integers(0, 2)), st.integers(0, 3)),
    st.dictionaries(st.integers(0, 2), st.integers(1, 3), max_size=3),
)
def test_a_stock_choice_always_fills_the_order_or_falls_to_the_default(
    order: list[int], stock: dict[tuple[int, int], int], need: dict[int, int]
) -> None:
    houses = tuple(dict.fromkeys(h for h in order if h))
    if not houses:
        houses = (NORTH,)
    house, rule = choose([Rule("r", houses, by_stock=True)], OrderFacts("", 1, need), stock, 9)
    fits = [h for h in houses if all(stock.get((h, s), 0) >= q for s, q in need.items())]
    assert (house, rule) == ((fits[0], "r") if fits else (9, ""))


# ---------------------------------------------------------------- through the services


@pytest.fixture
def org(app, acme: OrgFixture):  # type: ignore[no-untyped-def]
    """Three warehouses (主仓 the default), cups in 北仓 (1) and 南仓 (5), two shops."""
    admin = acme.admin
    for name in ("主仓", "北仓", "南仓"):
        warehouses.add_warehouse(app, admin, name)
    catalogue.add_sku(app, admin, "CUP")
    operations.receive(app, admin, [Line("CUP", 1)], warehouse="北仓")
    operations.receive(app, admin, [Line("CUP", 5)], warehouse="南仓")
    with app.tx() as s:
        for name, key in (("杯子店", "9001"), ("旗舰店", "9002")):
            s.add(Shop(org_id=acme.org_id, platform="pinduoduo", platform_shop_id=key, name=name))
    return acme


def shop_id(app, org_id: int, name: str) -> int:  # type: ignore[no-untyped-def]
    with app.tx() as s:
        return s.scalars(select(Shop.id).where(Shop.org_id == org_id, Shop.name == name)).one()


def order(number: str, province: str = "浙江省", cups: int = 1):  # type: ignore[no-untyped-def]
    receiver = Contact("王小明", "13812345678", province, "某市", "某区", "文三路 90 号")
    line = PlatformOrderLine(
        sku_id=f"p-{number}", title="保温杯", quantity=cups, unit_price_fen=100, outer_id="CUP"
    )
    return make_order(number, receiver=receiver, lines=(line,))


def store(app, org_id: int, shop: str, orders) -> None:  # type: ignore[no-untyped-def]
    with app.tx() as s:
        order_store.upsert_orders(
            s, app.keyring, org_id=org_id, shop_id=shop_id(app, org_id, shop), orders=orders
        )


def houses_of(app, org_id: int) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with app.tx() as s:
        rows = s.execute(
            select(Order.platform_order_no, Warehouse.name)
            .join(Warehouse, Warehouse.id == Order.warehouse_id)
            .where(Order.org_id == org_id)
        )
        return dict(rows.all())


def stock(app, actor) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {lv.warehouse: (lv.on_hand, lv.reserved) for lv in levels.list_levels(app, actor)}


def test_arriving_orders_are_routed_by_the_rules(app, org: OrgFixture) -> None:
    admin = org.admin
    routing_rules.add_rule(app, admin, "北方", ["北仓"], provinces=["北京", "河北"])
    routing_rules.add_rule(app, admin, "有货优先", ["北仓", "南仓"], by_stock=True)
    # added at position 2: tried before the stock rule
    routing_rules.add_rule(app, admin, "旗舰店", ["南仓"], shops=["旗舰店"], position=2)
    assert [(r.position, r.name) for r in routing_rules.list_rules(app, admin)] == [
        (1, "北方"),
        (2, "旗舰店"),
        (3, "有货优先"),
    ]
    store(app, org.org_id, "旗舰店", [order("F1", "北京市"), order("F2")])
    # one cup in 北仓: the first order of the batch gets it, the second goes on to 南仓;
    # nobody has 9 cups: the default
    store(app, org.org_id, "杯子店", [order("S1"), order("S2"), order("S3", cups=9)])
    assert houses_of(app, org.org_id) == {
        "F1": "北仓",  # province first, though the shop rule matches too
        "F2": "南仓",
        "S1": "北仓",
        "S2": "南仓",
        "S3": "主仓",
    }
    typed = manual.create_manual_order(  # a manual order is routed as an imported one
        app, admin, "杯子店", name="李四", phone="13900139000", province="河北省",
        city="石家庄市", district="长安区", address="1 号",
        lines=[manual.ManualLine("保温杯", "CUP", 1, "9.90")],
    )  # fmt: skip
    assert houses_of(app, org.org_id)[typed.order_number] == "北仓"
    routing_rules.remove_rule(app, admin, "北方")
    assert [(r.position, r.name) for r in routing_rules.list_rules(app, admin)] == [
        (1, "旗舰店"),
        (2, "有货优先"),
    ]
    with pytest.raises(NotFound, match="no warehouse named '西仓'"):
        routing_rules.add_rule(app, admin, "西", ["西仓"])
    with pytest.raises(NotFound, match="no shop named"):
        routing_rules.add_rule(app, admin, "西", ["北仓"], shops=["别人的店"])
    with pytest.raises(ValidationError, match="at least one warehouse"):
        routing_rules.add_rule(app, admin, "空", [])


def test_an_order_without_rules_goes_to_the_default_and_reserves_there(
    app, org: OrgFixture
) -> None:
    admin = org.admin
    warehouses.update_warehouse(app, admin, "南仓", default=True)
    store(app, org.org_id, "杯子店", [order("D1", cups=2)])
    assert houses_of(app, org.org_id) == {"D1": "南仓"}
    decisions.approve(app, admin, ["D1"])
    assert stock(app, admin) == {"北仓": (1, 0), "南仓": (5, 2)}
    assert levels.verify(app, admin) == []


def test_moving_an_order_moves_its_reservation(app, org: OrgFixture) -> None:
    admin = org.admin
    store(app, org.org_id, "杯子店", [order("M1", cups=2), order("M2", cups=3)])
    decisions.approve(app, admin, ["M1"])  # 主仓 has no cups: held, reserves nothing
    assert stock(app, admin) == {"主仓": (0, 0), "北仓": (1, 0), "南仓": (5, 0)}

    moved = rerouting.route_orders(app, admin, ["M1", "M2"], "南仓")
    assert (moved.changed, moved.held) == (["M1", "M2"], [])  # M1's stock hold tried again
    assert stock(app, admin)["南仓"] == (5, 2)  # M1 reserved; M2 is pending: nothing
    decisions.approve(app, admin, ["M2"])
    assert stock(app, admin)["南仓"] == (5, 5)

    moved = rerouting.route_orders(app, admin, ["M2", "M1"], "北仓")  # 1 cup there
    assert moved.changed == ["M2", "M1"] and sorted(moved.held) == ["M1", "M2"]
    assert stock(app, admin) == {
        "主仓": (0, 0),
        "北仓": (1, 0),
        "南仓": (5, 5),
    }  # kept until it fits
    operations.receive(app, admin, [Line("CUP", 3)], warehouse="北仓")  # 4: M1 fits, M2 not
    assert stock(app, admin) == {"主仓": (0, 0), "北仓": (4, 2), "南仓": (5, 3)}
    assert levels.verify(app, admin) == []

    again = rerouting.route_orders(app, admin, ["M1"], "北仓")
    assert (again.changed, again.unchanged) == ([], ["M1"])
    with app.tx() as s:
        s.execute(update(Order).where(Order.platform_order_no == "M2").values(hub_status="shipped"))
    refused = rerouting.route_orders(app, admin, ["M2"], "主仓")
    assert "M2 is shipped" in refused.refused["M2"] and refused.changed == []
    with app.tx() as s:
        events = audit.events(s, org.org_id, action="order.route")
        assert {(e.detail, e.before["warehouse"], e.after["warehouse"]) for e in events} >= {
            ("M1", "主仓", "南仓"),
            ("M1", "南仓", "北仓"),
        }
    assert levels.verify(app, admin) == []


def test_who_may_route_and_set_rules(app, org: OrgFixture, globex: OrgFixture) -> None:
    store(app, org.org_id, "杯子店", [order("P1")])
    printer = org.staff("xiaowang", "打单员")  # order.edit and stock.view, no stock.adjust
    keeper = org.staff("laozhang", "仓库管理员")  # stock.adjust, no order.edit
    assert rerouting.route_orders(app, printer, ["P1"], "南仓").changed == ["P1"]
    with pytest.raises(PermissionDenied):
        rerouting.route_orders(app, keeper, ["P1"], "北仓")
    with pytest.raises(PermissionDenied):
        routing_rules.add_rule(app, printer, "北方", ["北仓"])
    with pytest.raises(PermissionDenied):
        warehouses.update_warehouse(app, printer, "北仓", contact="王五")
    routing_rules.add_rule(app, keeper, "北方", ["北仓"], provinces=["北京"])
    assert [r.name for r in routing_rules.list_rules(app, printer)] == ["北方"]
    with pytest.raises(PermissionDenied):
        routing_rules.remove_rule(app, printer, "北方")

    other = globex.admin  # another org: its orders, warehouses and rules are not found
    warehouses.add_warehouse(app, other, "自己的仓")
    with pytest.raises(NotFound):
        rerouting.route_orders(app, other, ["P1"], "自己的仓")
    with pytest.raises(NotFound):
        rerouting.route_orders(app, other, ["P1"], "北仓")
    with pytest.raises(NotFound):
        routing_rules.add_rule(app, other, "抢", ["北仓"])
    with pytest.raises(NotFound):
        routing_rules.remove_rule(app, other, "北方")
    assert routing_rules.list_rules(app, other) == []
    assert houses_of(app, org.org_id) == {"P1": "南仓"}
