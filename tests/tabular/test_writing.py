"""core.tabular.writing: CSV and XLSX written, then read back through core.tabular."""

from __future__ import annotations

import io
import re
import tracemalloc
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import tabular
from core.clock import SHANGHAI
from core.errors import ValidationError
from core.tabular.writing import Cell, neutralise, restore, write_table

FORMATS = ("csv", "xlsx")
# Any text but NUL (no text file holds one; core.tabular refuses it) and `_x` (XLSX's
# escape of control characters; XLSX drops those, see test_xlsx_drops_control_characters).
CELL_TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    max_size=30,
).filter(lambda t: "_x" not in t)
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")  # quotes before one: neutralised too
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def written(fmt: str, columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> bytes:
    out = io.BytesIO()
    assert write_table(out, fmt, columns, rows) == len(rows)  # type: ignore[arg-type]
    return out.getvalue()


def read_back(fmt: str, data: bytes) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    table = tabular.read_table(io.BytesIO(data), f"export.{fmt}")
    return table.header, [row.cells for row in table.rows]


@pytest.mark.parametrize("fmt", FORMATS)
def test_chinese_numbers_and_times_round_trip(fmt: str) -> None:
    paid = datetime(2026, 12, 6, 16, 30, 5, 123456, tzinfo=UTC)  # 00:30:05 next day in Beijing
    rows: list[list[Cell]] = [
        ["231206-0001", "王小明", "浙江省 杭州市 西湖区\n文三路 1 号", 1290, 12.9, paid],
        ["231206-0002", "李雷", "", -5, 0.1, date(2026, 12, 7)],
        ["231206-0003", None, "@店主 备注", 0, 3.0, None],
    ]
    header, cells = read_back(
        fmt, written(fmt, ["订单号", "收货人", "地址", "fen", "元", "时间"], rows)
    )
    assert header == ("订单号", "收货人", "地址", "fen", "元", "时间")
    date_text = "2026-12-07" if fmt == "csv" else "2026-12-07 00:00:00"
    cells = [c + ("",) * (6 - len(c)) for c in cells]  # XLSX leaves trailing empties out
    assert cells == [
        (
            "231206-0001",
            "王小明",
            "浙江省 杭州市 西湖区\n文三路 1 号",
            "1290",
            "12.9",
            "2026-12-07 00:30:05",
        ),
        ("231206-0002", "李雷", "", "-5", "0.1", date_text),
        ("231206-0003", "", "'@店主 备注", "0", "3", ""),
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_aware_times_are_written_in_shanghai_whatever_their_zone(fmt: str) -> None:
    moment = datetime(2026, 3, 1, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))
    _, cells = read_back(fmt, written(fmt, ["t"], [[moment]]))
    assert cells == [("2026-03-02 12:59:59",)]
    assert tabular.parse_time(cells[0][0], SHANGHAI) == moment.astimezone(UTC)


def test_csv_is_utf8_with_bom_and_crlf() -> None:
    data = written("csv", ["订单号", "金额"], [["1", 2]])
    assert data == "\ufeff订单号,金额\r\n1,2\r\n".encode()


def test_xlsx_numbers_and_dates_are_typed_cells() -> None:
    import openpyxl

    data = written("xlsx", ["n", "f", "t", "s"], [[7, 1.5, datetime(2026, 1, 2, 3, 4, 5), "-7"]])
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    n, f, t, s = (c.value for c in sheet[2])
    assert (n, f, t, s) == (7, 1.5, datetime(2026, 1, 2, 3, 4, 5), "'-7")
    assert sheet.freeze_panes == "A2"


@settings(max_examples=60, deadline=None)
@given(
    fmt=st.sampled_from(FORMATS),
    texts=st.lists(CELL_TEXT, min_size=1, max_size=6),
    numbers=st.lists(st.integers(-(10**14), 10**14), min_size=1, max_size=3),
)
def test_formula_like_text_comes_back_prefixed_and_the_rest_unchanged(
    fmt: str, texts: list[str], numbers: list[int]
) -> None:
    row: list[Cell] = [*texts, *numbers]
    columns = [f"c{i}" for i in range(len(row))]
    _, cells = read_back(fmt, written(fmt, columns, [row]))
    got = list(cells[0]) + [""] * (len(row) - len(cells[0]))  # XLSX drops trailing empties
    for text, back in zip(texts, got, strict=False):
        expected = "'" + text if FORMULA_START.match(text) else text
        assert back == (CONTROL.sub("", expected) if fmt == "xlsx" else expected)
    assert got[len(texts) :] == [str(n) for n in numbers]  # numbers are never prefixed
    assert not any(tabular.looks_like_formula(back) for back in got if back.startswith("'"))


@pytest.mark.parametrize(
    "text", ["=1+1", "+SUM(A1)", "-2*3", "@cmd", "\tx", "\r=1", '=HYPERLINK("h")']
)
def test_neutralise_prefixes_every_formula_start(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert not tabular.looks_like_formula(neutralise(text))


@pytest.mark.parametrize("text", ["", "王", " =1", "'90s", "'", "12", "a=b", "\n=1"])
def test_neutralise_leaves_other_text_alone(text: str) -> None:
    assert neutralise(text) == text


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab 王"), max_size=8) | st.text(max_size=8))
def test_restore_undoes_neutralise_exactly(text: str) -> None:
    assert restore(neutralise(text)) == text


def test_text_already_quoted_before_a_formula_gets_one_more_quote() -> None:
    assert neutralise("'=1+1") == "''=1+1"
    assert restore("''=1+1") == "'=1+1"


def test_a_cr_at_the_start_is_neutralised_in_csv() -> None:
    _, cells = read_back("csv", written("csv", ["a"], [["\r=1+1"]]))
    assert cells == [("'\r=1+1",)]


def test_xlsx_drops_control_characters_but_tab_and_line_feed() -> None:
    _, cells = read_back(
        "xlsx", written("xlsx", ["a", "b"], [["\r=1+1", "甲\x01乙\r\n丙\t丁\x7f"]])
    )
    assert cells == [("'=1+1", "甲乙\n丙\t丁\x7f")]


def test_the_header_is_neutralised_too() -> None:
    header, _ = read_back("csv", written("csv", ["=cmd|' /C calc'!A0", "ok"], []))
    assert header == ("'=cmd|' /C calc'!A0", "ok")


@pytest.mark.parametrize("fmt", FORMATS)
def test_what_excel_cannot_hold_exactly_is_text(fmt: str) -> None:
    big = 2**60
    _, cells = read_back(fmt, written(fmt, ["big", "nan"], [[big, float("inf")]]))
    assert cells == [(str(big), "inf")]


def test_a_row_of_the_wrong_width_is_a_bug_of_the_caller() -> None:
    with pytest.raises(ValueError, match="data row 2 has 1 cells for 2 columns"):
        write_table(io.BytesIO(), "csv", ["a", "b"], [["1", "2"], ["3"]])


def test_an_unknown_cell_type_or_format_is_refused() -> None:
    with pytest.raises(TypeError, match="cannot write a bytes cell"):
        write_table(io.BytesIO(), "xlsx", ["a"], [[b"x"]])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="unknown table format"):
        write_table(io.BytesIO(), "ods", ["a"], [])  # type: ignore[arg-type]


def test_xlsx_text_longer_than_a_cell_names_row_and_column() -> None:
    with pytest.raises(ValidationError, match="row 3, column 备注: text of 40,000 characters"):
        write_table(io.BytesIO(), "xlsx", ["单号", "备注"], [["1", ""], ["2", "x" * 40_000]])


def test_the_callers_stream_stays_open() -> None:
    out = io.BytesIO()
    write_table(out, "csv", ["a"], [["1"]])
    out.write(b"more")  # would raise on a closed stream
    assert out.getvalue().endswith(b"more")


def rows_of(count: int) -> Iterator[list[Cell]]:
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        yield [f"231206-{i:07d}", "浙江省杭州市西湖区文三路" + str(i), i * 100, stamp]


@pytest.mark.parametrize("fmt", FORMATS)
def test_memory_stays_flat_as_rows_grow(fmt: str, tmp_path) -> None:
    """Python heap peak while writing 2,000 rows and 20,000 rows: about the same."""

    def peak(count: int) -> int:
        with open(tmp_path / f"{count}.{fmt}", "wb") as out:
            tracemalloc.start()
            try:
                assert (
                    write_table(out, fmt, ["单号", "地址", "fen", "时间"], rows_of(count)) == count
                )
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)
    assert large < small * 1.5 + 256 * 1024, (small, large)


def test_more_rows_than_a_sheet_holds_is_refused_naming_csv(monkeypatch) -> None:
    from core.tabular import writing

    monkeypatch.setattr(writing, "MAX_XLSX_DATA_ROWS", 2)
    with pytest.raises(ValidationError, match="more than 2 rows: an XLSX sheet cannot hold them"):
        write_table(io.BytesIO(), "xlsx", ["a"], [["1"], ["2"], ["3"]])
    assert write_table(io.BytesIO(), "csv", ["a"], [["1"], ["2"], ["3"]]) == 3


# -- the XLSX package itself (core.tabular.xlsx_writer) -----------------------------------

XML_TEXT = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cs",),
        exclude_characters="".join(map(chr, [*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])),
    ),
    max_size=30,
).map(lambda t: t.replace("\r", ""))  # XLSX drops CR (XML would read it as LF)
XLSX_CELL = st.one_of(
    st.none(),
    XML_TEXT,
    st.integers(-(10**15) + 1, 10**15 - 1),
    st.datetimes(datetime(1900, 3, 1), datetime(9999, 12, 30)),
    st.datetimes(
        datetime(1900, 3, 2),
        datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, SHANGHAI, timezone(timedelta(hours=-5))]),
    ),
)


def as_read(cell: Cell) -> str:
    """What core.tabular reads back for a cell the XLSX writer was given."""
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        if cell.tzinfo is not None:
            cell = cell.astimezone(SHANGHAI)
        return cell.strftime("%Y-%m-%d %H:%M:%S")
    return str(cell)


@settings(max_examples=150, deadline=None)
@given(
    width=st.integers(1, 6),
    data=st.data(),
)
def test_any_table_of_text_ints_and_times_reads_back_identical_from_xlsx(
    width: int, data: st.DataObject
) -> None:
    rows = data.draw(st.lists(st.lists(XLSX_CELL, min_size=width, max_size=width), max_size=8))
    columns = [f"列{i}" for i in range(width)]
    header, cells = read_back("xlsx", written("xlsx", columns, rows))
    assert header == tuple(columns)
    back = [[restore(c) for c in row] + [""] * (width - len(row)) for row in cells]
    assert back == [[as_read(c) for c in row] for row in rows]


def test_xlsx_is_a_valid_package_openpyxl_loads(tmp_path) -> None:
    import zipfile

    import openpyxl

    path = tmp_path / "orders.xlsx"
    with open(path, "wb") as out:
        write_table(
            out,
            "xlsx",
            ["订单号", "=金额", "时间"],
            [["A&B <1>", 12.5, datetime(2026, 12, 6, 16, 30, tzinfo=UTC)], [" 王 ", None, None]],
            sheet="orders: 12/6 [all]",
        )
    with zipfile.ZipFile(path) as package:
        assert package.testzip() is None
        assert {"[Content_Types].xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"} <= set(
            package.namelist()
        )
    book = openpyxl.load_workbook(path)
    sheet = book.active
    assert sheet.title == "orders_ 12_6 _all_"  # what Excel forbids in a sheet name replaced
    assert [c.value for c in sheet[1]] == ["订单号", "'=金额", "时间"]
    assert all(c.font.b for c in sheet[1])
    assert [c.value for c in sheet[2]] == ["A&B <1>", 12.5, datetime(2026, 12, 7, 0, 30)]
    assert sheet["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    assert sheet["A3"].value == " 王 "  # spaces kept (xml:space="preserve")
    assert sheet.freeze_panes == "A2"


def test_xlsx_writes_a_date_excel_cannot_show_as_text() -> None:
    _, cells = read_back(
        "xlsx", written("xlsx", ["d", "t"], [[date(1900, 2, 28), datetime(1899, 1, 1)]])
    )
    assert cells == [("1900-02-28", "1899-01-01 00:00:00")]


def test_xlsx_subclasses_of_plain_types_are_written_as_their_base() -> None:
    import enum

    class Kind(enum.StrEnum):
        SALE = "=sale"

    class Level(enum.IntEnum):
        HIGH = 3

    _, cells = read_back("xlsx", written("xlsx", ["k", "l", "b"], [[Kind.SALE, Level.HIGH, True]]))
    assert cells == [("'=sale", "3", "1")]


class _Pipe(io.RawIOBase):
    """A write-only stream that cannot seek or tell, like a pipe."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:  # type: ignore[no-untyped-def, override]
        self.data += b
        return len(b)


def test_xlsx_streams_to_an_output_that_cannot_seek() -> None:
    pipe = _Pipe()
    columns = ["单号", "地址", "fen", "时间"]
    assert write_table(pipe, "xlsx", columns, rows_of(300)) == 300  # type: ignore[arg-type]
    header, cells = read_back("xlsx", bytes(pipe.data))
    assert header == tuple(columns) and len(cells) == 300
    assert cells[-1] == (
        "231206-0000299",
        "浙江省杭州市西湖区文三路299",
        "29900",
        "2026-01-01 08:00:00",
    )


def test_an_xlsx_sheet_past_the_zip_limit_is_refused_naming_csv(monkeypatch) -> None:
    from core.tabular import xlsx_writer

    monkeypatch.setattr(xlsx_writer, "MAX_PART_BYTES", 10_000)
    with pytest.raises(ValidationError, match="too large for an XLSX file; export as CSV"):
        write_table(io.BytesIO(), "xlsx", ["单号", "地址", "fen", "时间"], rows_of(100))
    assert write_table(io.BytesIO(), "xlsx", ["单号", "地址", "fen", "时间"], rows_of(10)) == 10
