"""Reading order tables — CSV and XLSX — as rows of text, streamed, never evaluated.

Import formats (`core.contracts.ImportFormat`) read merchants' files through here, so every
format gets the same answers to the questions files raise:

- **Encoding.** Pinduoduo exports are UTF-8 with BOM; older ones, and files re-saved by
  spreadsheet programs, are GBK. We read GBK as GB18030 (its superset, so a rare character
  never fails) but only after UTF-8 failed *and* the text looks like Chinese: GB18030 maps
  almost any byte pair to some character, so Latin-1 or random bytes would otherwise pass
  as mojibake. Anything else is a `ValidationError` that says what the file seems to be.
- **Formulas are data, never code.** XLSX is opened with `data_only=False`, so a formula
  cell gives its formula text (never a cached, possibly stale or forged, result) and is
  marked. CSV text that a spreadsheet would run as a formula (`=1+1`, `=HYPERLINK(…)`,
  `+SUM(A1)`, `@cmd(…)`) is marked the same way, while ordinary text that merely starts
  with those characters (`-5.00`, `+86 138…`, `@店主`, `-不要辣`) is not. Formats decide
  what a marked cell means (the built-in ones: an error in a column they read, a warning
  elsewhere).
- **Row numbers** are what a spreadsheet shows: the header is row 1, a CSV record with a
  line break inside quotes is one row, blank rows count. A quote that never closes is an
  error at the row and column it opened (`text` has the rule).
- **Row shape.** Cells stay in the columns the file puts them in. A row may be shorter
  than the header (spreadsheets leave trailing empty cells out: formats read them as
  empty) or longer (formats report non-empty extra cells). A header name given twice is an
  error for a column a format reads (`Table.columns`); blank or unread ones are fine.
- **Memory** stays flat: CSV is decoded and split as it is read; an XLSX sheet is streamed
  from its XML (`xlsx_sheet`), its shared strings and styles too (`xlsx_parts`), the rest
  of the workbook read by openpyxl. Every size a workbook could blow up is capped as it is
  read (limits in `model`): a hostile file is refused in one line, never a MemoryError.

Modules: `model` (Table, TableRow, header and formula rules, limits), `text` (CSV and
encodings), `xlsx` (workbooks), `xlsx_parts` (the zip and the parts around the sheet, under
limits) and `xlsx_sheet` (a worksheet's cells), `cells` (times — one at a time,
or a file's many with `TimeReader` — and counts). Import from `core.tabular` itself; the
XLSX modules load (with openpyxl, ~0.2 s) only when a workbook is read.

Writing is the other way round: `core.tabular.writing.write_table` writes exports (CSV
UTF-8 with BOM, or XLSX by `xlsx_writer`), streamed, formula-like text neutralised
(`cell_rules`).
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import BinaryIO

from core.errors import ValidationError
from core.tabular.cells import TimeReader, parse_count, parse_time
from core.tabular.model import (
    ENCODING_NAMES,
    MAX_CELL_CHARS,
    MAX_ROW_LINES,
    Table,
    TableRow,
    header_key,
    looks_like_formula,
)
from core.tabular.text import _delimiter, csv_table, detect_encoding

HEAD_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: Excel 97-2003 .xls

__all__ = [
    "ENCODING_NAMES",
    "HEAD_BYTES",
    "MAX_CELL_CHARS",
    "MAX_ROW_LINES",
    "XLSX_MAGIC",
    "Table",
    "TableRow",
    "TimeReader",
    "detect_encoding",
    "header_key",
    "is_xlsx",
    "looks_like_formula",
    "parse_count",
    "parse_time",
    "read_table",
    "sniff_header",
]


def is_xlsx(filename: str, head: bytes) -> bool:
    return head.startswith(XLSX_MAGIC)


def sniff_header(filename: str, head: bytes) -> tuple[str, ...] | None:
    """The normalised header cells of a CSV from its first bytes, or None when the head is
    not readable CSV text (XLSX, binary, unknown encoding). Never raises."""
    if head.startswith((XLSX_MAGIC, XLS_MAGIC)):
        return None
    try:
        encoding = detect_encoding(head, complete=len(head) < HEAD_BYTES)
    except ValidationError:
        return None
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=False)
    first = next(iter(csv.reader(io.StringIO(text), delimiter=_delimiter(text))), None)
    return tuple(header_key(c) for c in first) if first else None


def read_table(stream: BinaryIO, filename: str) -> Table:
    """Open a CSV or XLSX file (judged by its bytes, then its name) and read its header.

    Raises `ValidationError` for an empty file, a file with no header, a legacy .xls, a
    damaged workbook, or text in an encoding we cannot trust.
    """
    head = stream.read(HEAD_BYTES)
    if not head.strip(b" \t\r\n\x00"):
        raise ValidationError(f"{filename}: the file is empty", field="file")
    stream = _rewound(stream, head)
    lower = filename.lower()
    if head.startswith(XLS_MAGIC) or lower.endswith(".xls"):
        raise ValidationError(
            f"{filename}: legacy Excel 97-2003 (.xls) workbooks are not supported; "
            "save it as .xlsx or as CSV (UTF-8)",
            field="file",
        )
    if head.startswith(XLSX_MAGIC):
        from core.tabular.xlsx import xlsx_table  # late: only workbooks pay for openpyxl

        return xlsx_table(stream, filename)
    if lower.endswith((".xlsx", ".xlsm")):
        raise ValidationError(
            f"{filename}: named like an Excel workbook but it is not one (no ZIP signature)",
            field="file",
        )
    encoding = detect_encoding(head, complete=len(head) < HEAD_BYTES, filename=filename)
    return csv_table(stream, filename, encoding, head)


def _rewound(stream: BinaryIO, head: bytes) -> BinaryIO:
    """The stream positioned at its start again; non-seekable streams get the head put back."""
    try:
        if stream.seekable():
            stream.seek(-len(head), io.SEEK_CUR)
            return stream
    except (OSError, ValueError):
        pass
    return io.BufferedReader(_Prepended(head, stream))  # type: ignore[arg-type]


class _Prepended(io.RawIOBase):
    """`head` followed by the rest of a non-seekable stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
