"""XLSX workbooks: the first worksheet, streamed (`core.tabular.xlsx_sheet`), with formulas
read as formulas and marked, never evaluated. openpyxl reads the package around it:
content types, workbook, shared strings and styles.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, BinaryIO
from xml.parsers import expat

from core.errors import ValidationError
from core.tabular.model import (
    _FORMULA_START,
    MAX_CELL_CHARS,
    Table,
    TableRow,
    looks_like_formula,
)
from core.tabular.xlsx_sheet import Cell, DeclaresEntities, SheetFormats, sheet_rows

#: What a damaged or hostile workbook raises while it is read (openpyxl or expat).
_DAMAGE = (
    zipfile.BadZipFile,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    SyntaxError,
    expat.ExpatError,
)


def xlsx_table(stream: BinaryIO, filename: str) -> Table:
    """The first worksheet, streamed, with formulas as formulas."""
    archive, path, formats = _open_workbook(stream, filename)
    rows = _xlsx_rows(archive, archive.open(path), formats, filename)
    try:
        header = next(r for r in rows if not r.blank)
    except StopIteration:
        rows.close()
        raise ValidationError(
            f"{filename}: the first worksheet has no header row", field="file"
        ) from None
    if header.formulas:
        rows.close()
        raise ValidationError(
            f"{filename}: the header row holds a formula; headers must be plain text",
            field="file",
            row=header.number,
        )
    return Table("xlsx", "", tuple(c.strip() for c in header.cells), header.number, rows)


def _open_workbook(stream: BinaryIO, filename: str) -> tuple[zipfile.ZipFile, str, SheetFormats]:
    """The archive, the first worksheet's part and what its cells need, read the way
    `openpyxl.load_workbook(read_only=True)` reads them — without opening the sheets."""
    from openpyxl.reader.excel import ExcelReader  # late: only XLSX imports pay for it
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # style/extension notices about the workbook
            reader = ExcelReader(stream, read_only=True, keep_vba=False, keep_links=False)
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.parser.wb)
            path = next(
                rel.target
                for _sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type
            )
    except (*_DAMAGE, InvalidFileException, StopIteration) as exc:
        raise ValidationError(
            f"{filename}: not a readable XLSX workbook ({type(exc).__name__}: {exc})",
            field="file",
        ) from None
    book = reader.parser.wb
    formats = SheetFormats(
        shared_strings=reader.shared_strings,
        date_styles=frozenset(book._date_formats),
        timedelta_styles=frozenset(book._timedelta_formats),
        epoch=book.epoch,
    )
    return reader.archive, path, formats


def _xlsx_rows(
    archive: zipfile.ZipFile, source: IO[bytes], formats: SheetFormats, filename: str
) -> Iterator[TableRow]:
    try:
        for number, cells in enumerate(sheet_rows(source, formats), start=1):
            yield _table_row(number, cells, filename)
    except DeclaresEntities as exc:
        raise ValidationError(f"{filename}: {exc}; refused", field="file") from None
    except _DAMAGE as exc:
        raise ValidationError(
            f"{filename}: the workbook is damaged ({type(exc).__name__}: {exc})", field="file"
        ) from None
    finally:
        source.close()
        archive.close()


def _table_row(number: int, cells: list[Cell], filename: str) -> TableRow:
    """The row's texts (as a CSV export would hold them) and its formula cells: cells
    holding a formula, and text a spreadsheet would run as one once exported."""
    texts = tuple(value if type(value) is str else cell_text(value) for value, _ in cells)
    formulas = {i for i, (_, formula) in enumerate(cells) if formula}
    formulas.update(
        i for i, text in enumerate(texts) if text[:1] in _FORMULA_START and looks_like_formula(text)
    )
    if any("\x00" in text for text in texts):
        # PostgreSQL text cannot hold NUL; no real export carries one.
        raise ValidationError(
            f"{filename}: row {number}: a cell contains a NUL character", field="file", row=number
        )
    if texts and max(map(len, texts)) > MAX_CELL_CHARS:
        raise ValidationError(
            f"{filename}: row {number}: a cell is longer than {MAX_CELL_CHARS} characters",
            field="file",
            row=number,
        )
    return TableRow(number, texts, frozenset(formulas))


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
