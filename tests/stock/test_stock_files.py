"""The catalogue and the SKU mappings exported to CSV/XLSX and imported back unchanged
(`core.stock.catalogue_file`, `core.stock.mapping_file`); the mapping import names a bad
row and column and writes nothing; costs only with finance.view."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import tabular
from core.accounts import roles
from core.errors import PermissionDenied, ValidationError
from core.stock import catalogue, mapping
from core.stock.catalogue_file import export_catalogue, import_catalogue
from core.stock.mapping_file import export_mappings, import_mappings
from tests.conftest import OrgFixture


def skus(app, actor) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    return {
        s.code: (s.name, s.barcode, s.weight_g, s.cost_fen) for s in catalogue.list_skus(app, actor)
    }


def maps(app, actor) -> set[tuple]:  # type: ignore[no-untyped-def]
    return {
        (m.platform, m.platform_sku_id, p.code, p.quantity)
        for m in mapping.list_mappings(app, actor)
        for p in m.parts
    }


def exported(call, app, actor, fmt: str) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    call(app, actor, out, fmt)
    return out.getvalue()


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8-sig"))


# Names a merchant may type, formula-like ones included.
NAMES = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=12
).map(str.strip)
CODES = st.text(st.sampled_from("ABC-=+@'12红"), min_size=1, max_size=8)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.dictionaries(
        CODES, st.tuples(NAMES, NAMES, st.integers(0, 99_999), st.integers(0, 10**9)), max_size=5
    )
)
def test_the_catalogue_exports_and_imports_back_unchanged(
    app, acme: OrgFixture, fmt: str, rows: dict
) -> None:
    admin = acme.admin
    for code, (name, barcode, grams, cost) in rows.items():
        if code in skus(app, admin):
            catalogue.update_sku(
                app, admin, code, name=name, barcode=barcode, weight_g=grams, cost_fen=cost
            )
        else:
            catalogue.add_sku(
                app, admin, code, name, barcode=barcode, weight_g=grams, cost_fen=cost
            )
    before = skus(app, admin)
    if not before:
        return
    data = exported(export_catalogue, app, admin, fmt)
    done = import_catalogue(app, admin, io.BytesIO(data), f"商品档案.{fmt}")
    assert (done.added, done.updated, done.unchanged) == (0, 0, len(before))
    assert skus(app, admin) == before


def test_an_exported_catalogue_fills_an_empty_org(
    app, acme: OrgFixture, globex: OrgFixture
) -> None:
    catalogue.add_sku(
        app, acme.admin, "=CUP", "-保温杯", barcode="6901", weight_g=350, cost_fen=1250
    )
    catalogue.add_sku(app, acme.admin, "LID", "杯盖", cost_fen=5)
    data = exported(export_catalogue, app, acme.admin, "xlsx")
    import_catalogue(app, globex.admin, io.BytesIO(data), "商品档案.xlsx")
    assert skus(app, globex.admin) == skus(app, acme.admin)


def test_the_cost_column_needs_finance_view(app, acme: OrgFixture) -> None:
    catalogue.add_sku(app, acme.admin, "CUP", "保温杯", cost_fen=1250)
    keeper = acme.staff("keeper", "只读")  # stock.view, no finance.view
    data = exported(export_catalogue, app, keeper, "csv")
    table = tabular.read_table(io.BytesIO(data), "x.csv")
    assert table.header == ("编码", "名称", "条码", "重量(克)")
    assert [r.cells for r in table.rows] == [("CUP", "保温杯", "", "0")]
    roles.create_role(app, acme.admin, "buyer", ("stock.adjust", "stock.view"))
    buyer = acme.staff("buyer", "buyer")
    import_catalogue(app, buyer, io.BytesIO(data), "x.csv")  # no cost column: costs kept
    assert skus(app, acme.admin)["CUP"][3] == 1250
    with pytest.raises(ValidationError, match="format must be csv or xlsx"):
        export_catalogue(app, keeper, io.BytesIO(), "pdf")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_mappings_export_and_import_back_unchanged(
    app, acme: OrgFixture, globex: OrgFixture, fmt: str
) -> None:
    for org in (acme, globex):
        for code in ("CUP", "LID", "-RED"):
            catalogue.add_sku(app, org.admin, code)
    admin = acme.admin
    mapping.map_platform_sku(app, admin, "pinduoduo", "1001", [mapping.Part("CUP")])
    mapping.map_platform_sku(
        app, admin, "pinduoduo", "1002", [mapping.Part("CUP"), mapping.Part("LID", 2)]
    )
    mapping.map_platform_sku(app, admin, "manual", "=9", [mapping.Part("-RED", 3)])
    data = exported(export_mappings, app, admin, fmt)
    done = import_mappings(app, admin, io.BytesIO(data), f"对应.{fmt}")
    assert (done.added, done.replaced, done.unchanged) == (0, 0, 3)
    done = import_mappings(app, globex.admin, io.BytesIO(data), f"对应.{fmt}")
    assert (done.added, done.replaced, done.unchanged) == (3, 0, 0)
    assert (
        maps(app, globex.admin)
        == maps(app, admin)
        == {
            ("pinduoduo", "1001", "CUP", 1),
            ("pinduoduo", "1002", "CUP", 1),
            ("pinduoduo", "1002", "LID", 2),
            ("manual", "=9", "-RED", 3),
        }
    )


def test_a_mapping_file_replaces_the_skus_it_names_and_leaves_the_rest(
    app, acme: OrgFixture
) -> None:
    admin = acme.admin
    for code in ("CUP", "LID"):
        catalogue.add_sku(app, admin, code)
    mapping.map_platform_sku(app, admin, "pinduoduo", "1001", [mapping.Part("CUP")])
    mapping.map_platform_sku(app, admin, "pinduoduo", "1002", [mapping.Part("CUP")])
    text = "平台SKU ID,商家编码,数量\n1002,LID,2\n1002,CUP,\n1003,CUP,1\n"
    done = import_mappings(app, admin, csv(text), "对应.csv")
    assert (done.added, done.replaced, done.unchanged) == (1, 1, 0)
    assert maps(app, admin) == {
        ("pinduoduo", "1001", "CUP", 1),
        ("pinduoduo", "1002", "LID", 2),
        ("pinduoduo", "1002", "CUP", 1),
        ("pinduoduo", "1003", "CUP", 1),
    }


@pytest.mark.parametrize(
    ("text", "message", "row", "field"),
    [
        (
            "平台SKU ID,商家编码\n1001,CUP\n,CUP\n",
            "row 3, column 平台SKU ID: a platform SKU id is",
            3,
            "platform_sku_id",
        ),
        (
            "平台SKU ID,商家编码\n1001,CUP\n1002,\n",
            "row 3, column 商家编码: the code is empty",
            3,
            "code",
        ),
        (
            "平台SKU ID,商家编码\n1001,CUP\n1001,CUP\n",
            "row 3, column 商家编码: CUP is a part of 1001 on row 2",
            3,
            "code",
        ),
        (
            "平台SKU ID,商家编码,数量\n1001,CUP,0\n",
            "row 2, column 数量: the quantity must be 1 or more",
            2,
            "quantity",
        ),
        (
            "平台SKU ID,商家编码,数量\n1001,CUP,两\n",
            "row 2, column 数量: '两' is not a whole number",
            2,
            "quantity",
        ),
        (
            "平台SKU ID,商家编码\n1001,CUP\n1002,NOPE\n",
            "row 3, column 商家编码: no SKU with code 'NOPE'",
            3,
            "code",
        ),
        (
            "平台SKU ID,商家编码\n1001,=A1+1\n",
            "row 2, column 商家编码: a formula; paste it as a value",
            2,
            "code",
        ),
        ("商家编码,数量\nCUP,1\n", "no platform_sku_id column", 1, "file"),
    ],
)
def test_a_bad_mapping_row_is_named_and_nothing_is_written(
    app, acme: OrgFixture, text: str, message: str, row: int, field: str
) -> None:
    catalogue.add_sku(app, acme.admin, "CUP")
    mapping.map_platform_sku(app, acme.admin, "pinduoduo", "1001", [mapping.Part("CUP", 5)])
    before = maps(app, acme.admin)
    with pytest.raises(ValidationError) as bad:
        import_mappings(app, acme.admin, csv(text), "对应.csv")
    assert message in str(bad.value)
    assert (bad.value.details.get("row"), bad.value.details.get("field")) == (row, field)
    assert maps(app, acme.admin) == before


def test_mapping_files_need_stock_permissions(app, acme: OrgFixture) -> None:
    catalogue.add_sku(app, acme.admin, "CUP")
    viewer = acme.staff("viewer", "只读")
    with pytest.raises(PermissionDenied):
        import_mappings(app, viewer, csv("平台SKU ID,商家编码\n1,CUP\n"), "x.csv")
    assert maps(app, acme.admin) == set()
    finance = acme.staff("finance", "财务")  # no stock.view
    with pytest.raises(PermissionDenied):
        export_mappings(app, finance, io.BytesIO(), "csv")
    with pytest.raises(PermissionDenied):
        export_catalogue(app, finance, io.BytesIO(), "csv")
