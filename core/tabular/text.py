"""CSV text: the encoding (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 with BOM), then rows
decoded and split as they are read, with csv and codec failures turned into errors that
name the row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from core.errors import ValidationError
from core.tabular.model import (
    _MAYBE_FORMULA,
    _NO_FORMULAS,
    ENCODING_NAMES,
    MAX_CELL_CHARS,
    Table,
    TableRow,
    looks_like_formula,
)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CSV_ERROR_HINTS = (
    ("field larger than field limit", f"a cell is longer than {MAX_CELL_CHARS} characters"),
    ("line contains nul", "a NUL byte: this is not a text CSV file"),
)


def detect_encoding(head: bytes, *, complete: bool, filename: str = "the file") -> str:
    """Codec for a CSV's bytes: BOM, else strict UTF-8, else GB18030 if it reads as Chinese."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    if b"\x00" in head:
        raise ValidationError(
            f"{filename}: contains NUL bytes, so it is not a text CSV (nor an XLSX workbook)",
            field="file",
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = codecs.getincrementaldecoder("gb18030")().decode(head, final=complete)
    except UnicodeDecodeError:
        text = ""
    if text and _reads_as_chinese(text):
        return "gb18030"
    raise ValidationError(
        f"{filename}: the text is neither UTF-8 nor GBK Chinese (first bad byte "
        f"0x{head[utf8_error.start]:02x} at offset {utf8_error.start}); save the file as "
        "CSV (UTF-8) or Excel .xlsx",
        field="file",
    )


def _reads_as_chinese(text: str) -> bool:
    """GB18030 decodes almost any bytes; real GBK exports are mostly GB2312 characters
    (common hanzi and full-width punctuation), Latin-1 or binary read as GBK is not."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= 0.8 * len(wide)


def _delimiter(text: str) -> str:
    """Comma, unless the header line has tabs and no commas (Excel "Unicode text")."""
    first_line = text.split("\n", 1)[0]
    return "\t" if "\t" in first_line and "," not in first_line else ","


def csv_table(stream: BinaryIO, filename: str, encoding: str, head: bytes) -> Table:
    text = io.TextIOWrapper(stream, encoding=encoding, errors="strict", newline="")
    sample = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)
    reader = csv.reader(text, delimiter=_delimiter(sample))
    state = _CsvState(filename, encoding)
    header: list[str] | None = None
    try:
        for record in state.records(reader):
            if any(c.strip() for c in record):
                header = record
                break
    except ValidationError:
        text.detach()
        raise
    if header is None:
        text.detach()
        raise ValidationError(f"{filename}: the file has no header row", field="file")
    return Table(
        "csv",
        encoding,
        tuple(c.strip() for c in header),
        state.number,
        _csv_rows(reader, text, state),
    )


class _CsvState:
    """Counts rows and turns csv/codec failures into errors that name the row."""

    def __init__(self, filename: str, encoding: str) -> None:
        self.filename = filename
        self.encoding = encoding
        self.number = 0

    def records(self, reader: Iterator[list[str]]) -> Iterator[list[str]]:
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                raise ValidationError(
                    f"{self.filename}: after row {self.number} the bytes are not valid "
                    f"{ENCODING_NAMES.get(self.encoding, self.encoding)} (byte "
                    f"0x{exc.object[exc.start]:02x}); the file mixes encodings or is damaged",
                    field="file",
                    row=self.number + 1,
                ) from None
            except csv.Error as exc:
                raise self._csv_error(exc) from None
            self.number += 1
            if any("\x00" in cell for cell in record):
                # Python's csv passes NUL through, PostgreSQL text refuses it: stop here.
                raise ValidationError(
                    f"{self.filename}: row {self.number}: a NUL byte: this is not a text CSV file",
                    field="file",
                    row=self.number,
                )
            yield record

    def _csv_error(self, exc: csv.Error) -> ValidationError:
        text = str(exc)
        problem = next((hint for key, hint in _CSV_ERROR_HINTS if key in text.lower()), text)
        row = self.number + 1
        return ValidationError(f"{self.filename}: row {row}: {problem}", field="file", row=row)


def _csv_rows(
    reader: Iterator[list[str]], text: io.TextIOWrapper, state: _CsvState
) -> Iterator[TableRow]:
    try:
        for record in state.records(reader):
            formulas = _NO_FORMULAS
            if _MAYBE_FORMULA.search("\x1f" + "\x1f".join(record)):  # one C scan per row
                formulas = frozenset(i for i, c in enumerate(record) if looks_like_formula(c))
            yield TableRow(state.number, tuple(record), formulas)
    finally:
        text.detach()  # leave the caller's stream open; it is theirs to close
