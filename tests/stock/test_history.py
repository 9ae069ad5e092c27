"""The ledger's listing (`core.stock.history.list_moves`), on both backends: newest
first, each move with its warehouse, SKU, deltas, reason, reference and who posted it;
the filters; keyset pages that neither repeat nor skip a move when moves arrive between
pages; another org's moves never show; a bad key, reason or limit names the field."""

from __future__ import annotations

import pytest

from core.app import App
from core.errors import NotFound, PermissionDenied, ValidationError
from core.stock import catalogue, history, operations, warehouses
from core.stock.operations import Line
from tests.conftest import OrgFixture


def _world(app: App, org: OrgFixture) -> None:
    warehouses.add_warehouse(app, org.admin, "主仓")
    warehouses.add_warehouse(app, org.admin, "北仓")
    for code in ("CUP", "LID"):
        catalogue.add_sku(app, org.admin, code)
    operations.receive(app, org.admin, [Line("CUP", 10), Line("LID", 4)], reference="RK-1")
    operations.count(app, org.admin, [Line("LID", 3)], reference="PD-1", note="broken")
    operations.transfer(
        app, org.admin, [Line("CUP", 2)], source="主仓", destination="北仓", reference="DB-1"
    )


def _rows(moves: list[history.MoveInfo]) -> list[tuple[object, ...]]:
    return [(m.warehouse, m.code, m.on_hand_delta, m.reason, m.reference) for m in moves]


def test_newest_first_with_what_each_move_did(app: App, acme: OrgFixture, globex) -> None:  # type: ignore[no-untyped-def]
    _world(app, acme)
    _world(app, globex)
    moves = history.list_moves(app, acme.admin)
    assert _rows(moves) == [
        ("北仓", "CUP", 2, "transfer_in", "DB-1"),
        ("主仓", "CUP", -2, "transfer_out", "DB-1"),
        ("主仓", "LID", -1, "count", "PD-1"),
        ("主仓", "LID", 4, "receipt", "RK-1"),
        ("主仓", "CUP", 10, "receipt", "RK-1"),
    ]
    assert moves[2].note == "broken" and moves[2].actor == "boss"
    assert {m.reserved_delta for m in moves} == {0}
    assert all(m.at.tzinfo is not None for m in moves)


def test_filters(app: App, acme: OrgFixture) -> None:
    _world(app, acme)
    assert _rows(history.list_moves(app, acme.admin, warehouse="北仓")) == [
        ("北仓", "CUP", 2, "transfer_in", "DB-1")
    ]
    assert [m.reason for m in history.list_moves(app, acme.admin, code="LID")] == [
        "count",
        "receipt",
    ]
    assert len(history.list_moves(app, acme.admin, reason="receipt")) == 2
    assert len(history.list_moves(app, acme.admin, reference="DB-1")) == 2
    assert history.list_moves(app, acme.admin, reference="nope") == []


def test_pages_neither_repeat_nor_skip_when_moves_arrive(app: App, acme: OrgFixture) -> None:
    _world(app, acme)
    every = history.list_moves(app, acme.admin)
    seen: list[int] = []
    after = None
    while True:
        page = history.list_moves(app, acme.admin, after=after, limit=2)
        seen += [m.id for m in page]
        if len(page) < 2:
            break
        after = page[-1].key
        operations.receive(app, acme.admin, [Line("CUP", 1)])  # newer: never on a later page
    assert seen == [m.id for m in every]


def test_refusals_name_the_field(app: App, acme: OrgFixture, globex: OrgFixture) -> None:
    _world(app, acme)
    warehouses.add_warehouse(app, globex.admin, "外仓")
    catalogue.add_sku(app, globex.admin, "GLOBEX-ONLY")
    for kw, name in (
        ({"after": ("x",)}, "after"),
        ({"after": ("not a time", 1)}, "after"),
        ({"after": ("2026-01-01T00:00:00", 1)}, "after"),  # no time zone
        ({"reason": "theft"}, "reason"),
        ({"limit": 0}, "limit"),
    ):
        with pytest.raises(ValidationError) as caught:
            history.list_moves(app, acme.admin, **kw)  # type: ignore[arg-type]
        assert caught.value.details["field"] == name
    with pytest.raises(NotFound):
        history.list_moves(app, acme.admin, warehouse="外仓")
    with pytest.raises(NotFound):
        history.list_moves(app, acme.admin, code="GLOBEX-ONLY")
    guest = acme.staff("guest")
    with pytest.raises(PermissionDenied):
        history.list_moves(app, guest)
