"""XLSX workbooks: the first worksheet, streamed (`core.tabular.xlsx_sheet`), with formulas
read as formulas and marked, never evaluated. openpyxl reads the package around it (content
types, workbook, relationships); shared strings and styles are streamed the way it reads
them (`core.tabular.xlsx_parts`). Every part is read under the limits of
`core.tabular.model`: a workbook past one is refused in one line naming the part.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import BinaryIO
from xml.parsers import expat

from openpyxl.packaging.manifest import Manifest
from openpyxl.reader.excel import _find_workbook_part
from openpyxl.reader.workbook import WorkbookParser
from openpyxl.xml.constants import ARC_CONTENT_TYPES, SHARED_STRINGS
from openpyxl.xml.functions import fromstring

from core.errors import ValidationError
from core.tabular.model import (
    _FORMULA_START,
    MAX_CELL_CHARS,
    Table,
    TableRow,
    looks_like_formula,
)
from core.tabular.xlsx_parts import (
    DeclaresEntities,
    Oversized,
    Package,
    number_formats,
    shared_strings,
)
from core.tabular.xlsx_sheet import Cell, SheetFormats, sheet_rows

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
    RuntimeError,  # zipfile: an encrypted member, an unknown compression method
)
#: The part `Package` streams the styles from: openpyxl's `ARC_STYLE`, a fixed name.
STYLES = "xl/styles.xml"


def xlsx_table(stream: BinaryIO, filename: str) -> Table:
    """The first worksheet, streamed, with formulas as formulas."""
    archive, path, formats = _open_workbook(stream, filename)
    rows = _xlsx_rows(archive, path, formats, filename)
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


def _open_workbook(stream: BinaryIO, filename: str) -> tuple[Package, str, SheetFormats]:
    """The archive, the first worksheet's part and what its cells need, read as
    `openpyxl.load_workbook(read_only=True)` reads them, without opening the sheets."""

    archive: Package | None = None
    part = "the archive"
    try:
        archive = Package(stream)
        part = ARC_CONTENT_TYPES
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # extension notices about the workbook
            manifest = Manifest.from_tree(fromstring(archive.read(part)))
            part = _find_workbook_part(manifest).PartName[1:]
            workbook = WorkbookParser(archive, part, keep_links=False)
            workbook.parse()
        names = set(archive.namelist())
        path = next(
            rel.target
            for _sheet, rel in workbook.find_sheets()
            if rel.target in names and "chartsheet" not in rel.Type
        )
        strings: list[str] = []
        found = manifest.find(SHARED_STRINGS)
        if found is not None:
            part = found.PartName[1:]
            with archive.stream(part) as source:
                strings = shared_strings(source)
        dates = durations = frozenset[int]()
        if STYLES in names:
            part = STYLES
            with archive.stream(part) as source:
                dates, durations = number_formats(source)
    except (Oversized, DeclaresEntities) as exc:
        if archive is not None:
            archive.close()
        raise _refused(exc, filename, part) from None
    except (*_DAMAGE, AttributeError, StopIteration) as exc:
        if archive is not None:
            archive.close()
        raise ValidationError(
            f"{filename}: not a readable XLSX workbook ({type(exc).__name__}: {exc})",
            field="file",
        ) from None
    formats = SheetFormats(
        shared_strings=strings,
        date_styles=dates,
        timedelta_styles=durations,
        epoch=workbook.wb.epoch,
    )
    return archive, path, formats


def _refused(exc: Oversized | DeclaresEntities, filename: str, part: str) -> ValidationError:
    """`filename: part: what`, for a workbook past a limit or declaring entities."""
    where = getattr(exc, "part", None) or part
    return ValidationError(f"{filename}: {where}: {exc}; refused", field="file")


def _xlsx_rows(
    archive: Package, path: str, formats: SheetFormats, filename: str
) -> Iterator[TableRow]:
    try:
        with archive.stream(path) as source:
            for number, cells in enumerate(sheet_rows(source, formats), start=1):
                yield _table_row(number, cells, filename)
    except (Oversized, DeclaresEntities) as exc:
        raise _refused(exc, filename, path) from None
    except _DAMAGE as exc:
        raise ValidationError(
            f"{filename}: the workbook is damaged ({type(exc).__name__}: {exc})", field="file"
        ) from None
    finally:
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
