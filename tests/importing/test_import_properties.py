"""Hypothesis: whatever the file — random bytes, a wrong encoding, missing columns,
formulas, huge cells, nothing at all — the import parser gives a clear error or a report,
never a crash, and the database is never half-written."""

from __future__ import annotations

import io

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from core.contracts import ImportRow
from core.errors import ValidationError
from core.importing import service
from core.importing.report import MAX_MESSAGE
from plugins.importers.generic.format import MappedFormat
from plugins.platforms.pinduoduo.export_format import PinduoduoExportFormat
from tests.importing.builders import HEADER, csv_text, row, xlsx_from_csv_text
from tests.importing.conftest import order_count

MAPPING = {
    "columns": {
        "order_number": "订单号",
        "quantity": "商品数量(件)",
        "unit_price": "商品总价(元)",
        "status": "订单状态",
        "paid_at": "支付时间",
        "receiver_name": "收货人",
    },
}
NASTY = [
    "=1+1",
    '=HYPERLINK("http://evil.example","点我")',
    "+SUM(A1:A9)",
    "@cmd(1)",
    "-2*3",
    "\t12.90",
    " 12.90\t",
    "",
    "0",
    "-5.00",
    "1e400",
    "NaN",
    "９９",
    "12.345",
    "¥12.90",
    "2023-02-30 10:00:00",
    "2023/11/25 9:15",
    "已发货，待签收",
    "未发货，退款成功",
    "退款成功",
    "售后处理中",
    "待成团",
    "张**",
    "138****5678",
    "~AgAAAACjmWAF~niqTG~1~~",
    "x" * 70_000,
    "\x00",
    "\r\n",
    '"',
    "是",
]
#: Text every encoding under test can carry: ASCII and common (GB2312) hanzi.
SAFE_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ0123456789 .-:/,\"'\n王李张杯子发货退款成功已签收浙江省")),
    max_size=12,
)
CELL = st.one_of(st.sampled_from(NASTY), st.text(max_size=16), SAFE_TEXT)
FORMATS = {"pdd-export": PinduoduoExportFormat(), "mapped": MappedFormat({"mapping": MAPPING})}


@st.composite
def tables(draw, cells=CELL) -> tuple[list[str], list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    """A header (maybe missing columns) and a few rows, each a valid row with some cells
    replaced."""
    header = list(HEADER)
    for name in draw(st.lists(st.sampled_from(HEADER), max_size=2, unique=True)):
        header.remove(name)
    rows = []
    for i in range(draw(st.integers(0, 4))):
        values = row(f"231125-{i}")
        for name in draw(st.lists(st.sampled_from(HEADER), max_size=3)):
            values[name] = draw(cells)
        rows.append(values)
    return header, rows


def outcome(fmt: str, data: bytes, name: str) -> list[ImportRow] | ValidationError:
    try:
        return list(FORMATS[fmt].parse(io.BytesIO(data), name))
    except ValidationError as exc:
        assert str(exc).strip()
        return exc


def comparable(result: list[ImportRow] | ValidationError) -> object:
    if isinstance(result, ValidationError):
        return "error"
    return [(r.row, r.order, [(i.row, i.column, i.severity) for i in r.issues]) for r in result]


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=2048),
    name=st.sampled_from(["o.csv", "o.xlsx", "o", "o.xls"]),
    fmt=st.sampled_from(sorted(FORMATS)),
)
def test_random_bytes_give_an_error_or_rows(data: bytes, name: str, fmt: str) -> None:
    outcome(fmt, data, name)


@settings(max_examples=100, deadline=None)
@given(table=tables(), fmt=st.sampled_from(sorted(FORMATS)))
def test_random_cells_in_csv_and_xlsx_never_crash(table, fmt: str) -> None:  # type: ignore[no-untyped-def]
    header, rows = table
    text = csv_text(rows, header)
    outcome(fmt, text.encode("utf-8-sig"), "o.csv")
    try:
        workbook = xlsx_from_csv_text(text.replace("\x00", ""))
    except Exception:  # openpyxl refuses control characters when writing: not our reader
        return
    outcome(fmt, workbook, "o.xlsx")


@settings(max_examples=100, deadline=None)
@given(table=tables(cells=SAFE_TEXT), encoding=st.sampled_from(["utf-8", "gbk", "gb18030"]))
def test_the_encoding_never_changes_what_is_read(table, encoding: str) -> None:  # type: ignore[no-untyped-def]
    header, rows = table
    text = csv_text(rows, header)
    reference = comparable(outcome("pdd-export", text.encode("utf-8-sig"), "o.csv"))
    assert comparable(outcome("pdd-export", text.encode(encoding), "o.csv")) == reference


LATIN_WORD = st.builds(
    lambda a, accent, b: a + accent + b,
    st.text(alphabet="abcdefghklmnrst", min_size=1, max_size=5),
    st.sampled_from(list("äöüéèàçñßøåÄÖÜÉ")),
    st.text(alphabet="abcdefghklmnrst", min_size=1, max_size=5),
)


@settings(max_examples=100, deadline=None)
@given(words=st.lists(LATIN_WORD, min_size=1, max_size=20))
def test_latin1_text_is_a_clear_encoding_error(words: list[str]) -> None:
    text = "订单号,收货人\r\n".encode("latin-1", "ignore") + " ".join(words).encode("latin-1")
    result = outcome("pdd-export", b"Bestellung,Empf\xe4nger\r\n" + text, "o.csv")
    assert isinstance(result, ValidationError) and "neither UTF-8 nor GBK" in str(result)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=tables(), partial=st.booleans(), as_xlsx=st.booleans())
def test_the_database_is_never_half_written(app, acme, shop, table, partial, as_xlsx) -> None:  # type: ignore[no-untyped-def]
    header, rows = table
    text = csv_text(rows, header)
    if as_xlsx:
        try:
            data, name = xlsx_from_csv_text(text.replace("\x00", "")), "o.xlsx"
        except Exception:
            assume(False)
    else:
        data, name = text.encode("utf-8-sig"), "o.csv"
    before = order_count(app, shop)
    try:
        report = service.import_orders(
            app, acme.admin, shop, io.BytesIO(data), name, format="pdd-export", partial=partial
        )
    except ValidationError as exc:  # the file as a whole was unreadable: nothing written
        assert str(exc).strip() and order_count(app, shop) == before
        return
    assert all(len(i.message) <= MAX_MESSAGE for i in report.issues)
    written = order_count(app, shop) - before
    if report.invalid and not partial:
        assert report.outcome == "rejected" and written == 0
    else:
        assert report.imported and written == report.new
        assert report.new + report.updated + report.unchanged == report.valid
