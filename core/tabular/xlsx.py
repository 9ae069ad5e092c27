"""XLSX workbooks: the first worksheet, through openpyxl's read-only (streaming) mode, with
formulas read as formulas (`data_only=False`) and marked, never evaluated.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import BinaryIO

from core.errors import ValidationError
from core.tabular.model import (
    _FORMULA_START,
    MAX_CELL_CHARS,
    Table,
    TableRow,
    looks_like_formula,
)


def xlsx_table(stream: BinaryIO, filename: str) -> Table:
    """The first worksheet, read-only (streamed) and with formulas as formulas."""
    import openpyxl  # late: only XLSX imports pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style/extension notices about the workbook
            book = openpyxl.load_workbook(stream, read_only=True, data_only=False, keep_links=False)
            sheet = book.worksheets[0]
            sheet.reset_dimensions()  # do not trust the stored dimension: read what is there
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        IndexError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        SyntaxError,
    ) as exc:
        raise ValidationError(
            f"{filename}: not a readable XLSX workbook ({type(exc).__name__}: {exc})",
            field="file",
        ) from None
    rows = _xlsx_rows(book, sheet, filename)
    try:
        header = next(r for r in rows if not r.blank)
    except StopIteration:
        book.close()
        raise ValidationError(
            f"{filename}: the first worksheet has no header row", field="file"
        ) from None
    if header.formulas:
        book.close()
        raise ValidationError(
            f"{filename}: the header row holds a formula; headers must be plain text",
            field="file",
            row=header.number,
        )
    return Table("xlsx", "", tuple(c.strip() for c in header.cells), header.number, rows)


def _xlsx_rows(book, sheet, filename: str) -> Iterator[TableRow]:  # type: ignore[no-untyped-def]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for number, cells in enumerate(sheet.iter_rows(min_row=1), start=1):
                texts: list[str] = []
                formulas: set[int] = set()
                for index, cell in enumerate(cells):
                    value = cell.value
                    if getattr(cell, "data_type", None) == "f":
                        formulas.add(index)
                        value = getattr(value, "text", value)  # ArrayFormula objects
                    text = cell_text(value)
                    if text[:1] in _FORMULA_START and looks_like_formula(text):
                        formulas.add(index)  # text a spreadsheet would run once exported
                    if "\x00" in text:
                        # PostgreSQL text cannot hold NUL; no real export carries one.
                        raise ValidationError(
                            f"{filename}: row {number}: a cell contains a NUL character",
                            field="file",
                            row=number,
                        )
                    if len(text) > MAX_CELL_CHARS:
                        raise ValidationError(
                            f"{filename}: row {number}: a cell is longer than "
                            f"{MAX_CELL_CHARS} characters",
                            field="file",
                            row=number,
                        )
                    texts.append(text)
                yield TableRow(number, tuple(texts), frozenset(formulas))
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        TypeError,
        OSError,
        EOFError,
        SyntaxError,
    ) as exc:
        raise ValidationError(
            f"{filename}: the workbook is damaged ({type(exc).__name__}: {exc})", field="file"
        ) from None
    finally:
        book.close()


def cell_text(value: object) -> str:
    """An XLSX cell value as the text a CSV export would hold: whole floats without `.0`,
    other floats by their shortest repr (so `yuan_to_fen` sees the digits Excel stored),
    dates and times as `yyyy-MM-dd HH:mm:ss`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    return str(value)
