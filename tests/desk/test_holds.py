"""挂起 / 释放 through `core.desk.holds`: many orders at once, a reason, an audit event per
order; a held order is never packed; refund holds are not released; permissions and
other orgs' orders."""

from __future__ import annotations

import json

import pytest

from core.desk import holds
from core.errors import NotFound, PermissionDenied, ValidationError
from core.orders import packages
from tests.desk.test_edits import (
    T0,
    cli_env,  # noqa: F401 (a fixture)
    events,
    make_shop,
    order,
    run,
    set_columns,
    store,
)


@pytest.fixture
def shop(app, acme) -> int:
    return make_shop(app, acme.org_id)


def test_hold_and_release_many_orders_with_a_reason(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1", "A2", "A3", source="sync")
    set_columns(app, "A1", rules_checked_at=T0)
    clerk = acme.staff("clerk", "print_operator")
    held = holds.hold_orders(app, clerk, ["A1", " A2 ", "A1"], reason="买家要求改地址，等回复")
    assert (held.changed, held.unchanged, held.refused) == (["A1", "A2"], [], {})
    first = order(app, "A1")
    assert (first.on_hold, first.hold_reason, first.version) == (True, "买家要求改地址，等回复", 4)
    assert first.rules_checked_at > T0  # judged again by the audit rules
    again = holds.hold_orders(app, clerk, ["A1", "A3"], reason="缺货")
    assert (again.changed, again.unchanged) == (["A3"], ["A1"])
    assert order(app, "A1").hold_reason == "买家要求改地址，等回复"  # its own reason stays

    # One event per order held, filed under that order.
    (a1, a2, a3) = events(app, acme.org_id, "order.hold")
    assert [(e.target_type, e.target_id, e.detail) for e in (a1, a2, a3)] == [
        ("order", str(order(app, n).id), n) for n in ("A1", "A2", "A3")
    ]
    assert a1.after == {"on_hold": True, "reason": "买家要求改地址，等回复"}
    assert a1.before == {"on_hold": False} and a3.after["reason"] == "缺货"

    released = holds.release_orders(app, clerk, ["A1", "A2", "A3"])
    assert released.changed == ["A1", "A2", "A3"]
    assert not order(app, "A2").on_hold and order(app, "A2").hold_reason == ""
    releases = events(app, acme.org_id, "order.release")
    assert [e.detail for e in releases] == ["A1", "A2", "A3"]
    assert releases[2].before == {"on_hold": True, "hold_reason": "缺货"}
    assert releases[2].after == {"on_hold": False}
    assert holds.release_orders(app, clerk, ["A1"]).unchanged == ["A1"]


def test_a_held_order_is_not_packed(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1", "A2", source="sync")
    holds.hold_orders(app, acme.admin, ["A1"], reason="等客户确认")
    ids = packages.packages_for_orders(app, acme.admin, ["A1", "A2"])
    packed = packages.ensure_packages(app, acme.admin, list(ids.values()))
    assert [r.order_number for r in packed.refused] == ["A1"]
    assert "on hold (等客户确认)" in packed.refused[0].reason
    assert list(packed.package_of_order) == [ids["A2"]]


def test_an_order_with_a_refund_under_way_stays_held(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "R1", "A1", source="sync")
    set_columns(app, "R1", refund_status="in_progress", on_hold=True, hold_reason="退款中，拦截")
    holds.hold_orders(app, acme.admin, ["A1"], reason="查库存")
    result = holds.release_orders(app, acme.admin, ["R1", "A1"])
    assert result.changed == ["A1"]
    assert "R1 has a refund in progress" in result.refused["R1"]
    assert order(app, "R1").on_hold and order(app, "R1").hold_reason == "退款中，拦截"


def test_closed_orders_are_not_held(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "S1", "A1", source="sync")
    set_columns(app, "S1", hub_status="shipped")
    result = holds.hold_orders(app, acme.admin, ["S1", "A1"], reason="x")
    assert result.changed == ["A1"]
    assert result.refused == {"S1": "order S1 is shipped: nothing to stop"}
    assert not order(app, "S1").on_hold


def test_unknown_or_foreign_numbers_change_nothing(app, acme, globex, shop) -> None:
    store(app, acme.org_id, shop, "A1", "A2", source="sync")
    with pytest.raises(NotFound, match="no order numbered NOPE"):
        holds.hold_orders(app, acme.admin, ["A1", "NOPE", "A2"], reason="x")
    with pytest.raises(NotFound, match="no order numbered A1"):
        holds.hold_orders(app, globex.admin, ["A1"], reason="x")
    with pytest.raises(NotFound, match="no order numbered A2"):
        holds.release_orders(app, globex.admin, ["A2"])
    assert not order(app, "A1").on_hold and not order(app, "A2").on_hold
    assert events(app, acme.org_id, "order.hold") == []


def test_permissions_and_reasons(app, acme, shop) -> None:
    store(app, acme.org_id, shop, "A1", source="sync")
    viewer = acme.staff("viewer", "read_only")
    with pytest.raises(PermissionDenied, match=r"order\.edit"):
        holds.hold_orders(app, viewer, ["A1"], reason="x")
    holds.hold_orders(app, acme.admin, ["A1"], reason="x")
    with pytest.raises(PermissionDenied, match=r"order\.edit"):
        holds.release_orders(app, viewer, ["A1"])
    for reason, field in (("  ", "reason"), ("长" * 256, "reason")):
        with pytest.raises(ValidationError) as caught:
            holds.hold_orders(app, acme.admin, ["A1"], reason=reason)
        assert caught.value.details["field"] == field
    with pytest.raises(ValidationError, match="at least one order") as caught:
        holds.release_orders(app, acme.admin, ["", " "])
    assert caught.value.details["field"] == "orders"
    assert order(app, "A1").on_hold


@pytest.mark.usefixtures("cli_env")
def test_the_cli_holds_and_releases(app, acme, shop, capsys) -> None:
    store(app, acme.org_id, shop, "A1", "R1", source="sync")
    set_columns(app, "R1", refund_status="in_progress")
    code, out, err = run(capsys, "orders", "hold", "A1", "R1", "--reason", "等客户确认", "--json")
    assert code == 0, err
    assert json.loads(out) == {"held": ["A1", "R1"], "unchanged": [], "refused": {}}
    code, out, _ = run(capsys, "orders", "release", "A1", "R1")
    assert code == 1  # one was refused
    assert "A1     released" in out and "R1     refused" in out and "refund in progress" in out
    code, _, err = run(capsys, "orders", "hold", "A1", "--reason", " ")
    assert (code, err.strip()) == (1, "orderhub: error: reason must not be empty")
