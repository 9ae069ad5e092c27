"""Reports as files: CSV and XLSX through the shared writer (read back), PNG charts drawn
with the bundled CJK font — every Chinese character a real glyph, no tofu."""

from __future__ import annotations

import io
import warnings

import openpyxl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font
from PIL import Image

from core import tabular
from core.errors import ValidationError
from core.reports import catalog, output
from core.templates.fonts import FONT_PATH
from tests.conftest import OrgFixture
from tests.reports.world import FIRST, LAST, World, build, sh


@pytest.fixture
def world(app, acme: OrgFixture, frozen_clock) -> World:
    frozen_clock[0] = sh(1, 10)
    return build(app, acme)


def test_csv_and_xlsx_hold_the_table_with_money_in_yuan(world: World) -> None:
    report = catalog.run_report(world.app, world.admin, "orders", FIRST, LAST, by="shop")
    csv_out = io.BytesIO()
    assert output.write_report(report, csv_out, "csv") == 2
    assert csv_out.getvalue().startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    table = tabular.read_table(io.BytesIO(csv_out.getvalue()), "orders.csv")
    assert table.header == ("店铺 shop", "订单 orders", "实付 paid (元)", "客单价 per order (元)")
    assert [row.cells for row in table.rows] == [
        ("旗舰店", "2", "30", "15"),
        ("杯子店", "2", "35", "17.5"),
    ]
    xlsx_out = io.BytesIO()
    assert output.write_report(report, xlsx_out, "xlsx") == 2
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_out.getvalue())).active
    assert sheet.title == "orders"
    assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        ["旗舰店", 2, 30, 15],
        ["杯子店", 2, 35, 17.5],
    ]


def test_csv_without_finance_view_has_no_money(world: World) -> None:
    report = catalog.run_report(world.app, world.viewer, "orders", FIRST, LAST, by="shop")
    out = io.BytesIO()
    output.write_report(report, out, "csv")
    assert out.getvalue().decode("utf-8-sig").splitlines() == [
        "店铺 shop,订单 orders",
        "旗舰店,2",
        "杯子店,2",
    ]


def _chart_text(report) -> str:  # type: ignore[no-untyped-def]
    data = report.chart_data()
    return data.title + "".join(data.labels) + "".join(name for name, _ in data.series)


@pytest.mark.parametrize(
    ("name", "by"),
    [
        ("orders", "shop"),
        ("exceptions", None),
        ("carriers", None),
        ("prints", None),
        ("overdue", "day"),
    ],
)
def test_png_charts_draw_every_chinese_character(world: World, name: str, by: str | None) -> None:
    report = catalog.run_report(world.app, world.admin, name, FIRST, LAST, by=by)
    font = FT2Font(str(FONT_PATH))
    missing = {
        ch for ch in _chart_text(report) if ord(ch) > 0x7F and not font.get_char_index(ord(ch))
    }
    assert not missing  # every character of the chart has a glyph in the bundled font
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        output.render_png(report, out)
    image = Image.open(io.BytesIO(out.getvalue()))
    assert image.format == "PNG" and image.size == (1200, 660)
    darkest, lightest = image.convert("L").getextrema()
    assert darkest < 100 < lightest  # something was drawn on the white page


def _text_pixels(text: str) -> bytes:
    figure = Figure(figsize=(2, 0.5), dpi=100)
    canvas = FigureCanvasAgg(figure)
    figure.text(0.05, 0.3, text, fontfamily=output.font_name(), fontsize=20)
    canvas.draw()
    return bytes(canvas.buffer_rgba())


def test_the_chart_font_draws_glyphs_not_tofu() -> None:
    """A missing glyph is drawn as the same empty box whatever the character; real glyphs
    differ from each other and from that box."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the private-use characters below are missing
        tofu = _text_pixels("\ue000\ue001")
        assert _text_pixels("\ue002\ue003") == tofu
    assert _text_pixels("订单") != tofu
    assert _text_pixels("订单") != _text_pixels("发货")


def test_nothing_to_chart_is_a_clear_error(world: World) -> None:
    empty = catalog.run_report(world.app, world.admin, "carriers", "2025-06-01", "2025-06-30")
    with pytest.raises(ValidationError, match="no rows in 2025-06-01"):
        output.render_png(empty, io.BytesIO())
