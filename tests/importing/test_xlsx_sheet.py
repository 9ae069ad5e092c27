"""The streamed worksheet reader (`core.tabular.xlsx_sheet`) gives every cell the value
openpyxl's read-only worksheet gives it: the reference is openpyxl itself, on workbooks
openpyxl writes (hypothesis) and on sheet XML other producers write (hand-made)."""

from __future__ import annotations

import io
import warnings
import zipfile
from datetime import date, datetime, time, timedelta
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.reader.strings import read_string_table
from openpyxl.styles.stylesheet import Stylesheet
from openpyxl.xml.functions import fromstring

from core import tabular
from core.errors import ValidationError
from core.tabular import xlsx, xlsx_parts
from core.tabular.xlsx_sheet import sheet_rows


def reference(data: bytes) -> list[list[tuple[Any, bool]]]:
    """What openpyxl's read-only mode reads: (value, is formula) per cell, row by row."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, keep_links=False)
    sheet = book.worksheets[0]
    sheet.reset_dimensions()
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "marked as a date but … outside the limits"
        cells_by_row = list(sheet.iter_rows(min_row=1))
    for cells in cells_by_row:
        row = []
        for cell in cells:
            formula = getattr(cell, "data_type", None) == "f"
            value = getattr(cell.value, "text", cell.value) if formula else cell.value
            row.append((value, formula))
        rows.append(row)
    book.close()
    return rows


def streamed(data: bytes) -> list[list[tuple[Any, bool]]]:
    archive, path, formats = xlsx._open_workbook(io.BytesIO(data), "o.xlsx")
    with archive, archive.open(path) as source:
        return list(sheet_rows(source, formats))


def saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=12
).filter(lambda t: all(c >= " " or c in "\t\n" for c in t))
VALUES = st.one_of(
    st.none(),
    TEXT,
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64).filter(lambda f: abs(f) < 1e300),
    st.booleans(),
    st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    st.dates(min_value=date(1901, 1, 1), max_value=date(2099, 12, 31)),
    st.times().map(lambda t: t.replace(microsecond=0)),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", '=HYPERLINK("http://x","y")', '=A1&"<&>"']),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.dictionaries(st.tuples(st.integers(1, 12), st.integers(1, 6)), VALUES, max_size=30),
    epoch_1904=st.booleans(),
)
def test_workbooks_openpyxl_writes_read_the_same(cells: dict, epoch_1904: bool) -> None:
    book = openpyxl.Workbook()
    if epoch_1904:
        book.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    sheet = book.active
    for (row, column), value in cells.items():
        sheet.cell(row=row, column=column, value=value)
    data = saved(book)
    assert streamed(data) == reference(data)


def test_custom_date_formats_durations_and_errors_read_the_same() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"] = 45000.5
    sheet["A1"].number_format = "yyyy/mm/dd hh:mm"
    sheet["B1"] = timedelta(hours=30, minutes=5)
    sheet["C1"] = 3.25
    sheet["C1"].number_format = "[h]:mm:ss"
    sheet["D1"] = 12.5
    sheet["D1"].number_format = "0.00%"
    sheet["E1"] = 1e20
    sheet["E1"].number_format = "yyyy-mm-dd"  # no such date: openpyxl reads #VALUE!
    sheet["F1"] = "#N/A"
    sheet["F1"].data_type = "e"
    sheet["A3"] = "after a gap"
    data = saved(book)
    assert streamed(data) == reference(data)


# Sheet XML as other producers write it, put into a workbook openpyxl made.
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
)
SHEETS = {
    "no references": '<sheetData><row><c t="inlineStr"><is><t>a</t></is></c><c><v>2</v></c>'
    '</row><row><c/><c t="b"><v>1</v></c></row></sheetData>',
    "inline rich text and phonetic runs": '<sheetData><row r="1"><c r="B1" t="inlineStr"><is>'
    '<r><t>东</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 京 </t></r>'
    '<rPh sb="0" eb="1"><t>トウ</t></rPh></is></c></row></sheetData>',
    "shared formulas": '<sheetData><row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f>'
    '<v>2</v></c></row><row r="2"><c r="A2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><f t="array" ref="A3">SUM(B1:B2)</f><v>3</v></c></row></sheetData>',
    "cached text, errors and ISO dates": '<sheetData><row r="2"><c r="A2" t="str"><v>x</v></c>'
    '<c r="B2" t="e"><v>#DIV/0!</v></c><c r="C2" t="d"><v>2024-06-01T12:30:05</v></c>'
    '<c r="D2" t="n"><v></v></c><c r="E2" t="s"/></row></sheetData>',
    "rows out of order and repeated": '<sheetData><row r="3"><c r="A3"><v>3</v></c></row>'
    '<row r="2"><c r="A2"><v>2</v></c></row><row r="3"><c r="B3"><v>33</v></c></row>'
    '<row r="5"><c r="C5"><v>5</v></c><c r="A5"><v>51</v></c></row></sheetData>',
    "a prefixed main namespace": '<sheetData><x:row xmlns:x="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" r="1"><x:c r="A1"><x:v>7</x:v></x:c></x:row></sheetData>',
    "numbers in every spelling": '<sheetData><row r="1"><c r="A1"><v>1E3</v></c><c r="B1">'
    '<v>-0.5e-2</v></c><c r="C1"><v>007</v></c><c r="D1"><v>1.0</v></c></row></sheetData>',
}


def with_sheet(xml: str, doctype: str = "") -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "placeholder"
    source = zipfile.ZipFile(io.BytesIO(saved(book)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                head = HEAD.replace("?>", "?>" + doctype, 1)
                body = (head + xml + "</worksheet>").encode()
            target.writestr(item, body)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(SHEETS))
def test_sheet_xml_of_other_producers_reads_the_same(name: str) -> None:
    data = with_sheet(SHEETS[name])
    assert streamed(data) == reference(data)


def test_a_sheet_declaring_entities_is_refused() -> None:
    """The XML "billion laughs": no spreadsheet declares entities, so none is expanded."""
    data = with_sheet(
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData>',
        doctype='<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    )
    with pytest.raises(ValidationError, match="entities"):
        list(tabular.read_table(io.BytesIO(data), "o.xlsx").rows)


def test_times_and_dates_keep_their_types() -> None:
    book = openpyxl.Workbook()
    book.active.append([datetime(2024, 6, 1, 12, 30, 5), date(2024, 6, 1), time(9, 15)])
    (row,) = streamed(saved(book))
    assert [type(v) for v, _ in row] == [datetime, datetime, time]


# Shared strings and styles as other producers write them, read by `xlsx_parts` and by
# openpyxl's own readers of those parts.
SST = f'<sst xmlns="{xlsx_parts.MAIN}">'
STRING_TABLES = {
    "plain, empty and escaped": "<si><t>a</t></si><si/><si><t/></si>"
    "<si><t>a_x005F_x000D_b</t></si><si><t>a\r\nb</t></si>",
    "rich runs": '<si><r><rPr><b/></rPr><t>东</t></r><r><t xml:space="preserve"> 京 </t></r></si>',
    "phonetic runs": '<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh>'
    '<phoneticPr fontId="1"/></si>',
    "runs before the plain text, two texts": "<si><r><t>b</t></r><t>a</t></si>"
    "<si><t>a</t><t>b</t></si><si><t>a<x/>b</t></si>",
    "a prefixed namespace": '<x:si xmlns:x="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><x:r><x:t>p</x:t></x:r></x:si>',
}


@pytest.mark.parametrize("name", sorted(STRING_TABLES))
def test_shared_strings_read_as_openpyxl_reads_them(name: str) -> None:
    data = (SST + STRING_TABLES[name] + "</sst>").encode()
    assert xlsx_parts.shared_strings(io.BytesIO(data)) == read_string_table(io.BytesIO(data))


def test_number_formats_read_as_openpyxl_reads_them() -> None:
    data = (
        f'<styleSheet xmlns="{xlsx_parts.MAIN}"><cellXfs count="6"><xf/><xf numFmtId="14"/>'
        '<xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="21"/><xf numFmtId="4"/>'
        '</cellXfs><numFmts><numFmt numFmtId="164" formatCode="0.00"/>'
        '<numFmt numFmtId="164" formatCode="yyyy/m/d"/><numFmt numFmtId="165" '
        'formatCode="[h]:mm"/><numFmt numFmtId="4" formatCode="mm:ss"/></numFmts></styleSheet>'
    ).encode()
    sheet = Stylesheet.from_tree(fromstring(data))
    expected = (frozenset(sheet.date_formats), frozenset(sheet.timedelta_formats))
    assert xlsx_parts.number_formats(io.BytesIO(data)) == expected == ({1, 2, 3, 4, 5}, {3})
