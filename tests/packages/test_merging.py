"""合单/拆单 through the services: candidates, merge, split, unmerge, weight, and every
refusal naming the order and the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.errors import Conflict, NotFound, ValidationError
from core.models import Package, PackageLine
from core.orders import merging, packages, splitting
from core.orders.merging import merge_all_candidates
from tests.packages.desk import LI, WANG, make_order


def three_of_li(desk):  # type: ignore[no-untyped-def]
    shop = desk.shop()
    desk.store(
        shop,
        make_order("A1", lines=(("杯子", 2), ("盖子", 1))),
        make_order("A2", lines=(("勺子", 3),)),
        make_order("A3"),
        make_order("B1", receiver=WANG),
    )
    return shop


def live_lines(app) -> dict[int, list[tuple[int, int, int]]]:  # type: ignore[no-untyped-def]
    with app.tx() as s:
        rows = s.execute(
            select(
                PackageLine.package_id,
                PackageLine.order_id,
                PackageLine.line_no,
                PackageLine.quantity,
            )
            .join(Package, Package.id == PackageLine.package_id)
            .where(Package.status != "cancelled")
        ).all()
    found: dict[int, list[tuple[int, int, int]]] = {}
    for package_id, order_id, line_no, quantity in rows:
        found.setdefault(package_id, []).append((order_id, line_no, quantity))
    return found


def test_candidates_group_one_receiver_in_one_shop_and_mask_it(desk) -> None:
    shop = three_of_li(desk)
    other = desk.shop("另一家", "9002")
    desk.store(other, make_order("C1"))  # same receiver, another shop: not with A*
    desk.store(shop, make_order("A4"))
    desk.change("A4", on_hold=True, hold_reason="buyer called")
    groups = merging.merge_candidates(desk.app, desk.org.admin)
    assert len(groups) == 1
    group = groups[0]
    assert [o.order_number for o in group.orders] == ["A1", "A2", "A3"]
    assert group.shop_name == "杯子店"
    assert "李" in group.receiver and "龙" not in group.receiver and "5678" in group.receiver
    assert "13912345678" not in group.receiver


def test_merge_puts_every_line_in_one_package(desk) -> None:
    three_of_li(desk)
    ids = {n: desk.order(n).id for n in ("A1", "A2", "A3")}
    packages.ensure_packages(desk.app, desk.org.admin, [ids["A2"]])
    view = merging.merge(desk.app, desk.org.admin, ["A1", "A2", "A3"])
    assert view.order_numbers == ("A1", "A2", "A3")
    assert [(line.order_number, line.line_no, line.quantity) for line in view.lines] == [
        ("A1", 1, 2),
        ("A1", 2, 1),
        ("A2", 1, 3),
        ("A3", 1, 2),
    ]
    assert list(live_lines(desk.app)) == [view.package_id]
    # printing packs nothing new: every order is in the merged package
    again = packages.ensure_packages(desk.app, desk.org.admin, list(ids.values()))
    assert set(again.package_of_order.values()) == {view.package_id} and again.created == 0
    assert merging.merge_candidates(desk.app, desk.org.admin) == []
    events = desk.events("order.merge")
    assert {e.target_id for e in events} == {str(i) for i in ids.values()}
    assert all(e.target_type == "order" and e.actor_label == "boss" for e in events)


def test_merge_refuses_with_a_reason_per_order(desk) -> None:
    shop = three_of_li(desk)
    other = desk.shop("另一家", "9002")
    desk.store(other, make_order("C1"))
    desk.store(shop, make_order("A4"), make_order("A5"))
    desk.change("A4", on_hold=True, hold_reason="buyer called")
    desk.change("A5", hub_status="shipped")
    with pytest.raises(ValidationError) as raised:
        merging.merge(desk.app, desk.org.admin, ["A1", "B1"])
    assert "order B1 goes to another receiver than A1" in str(raised.value)
    with pytest.raises(ValidationError, match="order C1 is of another shop"):
        merging.merge(desk.app, desk.org.admin, ["A1", "C1"])
    with pytest.raises(ValidationError) as raised:
        merging.merge(desk.app, desk.org.admin, ["A1", "A4", "A5"])
    refused = {r["order"]: r["reason"] for r in raised.value.details["refused"]}
    assert refused == {
        "A4": "order A4 is on hold (buyer called)",
        "A5": "order A5 is shipped",
    }
    with pytest.raises(ValidationError, match="at least two"):
        merging.merge(desk.app, desk.org.admin, ["A1", "A1"])
    with pytest.raises(NotFound, match="no order numbered NOPE"):
        merging.merge(desk.app, desk.org.admin, ["A1", "NOPE"])
    assert live_lines(desk.app) == {}  # nothing was packed by a refused merge


def test_an_order_with_a_waybill_is_refused_naming_the_cancel_command(desk) -> None:
    three_of_li(desk)
    desk.manual_account()
    desk.waybill("A1", "SF1002003004005")
    with pytest.raises(Conflict) as raised:
        merging.merge(desk.app, desk.org.admin, ["A1", "A2"])
    assert "cancel its waybill first: orderhub waybill cancel SF1002003004005" in str(raised.value)


def test_split_spreads_an_order_by_line_and_quantity(desk) -> None:
    three_of_li(desk)
    views = splitting.split(desk.app, desk.org.admin, "A1", [{1: 1, 2: 1}, {1: 1}])
    assert [[(x.line_no, x.quantity) for x in v.lines] for v in views] == [
        [(1, 1), (2, 1)],
        [(1, 1)],
    ]
    assert len(live_lines(desk.app)) == 2
    # split again into one part: back to one package, the other cancelled
    views = splitting.split(desk.app, desk.org.admin, "A1", [{1: 2, 2: 1}])
    assert len(views) == 1 and len(live_lines(desk.app)) == 1
    assert desk.events("order.split")[-1].target_id == str(desk.order("A1").id)


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([{1: 1}, {1: 1}], "line 2 has 1, the parts give 0"),
        ([{1: 3, 2: 1}], "line 1 has 2, the parts give 3"),
        ([{1: 2, 2: 1, 7: 1}], "order A1 has no line 7 (its lines: 1, 2)"),
        ([{1: 2, 2: 0}], "part 1: line 2 needs a quantity of at least 1"),
        ([{1: 2, 2: 1}, {}], "part 2 is empty"),
        ([], "give at least one part"),
    ],
)
def test_split_quantities_must_add_up_exactly(desk, parts, message) -> None:
    three_of_li(desk)
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        splitting.split(desk.app, desk.org.admin, "A1", parts)


def test_split_of_a_merged_order_asks_to_unmerge_first(desk) -> None:
    three_of_li(desk)
    merging.merge(desk.app, desk.org.admin, ["A1", "A2"])
    with pytest.raises(ValidationError, match="unmerge it first: orderhub orders unmerge A1"):
        splitting.split(desk.app, desk.org.admin, "A1", [{1: 1, 2: 1}, {1: 1}])


def test_unmerge_gives_each_order_its_own_package_again(desk) -> None:
    three_of_li(desk)
    merged = merging.merge(desk.app, desk.org.admin, ["A1", "A2", "A3"])
    views = splitting.unmerge(desk.app, desk.org.admin, order_number="A2")
    assert [v.order_numbers for v in views] == [("A1",), ("A2",), ("A3",)]
    assert views[0].package_id == merged.package_id
    assert len(live_lines(desk.app)) == 3
    with pytest.raises(ValidationError, match="not merged with another order"):
        splitting.unmerge(desk.app, desk.org.admin, order_number="A2")
    with pytest.raises(ValidationError, match="holds only order A1"):
        splitting.unmerge(desk.app, desk.org.admin, package_id=merged.package_id)
    assert len(desk.events("order.unmerge")) == 3


def test_weight_is_typed_per_package(desk) -> None:
    three_of_li(desk)
    merging.merge(desk.app, desk.org.admin, ["A1", "A2"])
    view = splitting.set_weight(desk.app, desk.org.admin, 1250, order_number="A2")
    assert view.weight_g == 1250 and view.order_numbers == ("A1", "A2")
    with pytest.raises(ValidationError, match="has no package yet"):
        splitting.set_weight(desk.app, desk.org.admin, 10, order_number="A3")
    with pytest.raises(ValidationError, match="1 to 1000000 grams"):
        splitting.set_weight(desk.app, desk.org.admin, 0, order_number="A2")
    splitting.split(desk.app, desk.org.admin, "A3", [{1: 1}, {1: 1}])
    with pytest.raises(ValidationError, match="split over packages"):
        splitting.set_weight(desk.app, desk.org.admin, 10, order_number="A3")
    assert desk.events("package.weight")[0].after == {"weight_g": 1250}


def test_merge_all_candidates_is_the_rules_action(desk) -> None:
    shop = three_of_li(desk)
    desk.store(shop, make_order("B2", receiver=WANG), make_order("B3", receiver=WANG))
    with desk.app.tx() as session:
        merged = merge_all_candidates(session, desk.org.org_id, order_ids=[desk.order("B2").id])
    assert [v.order_numbers for v in merged] == [("B1", "B2", "B3")]
    with desk.app.tx() as session:
        merged = merge_all_candidates(session, desk.org.org_id)
    assert [v.order_numbers for v in merged] == [("A1", "A2", "A3")]
    assert {e.actor_label for e in desk.events("order.merge")} == {"rules"}
    assert LI.name not in str([e.after for e in desk.events("order.merge")])
