"""Writing tables — CSV and XLSX — streamed, safe to open in a spreadsheet.

Every export (orders, packages, waybills, print history, the catalogue, reports) writes
through `write_table`, so every file answers the same questions the same way:

- **Memory stays flat** whatever the row count: CSV is written row by row; XLSX by
  xlsxwriter in `constant_memory` mode (each row goes to a temporary file as soon as the
  next one starts, strings are written inline, no shared-string table).
- **Excel opens it right.** CSV is UTF-8 with a BOM (without it Excel reads Chinese as
  GBK mojibake), `\\r\\n` line ends, header first. XLSX gets a frozen header row.
- **Cells are data, never code.** A text cell starting with `=`, `+`, `-`, `@`, tab or CR
  would be run as a formula (or DDE command) by a spreadsheet, so `neutralise` prefixes it
  with `'` (OWASP's advice for CSV injection); the header too. We do it in XLSX as well
  although xlsxwriter writes it as a string: the file is often re-saved as CSV, and the
  reader (`core.tabular`) would then flag it. Numbers are written as numbers, so `-5`
  given as an int stays a number; `-5` given as text comes back as `'-5`. Text already
  starting with quotes before such a character gets one more, so `restore` undoes
  `neutralise` exactly: imports of our own exports (the catalogue) read what was exported.
- **Times**: aware datetimes are written in Asia/Shanghai (how the merchant reads them),
  naive ones as given; seconds precision. CSV spells them `yyyy-MM-dd HH:mm:ss`, the
  format `core.tabular.parse_time` reads fastest; XLSX writes real date cells with that
  number format, so sorting and filtering by date work in Excel.
- **What Excel cannot hold** is not silently changed: ints beyond 15 digits (Excel keeps
  15 significant digits) and NaN/infinity are written as text; a text cell over 32,767
  characters (Excel's limit) or an XLSX over 1,048,575 data rows is a `ValidationError`
  naming the row (use CSV, or a narrower filter). XLSX drops control characters but tab
  and line feed (XML cannot hold them; a CR before a LF changes nothing Excel shows).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, BinaryIO, Literal

from core.clock import SHANGHAI
from core.errors import ValidationError

Cell = str | int | float | datetime | date | None

__all__ = ["MAX_XLSX_DATA_ROWS", "Cell", "neutralise", "restore", "write_table"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Quotes before a formula character: a neutralised cell (or text that looks like one).
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
#: Rows an XLSX sheet holds below its header (Excel's 1,048,576 rows minus one).
MAX_XLSX_DATA_ROWS = 1_048_575
#: Characters Excel keeps in one cell.
MAX_XLSX_CELL_CHARS = 32_767
#: Ints Excel holds exactly (it keeps 15 significant digits).
_EXACT_INT = 10**15
#: Characters XML cannot carry (CR: parsers turn it into LF). xlsxwriter would write them
#: as `_x000D_` escapes; we drop them, as Excel shows them as nothing anyway.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\ufffe\uffff]")
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_DATE_FORMAT = "%Y-%m-%d"


def neutralise(text: str) -> str:
    """`text`, prefixed with `'` when a spreadsheet would run it as a formula — or when it
    already starts with quotes before a formula character (`'=x` → `''=x`), so that
    `restore` gives every text back exactly."""
    if text.startswith(_FORMULA_START) or (text.startswith("'") and _QUOTED.match(text)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The text `neutralise` was given (what an import of our own export should read)."""
    if text.startswith("'") and _QUOTED.match(text):
        return text[1:]
    return text


def write_table(
    out: BinaryIO,
    fmt: Literal["csv", "xlsx"],
    columns: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    sheet: str = "orderhub",
) -> int:
    """Write `columns` as the header, then `rows`, to `out`; return the data rows written.

    Each row must have one cell per column (a `ValueError` otherwise: a bug of the caller,
    not of the data). `sheet` names the XLSX worksheet (CSV ignores it).
    """
    if fmt == "csv":
        return _write_csv(out, columns, rows)
    if fmt == "xlsx":
        return _write_xlsx(out, columns, rows, sheet)
    raise ValueError(f"unknown table format {fmt!r} (csv or xlsx)")


def _local(value: datetime) -> datetime:
    """Aware → naive Asia/Shanghai wall time, to the second; naive as given."""
    if value.tzinfo is not None:
        value = value.astimezone(SHANGHAI).replace(tzinfo=None)
    return value.replace(microsecond=0)


def _check_width(number: int, row: Sequence[Cell], width: int) -> None:
    if len(row) != width:
        raise ValueError(f"data row {number} has {len(row)} cells for {width} columns")


# -- CSV ---------------------------------------------------------------------------------


def _csv_text(value: Cell) -> str:
    # Ordered by how often exports hold them: text, ints, empty, times, floats.
    if type(value) is str:
        return neutralise(value)
    if type(value) is int:
        return str(value)
    if value is None:
        return ""
    value = _plain(value)
    if type(value) is str:
        return neutralise(value)
    if isinstance(value, datetime):
        return _local(value).strftime(_TIME_FORMAT)
    if isinstance(value, date):
        return value.strftime(_DATE_FORMAT)
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if value.is_integer() and abs(value) < _EXACT_INT:
            return str(int(value))  # as core.tabular reads a whole XLSX number back
        return repr(value)
    raise TypeError(f"cannot write a {type(value).__name__} cell: {value!r}")


def _write_csv(out: BinaryIO, columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([neutralise(c) for c in columns])
        width = len(columns)
        count = 0
        for count, row in enumerate(rows, start=1):
            _check_width(count, row, width)
            writer.writerow([_csv_text(v) for v in row])
        text.flush()
        return count
    finally:
        text.detach()  # the caller's stream stays open


# -- XLSX --------------------------------------------------------------------------------


def _write_xlsx(
    out: BinaryIO, columns: Sequence[str], rows: Iterable[Sequence[Cell]], sheet: str
) -> int:
    import xlsxwriter  # late: only XLSX exports pay for it

    book = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            # write_string/number/datetime are called directly, but say it anyway: no
            # text is ever turned into a formula, a number or a link behind our back.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        count = _fill_sheet(book, columns, rows, sheet)
    except BaseException:
        with contextlib.suppress(Exception):  # removes its temporary files; the error wins
            book.close()
        raise
    book.close()
    return count


def _fill_sheet(
    book: Any, columns: Sequence[str], rows: Iterable[Sequence[Cell]], sheet: str
) -> int:
    ws = book.add_worksheet(sheet[:31] or "orderhub")
    time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    bold = book.add_format({"bold": True})
    for index, name in enumerate(columns):  # widths must come before any row is written
        ws.set_column(index, index, _width(name))
    ws.freeze_panes(1, 0)
    for index, name in enumerate(columns):
        ws.write_string(0, index, neutralise(name), bold)
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    width = len(columns)
    count = 0
    for count, row in enumerate(rows, start=1):
        if count > MAX_XLSX_DATA_ROWS:
            raise ValidationError(
                f"more than {MAX_XLSX_DATA_ROWS:,} rows: an XLSX sheet cannot hold them; "
                "export as CSV or narrow the filter",
                field="rows",
            )
        _check_width(count, row, width)
        for col, cell in enumerate(row):
            value = _plain(cell)
            if isinstance(value, str):
                if not value:
                    continue  # an empty cell is no cell: Excel and core.tabular read both as ""
                if len(value) > MAX_XLSX_CELL_CHARS:
                    raise _too_long(count + 1, columns[col], len(value))
                value = neutralise(value)
                if _CONTROL.search(value):
                    value = _CONTROL.sub("", value)
                write_string(count, col, value)
            elif value is None:
                continue
            elif isinstance(value, int | float):
                if (isinstance(value, float) and not math.isfinite(value)) or abs(
                    value
                ) >= _EXACT_INT:
                    write_string(count, col, _csv_text(value))
                else:
                    write_number(count, col, value)
            elif isinstance(value, datetime):
                write_datetime(count, col, _local(value), time_format)
            elif isinstance(value, date):
                write_datetime(count, col, value, date_format)
            else:
                raise TypeError(f"cannot write a {type(value).__name__} cell: {value!r}")
    return count


def _too_long(row: int, column: str, chars: int) -> ValidationError:
    return ValidationError(
        f"row {row}, column {column}: text of {chars:,} characters is longer than an XLSX "
        f"cell holds ({MAX_XLSX_CELL_CHARS:,}); export as CSV",
        field=column,
        row=row,
    )


def _plain(value: Cell) -> Cell:
    """Subclasses (bool, IntEnum, StrEnum) as their plain base type; others unchanged."""
    kind = type(value)
    if kind is str or kind is int or kind is float or value is None:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _width(name: str) -> float:
    """A column width fitting its header: CJK characters take two cells' width."""
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in name)
    return max(10, min(40, shown + 2))
