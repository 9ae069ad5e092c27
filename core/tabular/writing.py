"""Writing tables — CSV and XLSX — streamed, safe to open in a spreadsheet.

Every export (orders, packages, waybills, print history, the catalogue, reports) writes
through `write_table`, so every file answers the same questions the same way:

- **Memory stays flat** whatever the row count: CSV is written row by row; XLSX by our
  own writer (`core.tabular.xlsx_writer`: the sheet streamed into the zip a few hundred
  rows at a time, strings inline, no shared-string table, no temporary file).
- **Excel opens it right.** CSV is UTF-8 with a BOM (without it Excel reads Chinese as
  GBK mojibake), `\\r\\n` line ends, header first. XLSX gets a frozen header row.
- **Cells are data, never code.** A text cell starting with `=`, `+`, `-`, `@`, tab or CR
  would be run as a formula (or DDE command) by a spreadsheet, so `neutralise` prefixes it
  with `'` (OWASP's advice for CSV injection); the header too. We do it in XLSX as well
  although the cell is written as a string: the file is often re-saved as CSV, and the
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
  and line feed (XML cannot hold them; a CR before a LF changes nothing Excel shows), and
  writes a date before 1900-03-01 (which Excel's calendar cannot show) as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO, Literal

from core.tabular.cell_rules import (
    LOOK,
    MAX_XLSX_DATA_ROWS,
    PASS_THROUGH,
    Cell,
    as_text,
    check_width,
    neutralise,
    restore,
)
from core.tabular.xlsx_writer import write_xlsx

__all__ = ["MAX_XLSX_DATA_ROWS", "Cell", "neutralise", "restore", "write_table"]


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


def _write_csv(out: BinaryIO, columns: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([neutralise(c) for c in columns])
        width = len(columns)
        count = 0
        plain, text_of = PASS_THROUGH, as_text
        for count, row in enumerate(rows, start=1):
            check_width(count, row, width)
            # Most cells are plain text, ints or empty, which csv writes as they are; only
            # text starting like a formula (or with a quote) and the other types are looked at.
            writer.writerow(
                [
                    v
                    if type(v) in plain and not (type(v) is str and v.startswith(LOOK))
                    else text_of(v)
                    for v in row
                ]
            )
        text.flush()
        return count
    finally:
        text.detach()  # the caller's stream stays open


# -- XLSX --------------------------------------------------------------------------------


def _write_xlsx(
    out: BinaryIO, columns: Sequence[str], rows: Iterable[Sequence[Cell]], sheet: str
) -> int:
    return write_xlsx(out, columns, rows, sheet, max_rows=MAX_XLSX_DATA_ROWS)
