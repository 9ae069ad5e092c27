"""手工订单 through `core.desk.manual`: a typed order is stored as an import stores one
(encrypted, masked, hashed, searchable by phone hash), numbered per day without clashes,
validated field by field, audited masked; permissions and other orgs' shops."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from core import masking
from core.desk import edits, manual
from core.desk.manual import ManualLine
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import Order
from core.orders.receiver import receiver_hash_of
from tests.desk.test_edits import (
    cli_env,  # noqa: F401 (a fixture)
    events,
    make_shop,
    order,
    run,
    store,
)

RECEIVER = dict(
    name="赵六",
    phone="186 1111 2222",
    province="江苏省",
    city="南京市",
    district="鼓楼区",
    address="中山路 18 号 2 单元",
)
LINES = [
    ManualLine("保温杯 500ml", "CUP-500", 2, "39.90"),
    ManualLine("杯套", "", 1, 5),
]


@pytest.fixture
def shop(app, acme) -> int:
    return make_shop(app, acme.org_id)


def test_a_manual_order_round_trip(app, acme, shop, frozen_clock) -> None:
    frozen_clock[0] = datetime(2026, 12, 6, 17, 30, tzinfo=UTC)  # 01:30 on the 7th in Shanghai
    clerk = acme.staff("clerk", "print_operator")
    made = manual.create_manual_order(
        app, clerk, "杯子店", **RECEIVER, lines=LINES, postage="8", memo="补发：上次漏发杯套"
    )
    assert made.order_number == "M20261207-0001"
    assert (made.goods_fen, made.postage_fen, made.pay_fen, made.lines) == (8480, 800, 9280, 2)
    assert made.receiver["receiver_phone"] == "186****2222"
    stored = order(app, made.order_number)
    assert (stored.source, stored.created_by, stored.hub_status) == (
        "manual",
        clerk.user_id,
        "audited",  # the audit rules ran as it arrived, and it passed every one
    )
    assert stored.paid_at == frozen_clock[0] and stored.version == 2
    assert (stored.receiver_name, stored.receiver_phone) == ("赵六", "18611112222")
    assert stored.receiver_address == "中山路 18 号 2 单元"
    assert stored.receiver_name_masked == "赵*"
    assert stored.local_remark == "补发：上次漏发杯套"
    assert [(li.title, li.outer_id, li.quantity, li.unit_price_fen) for li in stored.lines] == [
        ("保温杯 500ml", "CUP-500", 2, 3990),
        ("杯套", "", 1, 500),
    ]
    phone_hash = app.keyring.keyed_hash(masking.normalise_phone("18611112222"), "receiver_phone")
    with app.tx() as session:  # found by the phone's keyed hash, as the desk searches
        found = session.scalars(
            select(Order.platform_order_no).where(
                Order.org_id == acme.org_id, Order.receiver_phone_hash == phone_hash
            )
        ).all()
        raw = session.connection().exec_driver_sql("SELECT receiver_phone FROM orders").scalar()
    assert found == [made.order_number] and "18611112222" not in raw
    assert stored.receiver_hash == receiver_hash_of(
        app.keyring,
        name="赵六",
        phone="18611112222",
        province="江苏省",
        city="南京市",
        district="鼓楼区",
        address="中山路 18 号 2 单元",
    )
    (created,) = events(app, acme.org_id, "order.create_manual")
    assert (created.target_type, created.target_id) == ("order", str(stored.id))
    assert created.after["receiver_phone"] == "186****2222"
    text = json.dumps(created.after, ensure_ascii=False)
    assert "赵六" not in text and "18611112222" not in text and "中山路 18 号" not in text
    second = manual.create_manual_order(app, clerk, shop, **RECEIVER, lines=LINES[:1])
    assert second.order_number == "M20261207-0002"
    # a manual order's receiver may be corrected like an imported one
    edits.edit_receiver(app, clerk, made.order_number, phone="18633334444")
    assert order(app, made.order_number).receiver_phone == "18633334444"


def test_numbers_are_unique_in_the_org_and_a_taken_number_is_a_conflict(
    app, acme, shop, frozen_clock
) -> None:
    other = make_shop(app, acme.org_id, "第二家", "9002")
    frozen_clock[0] = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    store(app, acme.org_id, shop, "M20261206-0007", "PDD-1", source="sync")
    made = manual.create_manual_order(app, acme.admin, other, **RECEIVER, lines=LINES)
    assert made.order_number == "M20261206-0008"  # after the org's highest, in any shop
    with pytest.raises(Conflict, match="杯子店 already has an order numbered PDD-1"):
        manual.create_manual_order(app, acme.admin, shop, **RECEIVER, lines=LINES, number="PDD-1")
    assert order(app, "PDD-1").source == "sync"  # never overwritten
    given = manual.create_manual_order(
        app, acme.admin, shop, **RECEIVER, lines=LINES, number="BF-42"
    )
    assert given.order_number == "BF-42"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"phone": "5551234"}, "phone"),
        ({"name": ""}, "name"),
        ({"address": " "}, "address"),
        ({"district": ""}, "district"),
        ({"lines": []}, "lines"),
        ({"lines": [ManualLine("", "X", 1, "1")]}, "line 1 title"),
        ({"lines": [ManualLine("杯", "X", 0, "1")]}, "quantity"),
        ({"lines": [ManualLine("杯", "X", True, "1")]}, "quantity"),
        ({"lines": [ManualLine("杯", "X", 1, "1.999")]}, "line 1 unit price"),
        ({"lines": [ManualLine("杯", "X", 1, "-3")]}, "price"),
        ({"postage": "abc"}, "postage"),
        ({"number": "有 空格"}, "number"),
        ({"memo": "长" * 1001}, "memo"),
    ],
)
def test_bad_fields_are_named(app, acme, shop, changes, field) -> None:
    values = {**RECEIVER, "lines": LINES, **changes}
    with pytest.raises(ValidationError) as caught:
        manual.create_manual_order(app, acme.admin, shop, **values)
    assert caught.value.details["field"] == field
    assert events(app, acme.org_id, "order.create_manual") == []


def test_permissions_and_other_orgs_shops(app, acme, globex, shop) -> None:
    viewer = acme.staff("viewer", "read_only")
    with pytest.raises(PermissionDenied, match=r"order\.import"):
        manual.create_manual_order(app, viewer, shop, **RECEIVER, lines=LINES)
    with pytest.raises(NotFound, match="no shop"):
        manual.create_manual_order(app, globex.admin, shop, **RECEIVER, lines=LINES)
    with pytest.raises(NotFound, match="no shop"):
        manual.create_manual_order(app, acme.admin, "没有这家店", **RECEIVER, lines=LINES)
    with app.tx() as session:
        assert session.scalars(select(Order)).all() == []


@pytest.mark.usefixtures("cli_env")
def test_the_cli_enters_a_manual_order(app, acme, shop, capsys) -> None:
    argv = ["orders", "new", "--shop", "杯子店", "--name", "赵六", "--phone", "18611112222"]
    argv += ["--province", "江苏省", "--city", "南京市", "--district", "鼓楼区"]
    argv += ["--address", "中山路 18 号 2 单元", "--postage", "6.5", "--memo", "补发"]
    lines = ["--line", "保温杯|CUP-500|2|39.90", "--line", "杯套||1|5"]
    code, out, err = run(capsys, *argv, *lines, "--number", "BF-1", "--json")
    assert code == 0, err
    made = json.loads(out)
    assert (made["order"], made["goods_fen"], made["pay_fen"]) == ("BF-1", 8480, 9130)
    assert made["receiver"]["receiver_name"] == "赵*"
    assert "18611112222" not in out and "赵六" not in out
    assert order(app, "BF-1").receiver_phone == "18611112222"
    code, _, err = run(capsys, *argv, "--line", "保温杯|2|39.90")
    assert code == 1 and "--line 1: write TITLE|OUTER_ID|QTY|PRICE_YUAN" in err
    code, _, err = run(capsys, *argv, "--line", "保温杯|X|two|39.90")
    assert code == 1 and "quantity 'two' is not a whole number" in err
    code, _, err = run(capsys, *argv, *lines, "--number", "BF-1")
    assert code == 1 and "already has an order numbered BF-1" in err
