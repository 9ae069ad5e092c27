"""Stock lines from a merchant's CSV or XLSX (入库单, 盘点表): SKU code and quantity.

Read through `core.tabular` (encodings, formulas never evaluated, row numbers as the
spreadsheet shows them). The header names the columns, in Chinese or English: code
(编码 / 商家编码 / SKU), quantity (数量 / 实盘数量 / 盘点数量 / qty / counted). Every row is
checked before anything is posted: a missing column, an empty code, a quantity that is
not a whole number or a formula is a `ValidationError` naming the file, the row and the
column. Blank rows are skipped; the same code on several rows adds up (a receipt) —
for a count, twice the same code is an error, since which shelf count is right is
anybody's guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from core.errors import ValidationError
from core.stock.operations import Line
from core.tabular import read_table
from core.tabular.cells import parse_count
from core.tabular.model import Table, TableRow

CODE_HEADERS = ("编码", "商家编码", "sku编码", "sku", "code", "skucode")
QUANTITY_HEADERS = ("数量", "实盘数量", "盘点数量", "实盘", "qty", "quantity", "counted")
MAX_ROWS = 50_000


def read_lines(stream: BinaryIO, filename: str, *, summing: bool, minimum: int) -> list[Line]:
    """The file's (code, quantity) lines, each at least `minimum`; `summing`: the same
    code twice adds up (a receipt), else it is an error (a count)."""
    table = read_table(stream, filename)
    keys = [key.lower() for key in table.keys]
    code_at = _column(keys, CODE_HEADERS, filename, "code (编码)", table.header_number)
    qty_at = _column(keys, QUANTITY_HEADERS, filename, "quantity (数量)", table.header_number)
    with rows_of(table) as rows:
        totals = _totals(rows, filename, code_at, qty_at, summing=summing, minimum=minimum)
    if not totals:
        raise ValidationError(f"{filename}: no lines below the header", field="file")
    return [Line(code, quantity) for code, quantity in totals.items()]


def _totals(
    rows: Iterator[TableRow],
    filename: str,
    code_at: int,
    qty_at: int,
    *,
    summing: bool,
    minimum: int,
) -> dict[str, int]:
    totals: dict[str, int] = {}
    first_row: dict[str, int] = {}
    for row in rows:
        if row.blank:
            continue
        if len(first_row) >= MAX_ROWS:
            raise ValidationError(f"{filename}: more than {MAX_ROWS:,} rows", field="file")
        for at, what in ((code_at, "code"), (qty_at, "quantity")):
            if at in row.formulas:
                raise ValidationError(
                    f"{filename} row {row.number}: the {what} is a formula; paste it as a value",
                    field=what,
                    row=row.number,
                )
        code = row.cell(code_at).strip()
        if not code:
            raise ValidationError(
                f"{filename} row {row.number}: the code is empty", field="code", row=row.number
            )
        try:
            quantity = parse_count(row.cell(qty_at))
            if quantity < minimum:
                raise ValueError(f"the quantity must be {minimum} or more, not {quantity}")
        except ValueError as exc:
            raise ValidationError(
                f"{filename} row {row.number} ({code}): {exc}", field="quantity", row=row.number
            ) from exc
        if code in totals and not summing:
            raise ValidationError(
                f"{filename} row {row.number}: {code} was counted on row {first_row[code]} "
                "already; keep one count per SKU",
                field="code",
                row=row.number,
            )
        first_row.setdefault(code, row.number)
        totals[code] = totals.get(code, 0) + quantity
    return totals


@contextmanager
def rows_of(table: Table) -> Iterator[Iterator[TableRow]]:
    """The table's rows; the reader is closed on the way out, so one stopped at a bad row
    lets its file go while the file is still open."""
    try:
        yield table.rows
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()


def column_of(keys: list[str], names: tuple[str, ...]) -> int | None:
    """The index of the first of `names` among the header `keys` (lower-cased), or None."""
    return next((keys.index(name) for name in names if name in keys), None)


def _column(
    keys: list[str], names: tuple[str, ...], filename: str, what: str, header_row: int
) -> int:
    at = column_of(keys, names)
    if at is not None:
        return at
    raise ValidationError(
        f"{filename}: no {what} column in the header (row {header_row}); "
        f"name it one of {', '.join(names)}",
        field="file",
        row=header_row,
    )
