"""标签 through `core.desk.tags`: definitions with palette colours, set/unset on many orders
at once (idempotent, all or nothing), counts, delete with how many orders lost the tag,
one audit event per call; permissions and other orgs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.desk import tags
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import Order, OrderTag, Tag
from tests.desk.test_edits import events, make_shop, order, store


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

    batch, pair, *rest = events(app, acme.org_id, "order.tag")
    assert rest == []  # the repeat changed nothing and wrote nothing
    assert (batch.target_type, batch.target_id, batch.after["count"]) == ("orders", "", 1200)
    assert batch.after["added"]["国内快递"][:2] == ["A1", "A2"]
    assert pair.after == {"added": {}, "removed": {"国内快递": ["A1", "A2"]}, "count": 2}


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
