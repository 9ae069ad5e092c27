"""商品档案 from CSV/XLSX (`core.stock.catalogue_file`): SKUs added and updated in one go,
columns the file lacks left alone, every bad row named with nothing written, costs only
with finance.view."""

from __future__ import annotations

import io

import pytest

from core.errors import PermissionDenied, ValidationError
from core.stock import catalogue
from core.stock.catalogue_file import import_catalogue
from tests.conftest import OrgFixture


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8-sig"))


def skus(app, actor) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    return {
        s.code: (s.name, s.barcode, s.weight_g, s.cost_fen) for s in catalogue.list_skus(app, actor)
    }


def test_new_skus_are_added_and_known_ones_updated(app, acme: OrgFixture) -> None:
    admin = acme.admin
    catalogue.add_sku(app, admin, "LID", "杯盖", barcode="690001", weight_g=30)
    text = "商家编码,商品名称,重量（克）,成本价\nCUP,保温杯,350,12.50\nLID,通用杯盖,30,\n"
    done = import_catalogue(app, admin, csv(text), "商品档案.csv")
    assert (done.added, done.updated, done.unchanged) == (1, 1, 0)
    assert skus(app, admin) == {
        "CUP": ("保温杯", "", 350, 1250),
        "LID": ("通用杯盖", "690001", 30, 0),  # no barcode column: kept; empty cost: kept
    }
    again = import_catalogue(app, admin, csv(text), "商品档案.csv")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)


@pytest.mark.parametrize(
    ("text", "message", "row"),
    [
        ("编码,名称\nCUP,杯\nCUP 2,杯\n", "row 3: a SKU code is 1 to 64 characters", 3),
        ("编码,名称\nCUP,杯\nCUP,杯子\n", "row 3: CUP is on row 2 already", 3),
        ("编码,重量\nCUP,半斤\n", "row 2: '半斤' is not a whole number", 2),
        ("编码,成本\nCUP,12.345\n", "row 2: cost", 2),
        ('编码,名称\nCUP,=HYPERLINK("x")\n', "row 2: the name is a formula", 2),
        ("名称\n杯\n", "no code (编码) column", 1),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(
    app, acme: OrgFixture, text: str, message: str, row: int
) -> None:
    with pytest.raises(ValidationError) as bad:
        import_catalogue(app, acme.admin, csv(text), "表.csv")
    assert message in str(bad.value) and bad.value.details.get("row") == row
    assert skus(app, acme.admin) == {}


def test_costs_need_finance_view(app, acme: OrgFixture) -> None:
    keeper = acme.staff("laozhang", "仓库管理员")
    with pytest.raises(PermissionDenied) as refused:
        import_catalogue(app, keeper, csv("编码,成本\nCUP,1.00\n"), "t.csv")
    assert refused.value.details["permission"] == "finance.view"
    done = import_catalogue(app, keeper, csv("编码,名称\nCUP,杯\n"), "t.csv")
    assert done.added == 1
