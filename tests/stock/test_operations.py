"""Catalogue, warehouses and stock operations through the services: receipts, counts and
transfers post to the ledger and the levels prove against it; bad lines are named and
write nothing; permissions, costs and orgs are checked."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import StockMove
from core.stock import catalogue, levels, operations, warehouses
from core.stock.ledger import InsufficientStock
from core.stock.operations import Line
from tests.conftest import OrgFixture


@pytest.fixture
def stocked(app, acme: OrgFixture) -> OrgFixture:
    warehouses.add_warehouse(app, acme.admin, "主仓", province="浙江省", city="杭州市")
    warehouses.add_warehouse(app, acme.admin, "北仓")
    catalogue.add_sku(app, acme.admin, "CUP-500-RED", "保温杯 500ml 红", barcode="6901234567892")
    catalogue.add_sku(app, acme.admin, "LID", "杯盖", cost_fen=350)
    return acme


def table(app, actor) -> dict[tuple[str, str], tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    return {
        (level.warehouse, level.code): (level.on_hand, level.reserved, level.available)
        for level in levels.list_levels(app, actor)
    }


def ledger_rows(app) -> int:  # type: ignore[no-untyped-def]
    with app.tx() as session:
        return len(session.scalars(select(StockMove.id)).all())


def test_receipt_count_and_transfer_post_to_the_ledger(app, stocked: OrgFixture) -> None:
    admin = stocked.admin
    posted = operations.receive(
        app, admin, [Line("CUP-500-RED", 40), Line("LID", 100)], reference="RK-001"
    )
    assert (posted.moves, posted.units) == (2, 140)
    counted = operations.count(app, admin, [Line("CUP-500-RED", 37), Line("LID", 100)])
    assert (counted.moves, counted.units) == (1, 3)  # LID matched the shelf: no move
    moved = operations.transfer(
        app, admin, [Line("CUP-500-RED", 10)], source="主仓", destination="北仓"
    )
    assert (moved.moves, moved.units) == (2, 10)
    assert table(app, admin) == {
        ("主仓", "CUP-500-RED"): (27, 0, 27),
        ("主仓", "LID"): (100, 0, 100),
        ("北仓", "CUP-500-RED"): (10, 0, 10),
    }
    assert levels.verify(app, admin) == []


def test_a_bad_line_is_named_and_nothing_is_written(app, stocked: OrgFixture) -> None:
    admin = stocked.admin
    with pytest.raises(NotFound) as unknown:
        operations.receive(app, admin, [Line("LID", 5), Line("NOPE", 1)])
    assert "line 2" in str(unknown.value) and unknown.value.details["row"] == 2
    with pytest.raises(ValidationError) as zero:
        operations.receive(app, admin, [Line("LID", 0)])
    assert "line 1 (LID)" in str(zero.value)
    with pytest.raises(ValidationError):
        operations.count(app, admin, [Line("LID", -1)])
    operations.receive(app, admin, [Line("LID", 5)])
    before = (table(app, admin), ledger_rows(app))
    with pytest.raises(InsufficientStock) as short:
        operations.transfer(
            app, admin, [Line("LID", 3), Line("LID", 3)], source="主仓", destination="北仓"
        )
    assert "LID in 主仓" in str(short.value) and short.value.details["available"] == 2
    with pytest.raises(ValidationError):
        operations.transfer(app, admin, [Line("LID", 1)], source="主仓", destination="主仓")
    assert (table(app, admin), ledger_rows(app)) == before


def test_stock_changes_need_stock_adjust_and_costs_need_finance_view(
    app, stocked: OrgFixture
) -> None:
    printer = stocked.staff("xiaowang", "打单员")  # stock.view, not stock.adjust
    keeper = stocked.staff("laozhang", "仓库管理员")
    with pytest.raises(PermissionDenied) as refused:
        operations.receive(app, printer, [Line("LID", 1)])
    assert refused.value.details["permission"] == "stock.adjust"
    assert operations.receive(app, keeper, [Line("LID", 1)]).units == 1
    costs = {s.code: s.cost_fen for s in catalogue.list_skus(app, keeper)}
    assert costs == {"CUP-500-RED": None, "LID": None}
    assert {s.code: s.cost_fen for s in catalogue.list_skus(app, stocked.admin)}["LID"] == 350
    with pytest.raises(PermissionDenied) as no_cost:
        catalogue.update_sku(app, keeper, "LID", cost_fen=1)
    assert no_cost.value.details["permission"] == "finance.view"
    assert catalogue.update_sku(app, keeper, "LID", name="通用杯盖").name == "通用杯盖"


def test_other_orgs_see_none_of_it(app, stocked: OrgFixture, globex: OrgFixture) -> None:
    operations.receive(app, stocked.admin, [Line("LID", 5)])
    assert levels.list_levels(app, globex.admin) == []
    assert catalogue.list_skus(app, globex.admin) == []
    with pytest.raises(NotFound):
        operations.receive(app, globex.admin, [Line("LID", 5)], warehouse="主仓")
    warehouses.add_warehouse(app, globex.admin, "主仓")
    with pytest.raises(NotFound):
        operations.receive(app, globex.admin, [Line("LID", 5)])
    assert levels.verify(app, globex.admin) == []


def test_names_and_codes_are_checked(app, stocked: OrgFixture) -> None:
    admin = stocked.admin
    with pytest.raises(Conflict):
        catalogue.add_sku(app, admin, "LID")
    with pytest.raises(ValidationError) as spaced:
        catalogue.add_sku(app, admin, "CUP 500")
    assert spaced.value.details["field"] == "code"
    with pytest.raises(Conflict):
        warehouses.add_warehouse(app, admin, "北仓")
    default = [w.name for w in warehouses.list_warehouses(app, admin) if w.is_default]
    assert default == ["主仓"]


def test_the_ledger_refuses_to_be_rewritten(app, stocked: OrgFixture) -> None:
    operations.receive(app, stocked.admin, [Line("LID", 5)])
    for statement in ("UPDATE stock_moves SET on_hand_delta = 50", "DELETE FROM stock_moves"):
        with pytest.raises(DBAPIError, match="append-only"), app.tx() as session:
            session.execute(text(statement))
    assert levels.verify(app, stocked.admin) == []
