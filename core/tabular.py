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
  line break inside quotes is one row, blank rows count.
- **Memory** stays flat: CSV is decoded and split as it is read; XLSX uses openpyxl's
  read-only (streaming) mode.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import BinaryIO, NamedTuple

from core.errors import ValidationError

HEAD_BYTES = 64 * 1024
#: Longest cell we accept (csv's own default limit; Excel stops at 32,767 characters).
MAX_CELL_CHARS = 131_072
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2: Excel 97-2003 .xls
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "gb18030": "GBK/GB18030",
    "utf-16": "UTF-16",
}

_FORMULA_START = frozenset("=+-@")
_FORMULA_LIKE = re.compile(
    r"""^(?:
        =.                                   # anything after '=' is a formula to Excel
      | [+\-@]\s*[A-Za-z_][\w.]*\s*\(       # +SUM(  -cmd|  @HYPERLINK(
      | [+\-]\s*\$?[A-Za-z]{1,3}\$?\d+\b     # +A1  -$B$2
      | [+\-]\s*[\d.]+\s*[-+*/^&]\s*\S       # +1+1  -2*3
    )""",
    re.VERBOSE | re.DOTALL,
)
#: A cell start (the \x1f put before every cell) followed by a formula character.
_MAYBE_FORMULA = re.compile(r"\x1f[ \t\r\n]*[=+\-@]")
_NO_FORMULAS: frozenset[int] = frozenset()
_CSV_ERROR_HINTS = (
    ("field larger than field limit", f"a cell is longer than {MAX_CELL_CHARS} characters"),
    ("line contains nul", "a NUL byte: this is not a text CSV file"),
)


class TableRow(NamedTuple):
    """One row below the header. `cells` may be shorter or longer than the header;
    `formulas` holds the indexes of cells with a formula (XLSX) or formula-like text (CSV).
    (A named tuple: a 100,000-row import builds one per row.)"""

    number: int
    cells: tuple[str, ...]
    formulas: frozenset[int] = frozenset()

    def cell(self, index: int | None) -> str:
        """The cell's text, "" when the row is short or the column is absent (None)."""
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]

    @property
    def blank(self) -> bool:
        return not "".join(self.cells).strip()


@dataclass
class Table:
    """A file's header (as written, and normalised for matching) and its rows, streamed."""

    kind: str  # "csv" | "xlsx"
    encoding: str  # codec name for CSV ("utf-8-sig", "gb18030", …), "" for XLSX
    header: tuple[str, ...]
    header_number: int
    rows: Iterator[TableRow]

    @property
    def keys(self) -> tuple[str, ...]:
        """The header normalised with `header_key`, index for index."""
        return tuple(header_key(h) for h in self.header)

    @property
    def encoding_label(self) -> str:
        return "XLSX" if self.kind == "xlsx" else ENCODING_NAMES.get(self.encoding, self.encoding)


def header_key(text: str) -> str:
    """How headers are compared: NFKC (full-width `（元）` → `(元)`), no whitespace at all."""
    return "".join(unicodedata.normalize("NFKC", text).split()).lstrip("\ufeff")


def looks_like_formula(text: str) -> bool:
    """Would a spreadsheet run this CSV text as a formula? (See the module docstring.)"""
    stripped = text.lstrip(" \t\r\n")
    return bool(stripped) and stripped[0] in _FORMULA_START and bool(_FORMULA_LIKE.match(stripped))


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
        return _xlsx_table(stream, filename)
    if lower.endswith((".xlsx", ".xlsm")):
        raise ValidationError(
            f"{filename}: named like an Excel workbook but it is not one (no ZIP signature)",
            field="file",
        )
    encoding = detect_encoding(head, complete=len(head) < HEAD_BYTES, filename=filename)
    return _csv_table(stream, filename, encoding, head)


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


# ------------------------------------------------------------------------------------ CSV


def _csv_table(stream: BinaryIO, filename: str, encoding: str, head: bytes) -> Table:
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


# ----------------------------------------------------------------------------------- XLSX


def _xlsx_table(stream: BinaryIO, filename: str) -> Table:
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


# ---------------------------------------------------------------------------- cell values

_LOCAL_TIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:(?:\s+|T)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
)


def parse_time(text: str, zone: tzinfo, fmt: str = "") -> datetime:
    """Cell text → aware UTC. Without `fmt`: `yyyy-MM-dd HH:mm:ss` and the variants
    spreadsheets write when they re-save (`2024/1/2 9:05`, no seconds, date only), or ISO
    8601 with an offset (which then wins over `zone`). With `fmt`: a `strptime` pattern,
    or `unix` / `unix_ms` for epoch numbers. Naive times are in `zone`.

    Raises `ValueError` with a message fit for a report.
    """
    value = text.strip()
    if not fmt and len(value) == 19 and value[4] == "-" and value[10] == " ":
        try:  # the export's own `yyyy-MM-dd HH:mm:ss`: the C parser, no regex
            naive = datetime.fromisoformat(value)
        except ValueError:
            pass  # reported below with the general message
        else:
            offset = _hour_offset(zone, value[:13])
            if offset is not None:
                return (naive - offset).replace(tzinfo=UTC)
            return naive.replace(tzinfo=zone).astimezone(UTC)
    if not value:
        raise ValueError("time is empty")
    if fmt in ("unix", "unix_ms"):
        try:
            seconds = float(value) / (1000 if fmt == "unix_ms" else 1)
            return datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"{value!r} is not a {fmt} timestamp") from None
    try:
        if fmt:
            parsed = datetime.strptime(value, fmt)
        elif match := _LOCAL_TIME.fullmatch(value):
            y, mo, d, h, mi, s, frac = match.groups()
            parsed = datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(s or 0),
                int((frac or "0").ljust(6, "0")),
            )
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        wanted = f"format {fmt!r}" if fmt else "yyyy-MM-dd HH:mm:ss"
        raise ValueError(f"{value!r} is not a time ({wanted})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


@lru_cache(maxsize=4096)
def _hour_offset(zone: tzinfo, hour: str) -> timedelta | None:
    """`zone`'s UTC offset throughout the hour `yyyy-MM-dd HH`, or None when it changes
    inside that hour (a DST switch): then the caller converts the time exactly. Orders
    cluster in hours, so this saves a time-zone lookup per cell."""
    start = datetime.fromisoformat(hour + ":00:00")
    first = start.replace(tzinfo=zone).utcoffset()
    last = (start + timedelta(minutes=59, seconds=59)).replace(tzinfo=zone).utcoffset()
    return first if first == last else None


def parse_count(text: str) -> int:
    """A whole positive number of pieces (`"2"`, `" 2\\t"`, `"2.0"` from a spreadsheet)."""
    value = text.strip()
    whole, dot, fraction = value.partition(".")
    if not whole.isdigit() or (dot and fraction.strip("0")) or not whole.isascii():
        raise ValueError(f"{value!r} is not a whole number" if value else "quantity is empty")
    return int(whole)
