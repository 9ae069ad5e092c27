"""Stock lines from CSV and XLSX (`core.stock.sheets`): Chinese or English headers, GBK or
UTF-8, receipts adding up repeated codes, counts refusing them, and every bad row named
by its spreadsheet row and column — with nothing posted."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook

from core.errors import ValidationError
from core.stock.operations import Line
from core.stock.sheets import read_lines


def csv(text: str, encoding: str = "utf-8-sig") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def test_a_receipt_adds_up_codes_and_reads_gbk() -> None:
    text = "商家编码,名称,数量\nCUP,保温杯,10\nLID,杯盖,5\n,,\nCUP,保温杯,2.0\n"
    lines = read_lines(csv(text, "gbk"), "入库单.csv", summing=True, minimum=1)
    assert lines == [Line("CUP", 12), Line("LID", 5)]


def test_an_xlsx_count_takes_english_headers_and_zero() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["SKU", "Counted"])
    sheet.append(["CUP", 0])
    sheet.append(["LID", 7])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    assert read_lines(data, "count.xlsx", summing=False, minimum=0) == [
        Line("CUP", 0),
        Line("LID", 7),
    ]


@pytest.mark.parametrize(
    ("text", "summing", "message", "row"),
    [
        ("编码,数量\nCUP,1\n,2\n", True, "row 3: the code is empty", 3),
        ("编码,数量\nCUP,1.5\n", True, "row 2 (CUP): '1.5' is not a whole number", 2),
        ("编码,数量\nCUP,0\n", True, "row 2 (CUP): the quantity must be 1 or more", 2),
        ("编码,数量\nCUP,=1+1\n", True, "row 2: the quantity is a formula", 2),
        ("编码,数量\nCUP,1\nCUP,2\n", False, "CUP was counted on row 2 already", 3),
        ("名称,数量\n杯,1\n", True, "no code (编码) column in the header (row 1)", 1),
        ("编码,数量\n", True, "no lines below the header", None),
    ],
)
def test_bad_rows_are_named(text: str, summing: bool, message: str, row: int | None) -> None:
    with pytest.raises(ValidationError) as bad:
        read_lines(csv(text), "表.csv", summing=summing, minimum=1 if summing else 0)
    assert message in str(bad.value) and str(bad.value).startswith("表.csv")
    assert bad.value.details.get("row") == row


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.integers(1, 10**6)), min_size=1))
def test_receipt_totals_are_the_sums_of_the_rows(rows: list[tuple[str, int]]) -> None:
    text = "编码,数量\n" + "".join(f"{code},{qty}\n" for code, qty in rows)
    totals: dict[str, int] = {}
    for code, qty in rows:
        totals[code] = totals.get(code, 0) + qty
    lines = read_lines(csv(text), "t.csv", summing=True, minimum=1)
    assert {line.code: line.quantity for line in lines} == totals
