"""CSV text: the encoding (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 with BOM), then rows
decoded and split as they are read (csv's records; `lines` splits the simple lines itself),
with csv and codec failures turned into errors that name the row.

Quotes: a quoted cell may hold line breaks, but one row may run over at most
`MAX_ROW_LINES` lines; a quote still open at the end of the file or past that is an
error, "unterminated quote opened at row R, column C", and stops the file (past it, nobody
can tell where rows begin). A quote inside an unquoted cell (`5"屏`) is text, as in csv
and spreadsheets. Outside quotes, CRLF, LF and CR each end a row. A BOM that starts a later
row (two files joined) is dropped like the first: kept, it would hide in the row's first cell.
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
    MAX_ROW_LINES,
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
    lines = Lines(text, MAX_ROW_LINES)
    reader = csv.reader(lines, delimiter=delimiter)
    state = _CsvState(filename, encoding)
    try:
        header = state.header_record(reader, lines)
    except ValidationError:
        text.detach()
        raise
    if header is None:
        text.detach()
        raise ValidationError(f"{filename}: the file has no header row", field="file")
    state.header = tuple(c.strip() for c in header)
    return Table(
        "csv",
        encoding,
        state.header,
        state.number,
        _csv_rows(text, lines, reader, state, delimiter),
    )


class _CsvState:
    """Counts rows and turns csv/codec failures into errors that name the row."""

    def __init__(self, filename: str, encoding: str) -> None:
        self.filename = filename
        self.encoding = encoding
        self.number = 0
        self.header: tuple[str, ...] = ()

    def header_record(self, reader: Iterator[list[str]], lines: Lines) -> list[str] | None:
        """The first record with a non-blank cell, or None when the file has none. (The
        rows go through `_csv_rows`, which checks alike.)"""
        try:
            while True:
                lines.record()
                first_line = lines.taken + 1
                record = next(reader, None)
                if record is None:
                    return None
                self.number += 1
                if lines.open_quote:
                    raise self.open_quote_error(record, first_line, lines.open_quote)
                if any("\x00" in cell for cell in record):
                    raise self.nul_error()
                if any(c.strip() for c in record):
                    return record
        except UnicodeDecodeError as exc:
            raise self.decode_error(exc) from None
        except csv.Error as exc:
            raise self.csv_error(exc) from None

    def open_quote_error(self, record: list[str], first_line: int, why: str) -> ValidationError:
        """Row `number`, which starts on `first_line`, ended with its last cell's quote
        still open (`Lines.open_quote`): name that cell and the line its quote opened on."""
        index = len(record) - 1
        line = first_line + sum(map(_line_breaks, record[:-1]))
        named = self.header[index] if index < len(self.header) else ""
        label = named or str(index + 1)
        because = (
            "it never closes, so the rows after it cannot be told apart"
            if why == "end"
            else f"it does not close within {MAX_ROW_LINES} lines (a quoted cell may hold "
            "line breaks, not whole rows); a closing quote is missing"
        )
        return ValidationError(
            f"{self.filename}: unterminated quote opened at row {self.number}, column "
            f"{label} (line {line} of the file): {because}",
            field=named or f"column {label}",
            row=self.number,
        )

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
    spanned = lines.taken - number  # lines that rows so far ran over past their first
    try:
        for line in text:
            if line[:1] == "\ufeff":  # files joined: the second one's BOM (see docstring)
                line = line[1:]
            record = split_line(line, delimiter, limit)
            if record is not None:
                nul = "\x00" in line
                maybe = may_hold_formula(line, delimiter)
            else:
                lines.record(line)
                before = lines.taken
                record = next(reader)  # this line and the lines its quoted field spans
                if lines.open_quote:
                    state.number = number + 1
                    first_line = state.number + spanned
                    raise state.open_quote_error(record, first_line, lines.open_quote)
                spanned += lines.taken - before
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


def _line_breaks(cell: str) -> int:
    """Lines a cell's text runs over past its first: CRLF, LF and CR each end a line."""
    return cell.count("\n") + cell.count("\r") - cell.count("\r\n")
