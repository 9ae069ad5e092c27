"""库位 (`core.stock.bins`, `bins_file`): one bin per SKU and warehouse, set by hand or from a
file (all or nothing, a bad row named by row and column), printed on the goods lines from
the order's warehouse, and the pick list walking them in natural order (A-2 before A-10)."""

from __future__ import annotations

import io

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from core import clock
from core.desk import rerouting
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import PackageLine
from core.printing import documents
from core.stock import bins, catalogue, warehouses
from core.stock.bins_file import import_bins
from core.templates import natural_key
from tests.conftest import OrgFixture
from tests.desk.world import LineSpec, OrderSpec, store_world
from tests.rendering.helpers import render

CODES = ("CUP-R", "LID", "TEA")


@pytest.fixture
def org(app, acme: OrgFixture):  # type: ignore[no-untyped-def]
    for name in ("主仓", "北仓"):
        warehouses.add_warehouse(app, acme.admin, name)
    for code in CODES:
        catalogue.add_sku(app, acme.admin, code, f"商品 {code}")
    return acme


def placed(app, actor, warehouse: str | None = None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(b.code, b.bin) for b in bins.list_bins(app, actor, warehouse=warehouse)]


def csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def test_natural_order_reads_digit_runs_as_numbers() -> None:
    given = ["A-10", "b-1", "A-2", "A-2-10", "A-2-9", "货架10", "货架2", "A"]
    assert sorted(given, key=natural_key) == [
        "A",
        "A-2",
        "A-2-9",
        "A-2-10",
        "A-10",
        "b-1",
        "货架2",
        "货架10",
    ]


def test_bins_are_set_listed_in_picking_order_and_removed(app, org: OrgFixture) -> None:
    admin = org.admin
    for code, place in (("CUP-R", "A-10"), ("LID", " A-2 "), ("TEA", "B-1")):
        bins.set_bin(app, admin, code, place)
    bins.set_bin(app, admin, "CUP-R", "N-1", warehouse="北仓")
    assert placed(app, admin, "主仓") == [("LID", "A-2"), ("CUP-R", "A-10"), ("TEA", "B-1")]
    assert placed(app, admin, "北仓") == [("CUP-R", "N-1")]
    assert bins.set_bin(app, admin, "TEA", "").bin == ""  # removed
    assert placed(app, admin, "主仓") == [("LID", "A-2"), ("CUP-R", "A-10")]
    with pytest.raises(NotFound, match="no SKU with code 'NOPE'"):
        bins.set_bin(app, admin, "NOPE", "A-1")
    with pytest.raises(ValidationError, match="at most 32 characters"):
        bins.set_bin(app, admin, "LID", "A" * 33)


def test_a_bin_file_is_all_or_nothing_naming_the_bad_row(app, org: OrgFixture) -> None:
    admin = org.admin
    done = import_bins(app, admin, csv("编码,库位\nCUP-R,A-10\nLID,A-2\n\n"), "库位.csv")
    assert (done.warehouse, done.changed, done.unchanged) == ("主仓", 2, 0)
    again = import_bins(app, admin, csv("code,bin\nCUP-R,A-10\nLID,A-3\n"), "b.csv")
    assert (again.changed, again.unchanged) == (1, 1)

    for text, message, field in (
        ("编码,库位\nCUP-R,C-1\nNOPE,C-2\n", "坏.csv row 3: no SKU with code 'NOPE'", "code"),
        ("编码,库位\nCUP-R,C-1\nLID,\n", "坏.csv row 3 (LID): the bin is empty", "bin"),
        ("编码,库位\nCUP-R,C-1\nCUP-R,C-2\n", "坏.csv row 3: CUP-R is on row 2 already", "code"),
        ("编码,库位\nCUP R,C-1\n", "坏.csv row 2: a SKU code is", "code"),
        ("编码,数量\nCUP-R,1\n", "坏.csv: no bin column in the header (row 1)", "file"),
    ):
        with pytest.raises((ValidationError, NotFound)) as caught:
            import_bins(app, admin, csv(text), "坏.csv")
        assert message in str(caught.value) and caught.value.details.get("field") == field

    sheet = io.BytesIO()
    book = openpyxl.Workbook()
    page = book.active
    page.append(["商家编码", "货位"])
    page.append(["TEA", "B-1"])
    page.append(["LID", '="C"&"-9"'])  # a formula cell
    book.save(sheet)
    sheet.seek(0)
    with pytest.raises(ValidationError, match=r"库位\.xlsx row 3: the bin is a formula"):
        import_bins(app, admin, sheet, "库位.xlsx")
    assert placed(app, admin) == [("LID", "A-3"), ("CUP-R", "A-10")]  # nothing of the bad files


def test_bins_need_stock_adjust_and_stay_in_their_org(
    app, org: OrgFixture, globex: OrgFixture
) -> None:
    printer = org.staff("xiaowang", "打单员")
    keeper = org.staff("laozhang", "仓库管理员")
    with pytest.raises(PermissionDenied):
        bins.set_bin(app, printer, "LID", "A-1")
    with pytest.raises(PermissionDenied):
        import_bins(app, printer, csv("编码,库位\nLID,A-1\n"), "a.csv")
    bins.set_bin(app, keeper, "LID", "A-1")
    assert placed(app, printer) == [("LID", "A-1")]  # stock.view reads them
    warehouses.add_warehouse(app, globex.admin, "主仓")
    with pytest.raises(NotFound):
        bins.set_bin(app, globex.admin, "LID", "Z-9")
    with pytest.raises(NotFound):
        import_bins(app, globex.admin, csv("编码,库位\nLID,Z-9\n"), "a.csv")
    with pytest.raises(NotFound):
        bins.list_bins(app, globex.admin, warehouse="北仓")
    assert placed(app, globex.admin) == []


def test_the_pick_list_shows_bins_from_the_orders_warehouse_in_natural_order(
    app, org: OrgFixture
) -> None:
    admin = org.admin
    for code, place in (("CUP-R", "A-10"), ("LID", "A-2"), ("TEA", "B-1")):
        bins.set_bin(app, admin, code, place)
    bins.set_bin(app, admin, "CUP-R", "N-1", warehouse="北仓")
    specs = [
        OrderSpec(lines=(LineSpec("保温杯", "sku-1", code),), waybill=0)
        for code in ("TEA", "CUP-R", "LID", "CUP-R", "CUP-R")
    ]
    world = store_world(app, org.org_id, specs, prefix="PK")
    rerouting.route_orders(app, admin, [world.orders[4].number], "北仓")
    with app.tx() as s:
        ids = sorted(set(s.scalars(select(PackageLine.package_id))))
        data = documents.pick_list_data(s, 1, ids, "boss", clock.now())
        sources = documents.load_packages(s, ids).values()
        items = {src.orders[0].platform_order_no: src.items[0].location for src in sources}
        product = [
            documents.product_label_data(src, _ref(src), clock.now()).location for src in sources
        ]
    assert [(p.location, p.sku, p.quantity) for p in data.lines] == [
        ("A-2", "LID", 1),
        ("A-10", "CUP-R", 2),
        ("B-1", "TEA", 1),
        ("N-1", "CUP-R", 1),  # the order moved to 北仓 picks there
    ]
    assert [items[o.number] for o in world.orders] == ["B-1", "A-10", "A-2", "A-10", "N-1"]
    assert sorted(product) == sorted(items.values())  # product labels (商品标签) too
    pdf = render("pdf", "pick-list-a4", data=data.to_mapping())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    where = [text.index(place) for place in ("A-2", "A-10", "B-1", "N-1")]
    assert where == sorted(where), text


def _ref(source: documents.Source) -> documents.ItemRef:
    order = source.orders[0]
    return documents.ItemRef(
        id=0,
        position=1,
        kind="product_label",
        package_id=source.package.id,
        order_id=order.id,
        waybill_id=None,
        printer_id=None,
        template_version_id=None,
        reprint=False,
        attempts=0,
        line_no=1,
    )
