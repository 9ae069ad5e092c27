"""标签 through `core.desk.tags`: definitions with palette colours, set/unset on many orders
at once (idempotent, all or nothing), counts, delete with how many orders lost the tag,
an audit event per order changed; permissions and other orgs."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.desk import holds, lookup, tags
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import Order, OrderTag, Tag
from tests.desk.test_edits import (
    cli_env,  # noqa: F401 (a fixture)
    events,
    make_shop,
    order,
    run,
    store,
)


@pytest.fixture
def shop(app, acme) -> int:
    return make_shop(app, acme.org_id)


def tagged(app, name: str) -> list[str]:
    """Numbers of the orders carrying the tag called `name`, sorted."""
    with app.tx() as session:
        rows = session.scalars(
            select(Order.platform_order_no)
            .join(OrderTag, OrderTag.order_id == Order.id)
            .join(Tag, Tag.id == OrderTag.tag_id)
            .where(Tag.name == name)
        )
        return sorted(rows)


def counts(app, actor) -> dict[str, tuple[str, int]]:
    return {t.name: (t.colour, t.orders) for t in tags.list_tags(app, actor)}


def test_define_tags_with_palette_colours(app, acme) -> None:
    clerk = acme.staff("clerk", "print_operator")
    urgent = tags.create_tag(app, clerk, " 紧急订单 ", "红色")
    assert (urgent.name, urgent.colour) == ("紧急订单", "red")
    tags.create_tag(app, clerk, "国内快递", "Blue")
    tags.create_tag(app, clerk, "普通")
    assert counts(app, clerk) == {
        "国内快递": ("blue", 0),
        "普通": ("grey", 0),
        "紧急订单": ("red", 0),
    }
    with pytest.raises(Conflict, match="already has a tag named 紧急订单"):
        tags.create_tag(app, clerk, "紧急订单", "blue")
    tags.rename_tag(app, clerk, "普通", "慢件")
    tags.recolour_tag(app, clerk, "慢件", "green")
    with pytest.raises(Conflict):
        tags.rename_tag(app, clerk, "慢件", "国内快递")
    assert counts(app, clerk)["慢件"] == ("green", 0)
    actions = [e.action for e in _tag_events(app, acme.org_id)]
    assert actions == ["tag.create"] * 3 + ["tag.rename", "tag.recolour"]
    rename = _tag_events(app, acme.org_id)[3]
    assert (rename.before, rename.after) == ({"name": "普通"}, {"name": "慢件"})


@pytest.mark.parametrize(
    ("name", "colour", "field"),
    [
        ("", "red", "name"),
        ("x" * 33, "red", "name"),
        ("-neg", "red", "name"),
        ("a\tb", "red", "name"),
        ("ok", "pink", "colour"),
        ("ok", "", "colour"),
    ],
)
def test_bad_definitions_are_refused_naming_the_field(app, acme, name, colour, field) -> None:
    with pytest.raises(ValidationError) as caught:
        tags.create_tag(app, acme.admin, name, colour)
    assert caught.value.details["field"] == field
    assert tags.list_tags(app, acme.admin) == []


def test_tag_many_orders_at_once_idempotently(app, acme, shop) -> None:
    numbers = [f"A{i}" for i in range(1, 1201)]  # more than one look-up chunk
    store(app, acme.org_id, shop, *numbers, source="sync")
    tags.create_tag(app, acme.admin, "紧急订单", "red")
    tags.create_tag(app, acme.admin, "国内快递", "blue")
    first = tags.tag_orders(app, acme.admin, numbers, add=["紧急订单", "国内快递"])
    assert first.orders == 1200 and len(first.added["紧急订单"]) == 1200
    again = tags.tag_orders(app, acme.admin, [*numbers[:10], "A1"], add=["紧急订单"])
    assert again.added == {"紧急订单": []}
    moved = tags.tag_orders(app, acme.admin, ["A1", "A2"], add=[], remove=["国内快递"])
    assert moved.removed == {"国内快递": ["A1", "A2"]}
    assert counts(app, acme.admin) == {"国内快递": ("blue", 1198), "紧急订单": ("red", 1200)}
    assert order(app, "A1").version == 1  # tags are rows of their own, not an order edit

    # One event per order whose tags changed, so each order's own trail shows it; the
    # repeat changed nothing and wrote nothing.
    written = events(app, acme.org_id, "order.tag")
    assert len(written) == 1200 + 2
    first_a1 = written[0]
    assert (first_a1.target_type, first_a1.target_id, first_a1.detail) == (
        "order",
        str(order(app, "A1").id),
        "A1",
    )
    assert first_a1.after == {"added": ["紧急订单", "国内快递"], "removed": []}
    assert [e.after for e in written[-2:]] == [{"added": [], "removed": ["国内快递"]}] * 2
    assert [e.detail for e in written[-2:]] == ["A1", "A2"]


def test_one_unknown_order_or_tag_applies_nothing(app, acme, globex, shop) -> None:
    store(app, acme.org_id, shop, "A1", "A2", source="sync")
    tags.create_tag(app, acme.admin, "紧急订单", "red")
    with pytest.raises(NotFound, match="no order numbered NOPE") as caught:
        tags.tag_orders(app, acme.admin, ["A1", "NOPE", "A2"], add=["紧急订单"])
    assert caught.value.details["orders"] == ["NOPE"]
    with pytest.raises(NotFound, match="no tag named 加急"):
        tags.tag_orders(app, acme.admin, ["A1"], add=["紧急订单", "加急"])
    with pytest.raises(ValidationError, match="both added and removed"):
        tags.tag_orders(app, acme.admin, ["A1"], add=["紧急订单"], remove=["紧急订单"])
    with pytest.raises(ValidationError, match="name a tag"):
        tags.tag_orders(app, acme.admin, ["A1"])
    # globex sees neither acme's orders nor acme's tags
    tags.create_tag(app, globex.admin, "紧急订单", "red")
    with pytest.raises(NotFound, match="no order numbered A1"):
        tags.tag_orders(app, globex.admin, ["A1"], add=["紧急订单"])
    with pytest.raises(NotFound, match="no tag named 国内快递"):
        tags.tag_orders(app, globex.admin, ["A1"], add=["国内快递"])
    assert tagged(app, "紧急订单") == []
    assert events(app, acme.org_id, "order.tag") == []
    assert [t.name for t in tags.list_tags(app, globex.admin)] == ["紧急订单"]


def test_deleting_a_tag_untags_its_orders_and_says_how_many(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1", "A2", "A3", source="sync")
    tags.create_tag(app, acme.admin, "紧急订单", "red")
    tags.tag_orders(app, acme.admin, ["A1", "A3"], add=["紧急订单"])
    assert tags.delete_tag(app, acme.admin, "紧急订单") == 2
    assert tags.list_tags(app, acme.admin) == []
    with app.tx() as session:
        assert session.scalars(select(OrderTag)).all() == []
    deleted = _tag_events(app, acme.org_id)[-1]
    assert (deleted.action, deleted.after) == ("tag.delete", {"orders_untagged": 2})
    assert deleted.before == {"name": "紧急订单", "colour": "red"}
    with pytest.raises(NotFound, match="no tag named 紧急订单"):
        tags.delete_tag(app, acme.admin, "紧急订单")


def test_permission_matrix(app, acme, globex, shop) -> None:
    store(app, acme.org_id, shop, "A1", source="sync")
    tags.create_tag(app, acme.admin, "紧急订单", "red")
    viewer = acme.staff("viewer", "read_only")
    assert [t.name for t in tags.list_tags(app, viewer)] == ["紧急订单"]  # order.view reads
    for attempt in (
        lambda: tags.create_tag(app, viewer, "x", "red"),
        lambda: tags.rename_tag(app, viewer, "紧急订单", "x"),
        lambda: tags.recolour_tag(app, viewer, "紧急订单", "blue"),
        lambda: tags.delete_tag(app, viewer, "紧急订单"),
        lambda: tags.tag_orders(app, viewer, ["A1"], add=["紧急订单"]),
    ):
        with pytest.raises(PermissionDenied, match=r"order\.edit"):
            attempt()
    for attempt in (
        lambda: tags.rename_tag(app, globex.admin, "紧急订单", "x"),
        lambda: tags.recolour_tag(app, globex.admin, "紧急订单", "blue"),
        lambda: tags.delete_tag(app, globex.admin, "紧急订单"),
    ):
        with pytest.raises(NotFound, match="no tag named 紧急订单"):
            attempt()
    assert counts(app, acme.admin) == {"紧急订单": ("red", 0)}
    tags.tag_orders(app, acme.staff("clerk", "print_operator"), ["A1"], add=["紧急订单"])
    (single,) = events(app, acme.org_id, "order.tag")
    assert (single.target_type, single.target_id) == ("order", str(order(app, "A1").id))
    assert tagged(app, "紧急订单") == ["A1"]


def _tag_events(app, org_id: int):  # type: ignore[no-untyped-def]
    found = [
        e
        for action in ("tag.create", "tag.rename", "tag.recolour", "tag.delete")
        for e in events(app, org_id, action)
    ]
    return sorted(found, key=lambda e: e.id)


@pytest.mark.usefixtures("cli_env")
def test_the_cli_defines_tags_and_tags_orders(app, acme, shop, capsys) -> None:
    store(app, acme.org_id, shop, "A1", "A2", source="sync")
    code, out, err = run(capsys, "tags", "create", "紧急订单", "--color", "红", "--json")
    assert code == 0, err
    assert json.loads(out)["color"] == "red"
    assert run(capsys, "tags", "create", "国内快递", "--color", "blue")[0] == 0
    code, out, err = run(capsys, "orders", "tag", "A1", "A2", "--add", "紧急订单", "--json")
    assert code == 0, err
    assert json.loads(out) == {"orders": 2, "added": {"紧急订单": ["A1", "A2"]}, "removed": {}}
    code, out, _ = run(capsys, "tags", "list", "--json")
    assert {t["name"]: t["orders"] for t in json.loads(out)} == {"国内快递": 0, "紧急订单": 2}
    assert run(capsys, "tags", "rename", "国内快递", "省内快递")[0] == 0
    assert run(capsys, "tags", "color", "省内快递", "green")[0] == 0
    code, out, _ = run(capsys, "tags", "list")
    assert "省内快递" in out and "green" in out
    code, _, err = run(capsys, "orders", "tag", "A1", "NOPE", "--remove", "紧急订单")
    assert (code, err.strip()) == (1, "orderhub: error: no order numbered NOPE")
    code, _, err = run(capsys, "tags", "delete", "紧急订单")
    assert code == 0 and "2 orders lost it" in err
    code, _, err = run(capsys, "tags", "color", "省内快递", "pink")
    assert code == 1 and "not in the palette" in err


def test_more_than_ten_thousand_orders_in_one_call_are_refused(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1", source="sync")
    tags.create_tag(app, acme.admin, "紧急订单", "red")
    too_many = [f"N{i}" for i in range(lookup.MAX_ORDERS + 1)]
    for attempt in (
        lambda: tags.tag_orders(app, acme.admin, too_many, add=["紧急订单"]),
        lambda: holds.hold_orders(app, acme.admin, too_many, reason="x"),
        lambda: holds.release_orders(app, acme.admin, too_many),
    ):
        with pytest.raises(ValidationError, match="at most 10000 orders") as caught:
            attempt()
        assert caught.value.details["field"] == "orders"
    with pytest.raises(ValidationError, match="not an order number"):
        tags.tag_orders(app, acme.admin, ["A1", "x" * 65], add=["紧急订单"])
    assert tagged(app, "紧急订单") == [] and not order(app, "A1").on_hold
