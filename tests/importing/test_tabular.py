"""core.tabular: encodings, row numbers, formulas, XLSX — through read_table and friends."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import tabular
from core.errors import ValidationError
from tests.importing.builders import xlsx_from_csv_text

SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT = '订单号,收货人,金额（元）\r\n231125-1,王小明,12.90\r\n231125-2,"李,雷",\t3.00\r\n'


def read(data: bytes, filename: str = "orders.csv") -> tuple[tabular.Table, list]:
    table = tabular.read_table(io.BytesIO(data), filename)
    return table, list(table.rows)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_text_encodings_are_detected(encoding: str, expected: str) -> None:
    table, rows = read(TEXT.encode(encoding))
    assert table.encoding == expected
    assert table.header == ("订单号", "收货人", "金额（元）")
    assert [r.cells for r in rows] == [
        ("231125-1", "王小明", "12.90"),
        ("231125-2", "李,雷", "\t3.00"),
    ]
    assert [r.number for r in rows] == [2, 3]


def test_header_keys_match_full_and_half_width_parentheses() -> None:
    assert tabular.header_key(" 金额（元）\t") == tabular.header_key("金额(元)") == "金额(元)"
    assert tabular.header_key("\ufeff商家编码 - SKU维度") == "商家编码-SKU维度"


def test_latin1_and_binary_are_refused_with_a_clear_error() -> None:
    latin1 = "Bestellnummer,Empfänger,Straße\r\nA1,Jürgen Müller,Hauptstraße 5\r\n".encode(
        "latin-1"
    )
    with pytest.raises(ValidationError, match="neither UTF-8 nor GBK"):
        read(latin1)
    with pytest.raises(ValidationError, match="NUL bytes"):
        read(b"\x00\x01\x02binary\x00")


def test_a_gbk_file_damaged_after_the_head_names_the_row() -> None:
    good = ("订单号,收货人\r\n" + "".join(f"{i},王小明\r\n" for i in range(8000))).encode("gbk")
    assert len(good) > tabular.HEAD_BYTES
    table = tabular.read_table(io.BytesIO(good + b"9,\x81\r\n"), "x.csv")  # lone lead byte
    with pytest.raises(ValidationError, match=r"after row \d+ the bytes are not valid GBK"):
        list(table.rows)


def test_empty_and_header_less_files() -> None:
    with pytest.raises(ValidationError, match="empty"):
        read(b"")
    with pytest.raises(ValidationError, match="empty"):
        read(b"\r\n \r\n")
    table, rows = read("订单号,收货人\r\n".encode())
    assert table.header == ("订单号", "收货人") and rows == []


def test_row_numbers_count_blank_rows_and_multiline_cells_like_a_spreadsheet() -> None:
    text = '\r\n订单号,留言\r\nA,"第一行\n第二行"\r\n\r\nB,x\r\n'
    table, rows = read(text.encode())
    assert table.header_number == 2
    assert [(r.number, r.blank) for r in rows] == [(3, False), (4, True), (5, False)]


def test_huge_cells_and_nul_bytes_inside_rows_are_row_errors() -> None:
    huge = "订单号,留言\r\nA," + "x" * (tabular.MAX_CELL_CHARS + 1) + "\r\n"
    table = tabular.read_table(io.BytesIO(huge.encode()), "x.csv")
    with pytest.raises(ValidationError, match="row 2: a cell is longer than"):
        list(table.rows)


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        '=HYPERLINK("http://evil","点我")',
        " =A1",
        "+SUM(A1:A3)",
        "-2*3",
        "+1+1",
        "@SUM(1,2)",
        "-A1",
        "=cmd|' /C calc'!A0",
        "\t=1+1",
    ],
)
def test_formula_like_text_is_recognised(text: str) -> None:
    assert tabular.looks_like_formula(text)


@pytest.mark.parametrize(
    "text",
    ["-5.00", "+86 138 1234 5678", "@店主 发顺丰", "-不要辣", "12.90", "=", "", "a=b", "-", "+"],
)
def test_ordinary_text_is_not_a_formula(text: str) -> None:
    assert not tabular.looks_like_formula(text)


def test_csv_rows_mark_formula_cells() -> None:
    _, rows = read("订单号,备注,金额\r\nA,=1+1,-5.00\r\nB,@店主,+SUM(A1)\r\n".encode())
    assert [set(r.formulas) for r in rows] == [{1}, {2}]


def test_xlsx_formulas_are_marked_never_evaluated() -> None:
    formulas = {(2, 2): "=1+1", (3, 3): '=HYPERLINK("http://x","y")'}
    data = xlsx_from_csv_text("订单号,金额,备注\nA,1.00,x\nB,2.00,y\n", formulas=formulas)
    table, rows = read(data, "orders.xlsx")
    assert table.kind == "xlsx" and table.encoding_label == "XLSX"
    assert rows[0].cells == ("A", "=1+1", "x") and rows[0].formulas == {1}
    assert rows[1].formulas == {2}


def test_xlsx_cell_values_become_export_text() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["订单号", "金额", "数量", "时间", "空"])
    sheet.append(["A", 12.9, 2, datetime(2023, 11, 25, 9, 15, 2), None])
    sheet["A4"] = "after a gap"
    out = io.BytesIO()
    book.save(out)
    _, rows = read(out.getvalue(), "o.xlsx")
    assert rows[0].cells[:4] == ("A", "12.9", "2", "2023-11-25 09:15:02")
    assert [r.number for r in rows] == [2, 3, 4] and rows[1].blank


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "o.xls", "legacy Excel"),
        (b"PK\x03\x04 not really a zip", "o.xlsx", "not a readable XLSX"),
        ("订单号\r\n1\r\n".encode(), "o.xlsx", "not one"),
    ],
)
def test_broken_workbooks_are_clear_errors(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        read(data, name)


def test_a_non_seekable_stream_is_read_whole() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            chunk = self.inner.read(min(len(buffer), 1000))  # short reads, like a pipe
            buffer[: len(chunk)] = chunk
            return len(chunk)

    body = "".join(f"{i},王小明\r\n" for i in range(20000))
    table = tabular.read_table(Pipe(("订单号,收货人\r\n" + body).encode("gbk")), "x.csv")
    assert table.encoding == "gb18030"
    assert sum(1 for _ in table.rows) == 20000


def test_times_are_beijing_time_in_export_and_spreadsheet_forms() -> None:
    expected = datetime(2023, 11, 25, 1, 15, 2, tzinfo=UTC)
    assert tabular.parse_time("2023-11-25 09:15:02", SHANGHAI) == expected
    assert tabular.parse_time(" 2023/11/25 9:15:02\t", SHANGHAI) == expected
    assert tabular.parse_time("2023-11-25T01:15:02Z", SHANGHAI) == expected
    assert tabular.parse_time("2023-11-25 09:15", SHANGHAI) == expected.replace(second=0)
    assert tabular.parse_time("25.11.2023 09:15:02", SHANGHAI, "%d.%m.%Y %H:%M:%S") == expected
    assert tabular.parse_time("1700874902", SHANGHAI, "unix") == expected
    for bad in ("", "2023-13-40 99:00:00", "yesterday", "2023-11-25 25:61:00"):
        with pytest.raises(ValueError):
            tabular.parse_time(bad, SHANGHAI)


@pytest.mark.parametrize("text", ["0001-01-01 00:00:00", "0001-01-01", "0001/1/1 3:00"])
def test_a_time_utc_cannot_hold_is_a_clear_error(text: str) -> None:
    """Spreadsheets save a blank date as year 1; Beijing time then falls before UTC's year 1."""
    with pytest.raises(ValueError, match="out of range"):
        tabular.parse_time(text, SHANGHAI)
    values, errors = tabular.TimeReader(SHANGHAI).read([text])
    assert values == [None] and "out of range" in errors[0][1]


def test_counts() -> None:
    assert tabular.parse_count("\t2 ") == 2
    assert tabular.parse_count("3.0") == 3
    for bad in ("", "1.5", "-1", "２", "abc", "1e3"):
        with pytest.raises(ValueError):
            tabular.parse_count(bad)


def test_sniff_header_reads_the_first_line_only_for_text() -> None:
    assert tabular.sniff_header("o.csv", TEXT.encode("gbk")) == ("订单号", "收货人", "金额(元)")
    assert tabular.sniff_header("o.xlsx", b"PK\x03\x04....") is None
    assert tabular.sniff_header("o.csv", b"\x00\x01") is None


ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2040, 1, 1)),
    zone=st.sampled_from(ZONES),
)
def test_cached_hour_offsets_convert_exactly_even_across_dst(when: datetime, zone: str) -> None:
    text = when.strftime("%Y-%m-%d %H:%M:%S")
    # Text has no fold: an hour that repeats when DST ends reads as its first occurrence.
    exact = when.replace(microsecond=0, fold=0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    assert tabular.parse_time(text, ZoneInfo(zone)) == exact


def test_a_nul_byte_past_the_sniffed_head_is_a_row_error() -> None:
    """Python's csv module passes NUL through; PostgreSQL text would refuse it later."""
    body = "订单号,商品\n" + "".join(f"{n},杯子\n" for n in range(20_000)) + "20000,a\x00b\n"
    table = tabular.read_table(io.BytesIO(body.encode("utf-8")), "big.csv")
    with pytest.raises(ValidationError, match="row 20002: a NUL byte"):
        list(table.rows)


#: Characters that exercise csv's rules: delimiters, quotes (escaped, around fields, in the
#: middle of text), line breaks inside quotes, formula starts, wide characters.
CSV_BITS = st.sampled_from(
    [
        ",",
        '"',
        '""',
        "\t",
        " ",
        "a",
        "中",
        "=",
        "+",
        "-",
        "@",
        "\r",
        "\n",
        '"a,b"',
        ',"-A1",',
        "-A1",
        " -2*3",
        "=x",
        "@f(",
        "1-2",
    ]
)
CSV_LINES = st.lists(
    st.lists(CSV_BITS, max_size=10).map(lambda bits: "".join(bits) + "\r\n"),
    min_size=1,
    max_size=6,
)


def csv_reading(text: str, delimiter: str) -> tuple[list[list[str]], list[int], bool]:
    """What csv.reader reads: its records, the lines each runs over, and whether the
    text ended inside a quoted cell (csv, not strict, then returns the cell as it is)."""
    taken: list[int] = []  # lines handed to csv when each record was complete
    ended_after: list[int] = []  # records complete when the text ran out

    def source() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            taken.append(1)
            yield line
        ended_after.append(len(records))

    records: list[list[str]] = []
    ends = [0]
    for record in csv.reader(source(), delimiter=delimiter):
        records.append(record)
        ends.append(len(taken))
    spans = [b - a for a, b in itertools.pairwise(ends)]
    return records, spans, ended_after[0] < len(records)


@settings(max_examples=400, deadline=None)
@given(lines=CSV_LINES, delimiter=st.sampled_from([",", "\t"]))
def test_rows_are_the_records_csv_reads_whatever_the_quoting(
    lines: list[str], delimiter: str
) -> None:
    """Simple lines are split without the csv module (core.tabular.lines): the records,
    row numbers and formula marks must be exactly what csv.reader gives — unless a quote
    never closes (csv would read the rest of the file as one cell): then an error."""
    header = delimiter.join(["订单号", "备注", "金额"]) + "\r\n"
    text = header + "".join(lines)
    records, spans, open_at_end = csv_reading(text, delimiter)
    expected = records[1:]
    too_long = [i for i, span in enumerate(spans) if span > tabular.MAX_ROW_LINES]
    if too_long or open_at_end:  # a quote that does not close: an error at its row
        row = too_long[0] + 1 if too_long else len(records)
        with pytest.raises(ValidationError, match=f"unterminated quote opened at row {row},"):
            read(text.encode("utf-8"))
        return
    _, rows = read(text.encode("utf-8"))
    assert [list(r.cells) for r in rows] == expected
    assert [set(r.formulas) for r in rows] == [
        {i for i, c in enumerate(record) if tabular.looks_like_formula(c)} for record in expected
    ]
    numbers = [r.number for r in rows]
    assert numbers == list(range(2, 2 + len(rows)))


ODD_TIMES = [
    "",
    " ",
    "2023-02-30 10:00:00",
    "2023-11-25 25:61:00",
    "x" * 19,
    "2023-11-25 09:15+08",
    "2023/11/25 9:15",
    "2023-11-25T01:15:02Z",
    "2023-11-25 09:15:02",
    " 2023-11-25 09:15:02\t",
    "0001-01-01 12:00:00",
    "0001-01-01 00:00:00",
    "0001-01-01",
    "9999-12-31T23:00:00-08:00",
]
EXPORT_TIMES = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 1, 1)).map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
)


@settings(max_examples=300, deadline=None)
@given(
    texts=st.lists(st.one_of(EXPORT_TIMES, st.sampled_from(ODD_TIMES)), max_size=6),
    zone=st.sampled_from(ZONES),
)
def test_the_time_reader_answers_what_parse_time_answers(texts: list[str], zone: str) -> None:
    values, errors = tabular.TimeReader(ZoneInfo(zone)).read(texts)
    expected_errors = []
    for i, text in enumerate(texts):
        if not text.strip():
            assert values[i] is None
            continue
        try:
            expected = tabular.parse_time(text, ZoneInfo(zone))
        except ValueError as exc:
            assert values[i] is None
            expected_errors.append((i, str(exc)))
            continue
        assert values[i] == expected and values[i].tzinfo is UTC
    assert errors == expected_errors


def quote_error(text: str) -> ValidationError:
    table = tabular.read_table(io.BytesIO(text.encode()), "o.csv")
    with pytest.raises(ValidationError) as caught:
        list(table.rows)
    return caught.value


def test_an_unterminated_quote_is_an_error_where_it_opened_not_a_merged_row() -> None:
    """Python's csv (not strict) reads a quote that never closes to the end of the file
    as one cell: the rows after it would vanish into it."""
    text = '订单号,留言,状态\r\n1,ok,已发货\r\n2,"abc,已发货\r\n3,y,已发货\r\n4,z,已发货\r\n'
    error = quote_error(text)
    assert str(error) == (
        "o.csv: unterminated quote opened at row 3, column 留言 (line 3 of the file): "
        "it never closes, so the rows after it cannot be told apart"
    )
    assert (error.details["row"], error.details["field"]) == (3, "留言")


def test_the_quote_is_placed_by_row_and_line_after_legitimate_line_breaks() -> None:
    text = '订单号,留言,状态\r\n1,"地址\r\n第二行",x\r\n2,"a\nb","已发货\r\n3,y,z\r\n'
    error = quote_error(text)
    assert "opened at row 3, column 状态 (line 5 of the file)" in str(error)
    assert (error.details["row"], error.details["field"]) == (3, "状态")


def test_a_quoted_cell_may_span_lines_up_to_the_cap_and_no_further() -> None:
    cap = tabular.MAX_ROW_LINES
    fits = "\n".join(f"第{i}行" for i in range(cap))
    text = f'订单号,留言\r\n1,"{fits}"\r\n2,x\r\n'
    _, rows = read(text.encode())
    assert [r.cells for r in rows] == [("1", fits), ("2", "x")]
    body = "".join(f"{n},普通\r\n" for n in range(3, 20_000))
    error = quote_error('订单号,留言\r\n1,x\r\n2,"开了没关\r\n' + body)
    assert f"opened at row 3, column 留言 (line 3 of the file): it does not close within {cap}" in (
        str(error)
    )


def test_an_unterminated_quote_in_the_header_is_a_file_error() -> None:
    with pytest.raises(ValidationError, match=r"opened at row 1, column 2 \(line 1"):
        read('订单号,"留言\r\n1,x\r\n'.encode())


def test_stray_quotes_inside_unquoted_cells_stay_in_their_cell() -> None:
    """Spreadsheets' reading, and csv's: a quote that does not start a cell is text;
    text after a closing quote joins the cell. No value moves to another column."""
    _, rows = read('订单号,留言,状态\r\n1,5"屏,a\r\n2,"x"y,b\r\n3,a"b"c,"已发货"\r\n'.encode())
    assert [r.cells for r in rows] == [
        ("1", '5"屏', "a"),
        ("2", "xy", "b"),
        ("3", 'a"b"c', "已发货"),
    ]


def test_mixed_line_endings_each_end_a_row_outside_quotes() -> None:
    _, rows = read('订单号,留言\r\n1,a\n2,b\r3,"c\rd"\r\n4,e'.encode())
    assert [(r.number, r.cells) for r in rows] == [
        (2, ("1", "a")),
        (3, ("2", "b")),
        (4, ("3", "c\rd")),
        (5, ("4", "e")),
    ]


#: Cell text for the round trip: what makes csv quote (delimiter, quote, line breaks) and
#: what it must leave alone (spaces, tabs, wide characters, formula starts).
CELL_TEXT = st.text(
    st.one_of(
        st.sampled_from([",", '"', "\r", "\n", "\t", " ", "=", "-", "'"]),
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufeff"),
    ),
    max_size=12,
)


def line_breaks(cell: str) -> int:
    return cell.count("\n") + cell.count("\r") - cell.count("\r\n")


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(st.lists(CELL_TEXT, min_size=3, max_size=3), max_size=8).filter(
        lambda rows: all(sum(map(line_breaks, r)) < tabular.MAX_ROW_LINES for r in rows)
    ),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
)
def test_what_csv_writer_writes_reads_back_cell_for_cell(
    rows: list[list[str]], encoding: str
) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["订单号", "留言", "金额"])
    writer.writerows(rows)
    table, read_rows = read(out.getvalue().encode(encoding))
    assert table.header == ("订单号", "留言", "金额")
    assert [list(r.cells) for r in read_rows] == rows
    assert [r.number for r in read_rows] == list(range(2, 2 + len(rows)))
