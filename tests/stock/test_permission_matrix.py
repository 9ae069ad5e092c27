"""Every stock action against every built-in role: allowed exactly when the role holds the
action's permission, refused with `PermissionDenied` (and nothing changed) otherwise;
costs need `finance.view` on top. New stock services join `ACTIONS`."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from core.accounts.permissions import BUILTIN_ROLES
from core.actor import Actor
from core.app import App
from core.errors import PermissionDenied
from core.stock import (
    catalogue,
    catalogue_file,
    levels,
    mapping,
    operations,
    policies,
    replenishment,
    warehouses,
)
from core.stock.mapping import Part
from core.stock.operations import Line
from core.stockpush import passes as push
from core.stockpush import settings as push_settings
from tests.conftest import OrgFixture

_codes = itertools.count()


@dataclass(frozen=True)
class Action:
    name: str
    needs: frozenset[str]
    call: Callable[[App, Actor], object]


def _new_code() -> str:
    return f"NEW-{next(_codes)}"


ACTIONS = (
    Action(
        "add_sku", frozenset({"stock.adjust"}), lambda a, u: catalogue.add_sku(a, u, _new_code())
    ),
    Action(
        "add_sku with cost",
        frozenset({"stock.adjust", "finance.view"}),
        lambda a, u: catalogue.add_sku(a, u, _new_code(), cost_fen=1250),
    ),
    Action(
        "update_sku",
        frozenset({"stock.adjust"}),
        lambda a, u: catalogue.update_sku(a, u, "CUP", name="杯"),
    ),
    Action("list_skus", frozenset({"stock.view"}), catalogue.list_skus),
    Action(
        "list_skus, a page",
        frozenset({"stock.view"}),
        lambda a, u: catalogue.list_skus(a, u, text="cu", after="A", limit=10),
    ),
    Action("count_skus", frozenset({"stock.view"}), lambda a, u: catalogue.count_skus(a, u)),
    Action(
        "import_catalogue",
        frozenset({"stock.adjust"}),
        lambda a, u: catalogue_file.import_catalogue(
            a, u, io.BytesIO(f"编码,名称\n{_new_code()},杯\n".encode()), "skus.csv"
        ),
    ),
    Action(
        "add_warehouse",
        frozenset({"stock.adjust"}),
        lambda a, u: warehouses.add_warehouse(a, u, _new_code()),
    ),
    Action("list_warehouses", frozenset({"stock.view"}), warehouses.list_warehouses),
    Action(
        "map_platform_sku",
        frozenset({"stock.adjust"}),
        lambda a, u: mapping.map_platform_sku(a, u, "pinduoduo", "sku-1", [Part("CUP")]),
    ),
    Action(
        "unmap_platform_sku",
        frozenset({"stock.adjust"}),
        lambda a, u: mapping.unmap_platform_sku(a, u, "pinduoduo", "sku-1"),
    ),
    Action("list_mappings", frozenset({"stock.view"}), mapping.list_mappings),
    Action("unmapped", frozenset({"stock.view"}), mapping.unmapped),
    Action(
        "receive",
        frozenset({"stock.adjust"}),
        lambda a, u: operations.receive(a, u, [Line("CUP", 1)]),
    ),
    Action(
        "count", frozenset({"stock.adjust"}), lambda a, u: operations.count(a, u, [Line("CUP", 9)])
    ),
    Action(
        "transfer",
        frozenset({"stock.adjust"}),
        lambda a, u: operations.transfer(a, u, [Line("CUP", 1)], source="主仓", destination="北仓"),
    ),
    Action("list_levels", frozenset({"stock.view"}), levels.list_levels),
    Action(
        "list_levels, a page lowest first",
        frozenset({"stock.view"}),
        lambda a, u: levels.list_levels(a, u, text="cu", order="available", limit=10),
    ),
    Action("count_levels", frozenset({"stock.view"}), lambda a, u: levels.count_levels(a, u)),
    Action("verify", frozenset({"stock.view"}), levels.verify),
    Action(
        "set_threshold",
        frozenset({"stock.adjust"}),
        lambda a, u: policies.set_threshold(a, u, "CUP", 5),
    ),
    Action(
        "clear_threshold",  # after set_threshold: there is one to clear
        frozenset({"stock.adjust"}),
        lambda a, u: policies.clear_threshold(a, u, "CUP"),
    ),
    Action(
        "set_plan",
        frozenset({"stock.adjust"}),
        lambda a, u: policies.set_plan(a, u, "CUP", lead_time_days=3, safety_stock=2),
    ),
    Action("list_policies", frozenset({"stock.view"}), policies.list_policies),
    Action("replenishment", frozenset({"stock.view"}), replenishment.replenishment),
    Action("show_push_settings", frozenset({"stock.view"}), push_settings.show_push_settings),
    Action(
        "update_push_settings",
        frozenset({"settings.manage"}),
        lambda a, u: push_settings.update_push_settings(a, u, enabled=True),
    ),
    Action("push_now", frozenset({"stock.adjust"}), push.push_now),
)


@pytest.fixture
def stocked(app: App, acme: OrgFixture) -> OrgFixture:
    admin = acme.admin
    warehouses.add_warehouse(app, admin, "主仓")
    warehouses.add_warehouse(app, admin, "北仓")
    catalogue.add_sku(app, admin, "CUP")
    operations.receive(app, admin, [Line("CUP", 20)])
    mapping.map_platform_sku(app, admin, "pinduoduo", "sku-1", [Part("CUP")])
    push_settings.update_push_settings(app, admin, enabled=True)  # push_now needs it on
    return acme


@pytest.mark.parametrize("role", [r.key for r in BUILTIN_ROLES])
def test_each_action_is_allowed_exactly_to_the_roles_holding_its_permission(
    app: App, stocked: OrgFixture, role: str
) -> None:
    template = next(r for r in BUILTIN_ROLES if r.key == role)
    actor = stocked.staff(f"user-{role}", role)
    for action in ACTIONS:
        allowed = action.needs <= template.permissions
        before = (
            levels.list_levels(app, stocked.admin),
            len(catalogue.list_skus(app, stocked.admin)),
        )
        try:
            action.call(app, actor)
        except PermissionDenied:
            assert not allowed, f"{role} was refused {action.name}"
            after = (
                levels.list_levels(app, stocked.admin),
                len(catalogue.list_skus(app, stocked.admin)),
            )
            assert after == before, f"{action.name} refused to {role} changed something"
        else:
            assert allowed, f"{role} was allowed {action.name}"


def test_costs_are_shown_only_with_finance_view(app: App, stocked: OrgFixture) -> None:
    catalogue.update_sku(app, stocked.admin, "CUP", cost_fen=1250)
    shown = {
        role.key: catalogue.list_skus(app, stocked.staff(f"c-{role.key}", role.key))[0].cost_fen
        for role in BUILTIN_ROLES
        if "stock.view" in role.permissions
    }
    assert shown == {"admin": 1250, "print_operator": None, "warehouse": None, "read_only": None}
    paged = {
        role.key: [
            s.cost_fen
            for s in catalogue.list_skus(
                app, stocked.staff(f"p-{role.key}", role.key), text="CUP", limit=5
            )
        ]
        for role in BUILTIN_ROLES
        if "stock.view" in role.permissions
    }
    assert paged == {
        "admin": [1250],
        "print_operator": [None],
        "warehouse": [None],
        "read_only": [None],
    }
