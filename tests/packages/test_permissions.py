"""The permission matrix of merging, splitting, weights and assignment: allowed with the
permission (and audited), refused without it, another org's orders not found."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.assignment import assigning, service
from core.errors import NotFound, PermissionDenied
from core.orders import merging, splitting
from core.waybills import carrier_accounts
from tests.packages.desk import WANG, make_order

SENDER = replace(WANG, name="王仓管")


@pytest.fixture
def stocked(desk):  # type: ignore[no-untyped-def]
    shop = desk.shop()
    desk.store(shop, make_order("A1"), make_order("A2"), make_order("A3", lines=(("杯子", 2),)))
    desk.manual_account("sf", "SF")
    return desk


# action name → (permission, call(app, actor), audit action)
ACTIONS = {
    "merge": ("order.edit", lambda a, u: merging.merge(a, u, ["A1", "A2"]), "order.merge"),
    "split": (
        "order.edit",
        lambda a, u: splitting.split(a, u, "A3", [{1: 1}, {1: 1}]),
        "order.split",
    ),
    "weight": (
        "order.edit",
        lambda a, u: (
            splitting.split(a, u, "A3", [{1: 2}]),
            splitting.set_weight(a, u, 900, order_number="A3"),
        ),
        "package.weight",
    ),
    "assign": (
        "order.edit",
        lambda a, u: assigning.set_assignment(a, u, ["A1"], "sf", None),
        "order.assign",
    ),
    "clear": (
        "order.edit",
        lambda a, u: assigning.clear_assignment(a, u, ["A1"]),
        "order.assign_clear",
    ),
    "add_rule": (
        "settings.manage",
        lambda a, u: service.add_rule(a, u, "默认", carrier_account="sf"),
        "assignment_rule.add",
    ),
}


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_allowed_with_the_permission_and_audited(stocked, name) -> None:
    permission, call, action = ACTIONS[name]
    role = "print_operator" if permission == "order.edit" else "admin"
    user = stocked.org.staff("wang", role)
    call(stocked.app, user)
    events = stocked.events(action)
    assert events and events[-1].actor_label == "wang"


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_refused_without_the_permission(stocked, name) -> None:
    permission, call, action = ACTIONS[name]
    role = "read_only" if permission == "order.edit" else "print_operator"
    user = stocked.org.staff("lily", role)
    with pytest.raises(PermissionDenied, match=permission.replace(".", r"\.")):
        call(stocked.app, user)
    assert stocked.events(action) == []


def test_rule_changes_and_reads_need_their_permissions(stocked) -> None:
    service.add_rule(stocked.app, stocked.org.admin, "默认", carrier_account="sf")
    operator = stocked.org.staff("wang", "print_operator")
    viewer = stocked.org.staff("lily", "read_only")
    assert [r.name for r in service.list_rules(stocked.app, viewer)] == ["默认"]
    assert merging.merge_candidates(stocked.app, viewer)
    for change in (
        lambda: service.move_rule(stocked.app, operator, "默认", 1),
        lambda: service.update_rule(stocked.app, operator, "默认", enabled=False),
        lambda: service.remove_rule(stocked.app, operator, "默认"),
    ):
        with pytest.raises(PermissionDenied, match=r"settings\.manage"):
            change()
    with pytest.raises(PermissionDenied, match=r"order\.edit"):
        assigning.apply_rules(stocked.app, viewer)
    assert assigning.apply_rules(stocked.app, operator) == 3


def test_another_orgs_orders_and_rules_are_not_found(stocked, globex) -> None:
    service.add_rule(stocked.app, stocked.org.admin, "默认", carrier_account="sf")
    package = merging.merge(stocked.app, stocked.org.admin, ["A1", "A2"]).package_id
    hank = globex.admin
    carrier_accounts.create_account(
        stocked.app, hank, name="hank-sf", carrier="manual", wp_code="SF", sender=SENDER
    )
    for call in (
        lambda: merging.merge(stocked.app, hank, ["A1", "A2"]),
        lambda: splitting.split(stocked.app, hank, "A3", [{1: 2}]),
        lambda: splitting.unmerge(stocked.app, hank, order_number="A1"),
        lambda: splitting.unmerge(stocked.app, hank, package_id=package),
        lambda: splitting.set_weight(stocked.app, hank, 100, package_id=package),
        lambda: assigning.set_assignment(stocked.app, hank, ["A1"], None, "label-76x130"),
        lambda: assigning.clear_assignment(stocked.app, hank, ["A1"]),
        lambda: service.remove_rule(stocked.app, hank, "默认"),
        lambda: assigning.set_assignment(stocked.app, stocked.org.admin, ["A3"], "hank-sf", None),
    ):
        with pytest.raises(NotFound):
            call()
    assert merging.merge_candidates(stocked.app, hank) == []
    assert service.list_rules(stocked.app, hank) == []
    with stocked.app.tx() as session:
        assert merging.merge_all_candidates(session, globex.org_id) == []
        assert assigning.assign_orders(session, globex.org_id, [stocked.order("A3").id]) == 0
    assert stocked.order("A3").assigned_by == ""
