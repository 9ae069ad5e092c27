"""CSV text: the encoding (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 with BOM), then rows
decoded and split as they are read (csv's records; `lines` splits the simple lines itself),
with csv and codec failures turned into errors that name the row.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from core.errors import ValidationError
from core.tabular.lines import Lines, may_hold_formula, split_line
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
    delimiter = _delimiter(sample)
    lines = Lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
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
        _csv_rows(text, lines, reader, state, delimiter),
    )


class _CsvState:
    """Counts rows and turns csv/codec failures into errors that name the row."""

    def __init__(self, filename: str, encoding: str) -> None:
        self.filename = filename
        self.encoding = encoding
        self.number = 0

    def records(self, reader: Iterator[list[str]]) -> Iterator[list[str]]:
        """The header's records (the rows go through `_csv_rows`, which checks alike)."""
        try:
            for record in reader:
                self.number += 1
                if any("\x00" in cell for cell in record):
                    raise self.nul_error()
                yield record
        except UnicodeDecodeError as exc:
            raise self.decode_error(exc) from None
        except csv.Error as exc:
            raise self.csv_error(exc) from None

    def nul_error(self) -> ValidationError:
        """Python's csv passes NUL through, PostgreSQL text refuses it: stop at that row."""
        return ValidationError(
            f"{self.filename}: row {self.number}: a NUL byte: this is not a text CSV file",
            field="file",
            row=self.number,
        )

    def decode_error(self, exc: UnicodeDecodeError) -> ValidationError:
        return ValidationError(
            f"{self.filename}: after row {self.number} the bytes are not valid "
            f"{ENCODING_NAMES.get(self.encoding, self.encoding)} (byte "
            f"0x{exc.object[exc.start]:02x}); the file mixes encodings or is damaged",
            field="file",
            row=self.number + 1,
        )

    def csv_error(self, exc: csv.Error) -> ValidationError:
        text = str(exc)
        problem = next((hint for key, hint in _CSV_ERROR_HINTS if key in text.lower()), text)
        row = self.number + 1
        return ValidationError(f"{self.filename}: row {row}: {problem}", field="file", row=row)


def _csv_rows(
    text: io.TextIOWrapper,
    lines: Lines,
    reader: Iterator[list[str]],
    state: _CsvState,
    delimiter: str,
) -> Iterator[TableRow]:
    """The rows below the header, csv's records: a line `split_line` can read is split
    by `str.split`, any other goes to `reader`, which may read on (a quoted line break).
    This loop runs once per row of a 100,000-row export, so the NUL and formula checks
    are fast scans of the line, and a record's cells are looked at one by one only when
    a scan says a cell might be a formula."""
    limit = csv.field_size_limit()
    number = state.number
    try:
        for line in text:
            record = split_line(line, delimiter, limit)
            if record is not None:
                nul = "\x00" in line
                maybe = may_hold_formula(line, delimiter)
            else:
                lines.put_back(line)
                record = next(reader)  # this line and the lines its quoted field spans
                joined = "\x1f" + "\x1f".join(record)
                nul = "\x00" in joined
                maybe = _MAYBE_FORMULA.search(joined) is not None
            number += 1
            if nul:
                state.number = number
                raise state.nul_error()
            formulas = _NO_FORMULAS
            if maybe:
                formulas = frozenset(i for i, c in enumerate(record) if looks_like_formula(c))
            yield TableRow(number, tuple(record), formulas)
    except UnicodeDecodeError as exc:
        state.number = number
        raise state.decode_error(exc) from None
    except csv.Error as exc:
        state.number = number
        raise state.csv_error(exc) from None
    finally:
        text.detach()  # leave the caller's stream open; it is theirs to close
