"""The cells of one XLSX worksheet, streamed from its XML by expat.

Why not openpyxl's read-only worksheet: it builds an ElementTree element and several
descriptor-checked objects per cell, ≈ 12 µs each — a 100,000-row export of 47 columns
took a minute. expat with a few small callbacks reads the same sheet ≈ 10× faster with
the same flat memory. openpyxl still reads everything around the sheet (package,
workbook, shared strings, styles; see `core.tabular.xlsx`), and its helpers convert the
values, so each cell gets exactly the value openpyxl's read-only mode gives it:
`tests/importing/test_xlsx_sheet.py` compares the two on generated workbooks.

Formulas are kept as formula text (`=…`, shared formulas translated to their cell), never
evaluated. A sheet that declares entities (the XML "billion laughs") is refused, and so is
one past the limits of `core.tabular.model` (a cell longer than `MAX_CELL_CHARS`, a cell
beyond Excel's last row or column, more than `MAX_XLSX_CELLS` laid out), as it is read:
nothing is held before it is measured.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import IO, Any

from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import from_excel, from_ISO8601

from core.tabular.model import MAX_CELL_CHARS, MAX_XLSX_CELLS, MAX_XLSX_COLUMNS, MAX_XLSX_ROWS
from core.tabular.xlsx_parts import MAIN, Oversized, feed, parser

_ROW, _CELL, _VALUE, _FORMULA = f"{MAIN} row", f"{MAIN} c", f"{MAIN} v", f"{MAIN} f"
_INLINE, _TEXT, _PHONETIC = f"{MAIN} is", f"{MAIN} t", f"{MAIN} rPh"

#: A cell as read: its value (None when empty) and whether it holds a formula.
Cell = tuple[Any, bool]


@dataclass(frozen=True)
class SheetFormats:
    """What turns a cell's stored text into its value, read from the workbook by openpyxl."""

    shared_strings: Sequence[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: datetime


def sheet_rows(source: IO[bytes], formats: SheetFormats) -> Iterator[list[Cell]]:
    """Each row of the sheet from row 1 on, gaps as empty rows, as openpyxl's read-only
    `iter_rows(min_row=1)` gives them after `reset_dimensions()`: a row runs up to its
    last cell's column, earlier missing cells are (None, False), and a row numbered
    lower than one already given is skipped."""
    reader = _SheetReader(formats)
    counter = 1
    laid_out = 0  # cells, gaps included
    for _ in feed(parser(reader.start, reader.end, reader.text), source):
        for number, cells in reader.done:
            while counter < number:
                counter += 1
                yield []
            if counter == number:
                counter += 1
                laid_out += cells[-1][0] if cells else 0
                if laid_out > MAX_XLSX_CELLS:
                    raise Oversized(f"lays out more than {MAX_XLSX_CELLS:,} cells")
                yield _laid_out(cells)
        reader.done.clear()


def _laid_out(cells: list[tuple[int, Cell]]) -> list[Cell]:
    if not cells:
        return []
    width = cells[-1][0]  # openpyxl: up to the last cell's column, not the widest
    row: list[Cell] = [(None, False)] * width
    for column, cell in cells:
        if 1 <= column <= width:
            row[column - 1] = cell
    return row


class _SheetReader:
    """expat callbacks: collect each `<row>`'s cells, finished rows in `done`."""

    def __init__(self, formats: SheetFormats) -> None:
        self.formats = formats
        self.done: list[tuple[int, list[tuple[int, Cell]]]] = []
        self.shared_formulas: dict[str, Translator] = {}
        self.row_number = 0
        self.column = 0
        self.cells: list[tuple[int, Cell]] = []
        self.parts: list[str] | None = None  # the text being collected, if any
        self.size = 0  # characters of the cell's text collected so far
        self.cell: dict[str, str] = {}
        self.value: str | None = None
        self.formula: dict[str, str] | None = None
        self.formula_text = ""
        self.inline: list[str] | None = None
        self.phonetic = False

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == _CELL:
            self.cell = attrs
            self.value = self.formula = self.inline = None
            self.size = 0
            if len(self.cells) >= MAX_XLSX_COLUMNS:
                raise Oversized(f"row {self.row_number} has more than {MAX_XLSX_COLUMNS:,} cells")
        elif name in (_VALUE, _FORMULA):
            self.parts = []
            if name == _FORMULA:
                self.formula = attrs
        elif name == _ROW:
            self.row_number = _row_number(attrs.get("r"), self.row_number)
            if self.row_number > MAX_XLSX_ROWS:
                raise Oversized(f"row {self.row_number} is beyond row {MAX_XLSX_ROWS:,}")
            self.column = 0
            self.cells = []
        elif name == _INLINE:
            self.inline = []
        elif name == _TEXT:
            if self.inline is not None and not self.phonetic:
                self.parts = []
        elif name == _PHONETIC:
            self.phonetic = True

    def text(self, data: str) -> None:
        if self.parts is not None:
            self.parts.append(data)
            self.size += len(data)
            if self.size > MAX_CELL_CHARS:
                where = self._here(self.column + 1)
                raise Oversized(f"cell {where} has more than {MAX_CELL_CHARS:,} characters")

    def end(self, name: str) -> None:
        if name == _CELL:
            attrs = self.cell
            coordinate = attrs.get("r")
            if coordinate:
                self.column = _column(coordinate.rstrip(_DIGITS))
            else:
                self.column += 1
            if self.column > MAX_XLSX_COLUMNS:
                raise Oversized(
                    f"cell {self._here(self.column)} is beyond column {MAX_XLSX_COLUMNS:,} (XFD)"
                )
            if self.formula is not None:
                cell: Cell = (self._formula_value(coordinate), True)
            elif self.inline is not None and attrs.get("t") == "inlineStr":
                cell = ("".join(self.inline), False)  # the usual cell of generated files
            else:
                cell = (self._value(attrs.get("t", "n"), attrs.get("s")), False)
            self.cells.append((self.column, cell))
        elif name == _VALUE:
            self.value = "".join(self.parts or ())
            self.parts = None
        elif name == _FORMULA:
            self.formula_text = "".join(self.parts or ())
            self.parts = None
        elif name == _TEXT:
            if self.parts is not None and self.inline is not None:
                self.inline.append("".join(self.parts))
            self.parts = None
        elif name == _ROW:
            self.done.append((self.row_number, self.cells))
        elif name == _PHONETIC:
            self.phonetic = False

    def _here(self, column: int) -> str:
        """The reference of the cell being read (`C7`), for messages."""
        coordinate = self.cell.get("r")
        if coordinate:
            return coordinate if len(coordinate) <= 12 else coordinate[:12] + "…"
        if column > 18_278:  # past ZZZ, the last reference openpyxl spells
            return f"column {column:,} of row {self.row_number}"
        return f"{get_column_letter(column)}{self.row_number}"

    def _value(self, kind: str, style: str | None) -> Any:
        """openpyxl's `WorkSheetParser.parse_cell`, for a cell without a formula."""
        if kind == "inlineStr":
            return None if self.inline is None else "".join(self.inline)
        value = self.value or None
        if value is None:
            return None
        if kind == "n":
            number: int | float = (
                float(value) if "." in value or "E" in value or "e" in value else int(value)
            )
            style_id = int(style) if style else 0
            if style_id in self.formats.date_styles:
                timedelta = style_id in self.formats.timedelta_styles
                try:
                    return from_excel(number, self.formats.epoch, timedelta=timedelta)
                except (OverflowError, ValueError):
                    return "#VALUE!"  # openpyxl's reading of a date outside the calendar
            return number
        if kind == "s":
            return self.formats.shared_strings[int(value)]
        if kind == "b":
            return bool(int(value))
        if kind == "d":
            return from_ISO8601(value)
        return value  # "str" (a formula's cached text) and "e" (an error such as #N/A)

    def _formula_value(self, coordinate: str | None) -> str:
        """openpyxl's `WorkSheetParser.parse_formula`: the text, shared ones translated."""
        assert self.formula is not None
        value = "=" + self.formula_text
        self.formula_text = ""
        if self.formula.get("t") == "shared":
            index = self.formula.get("si", "")
            if index in self.shared_formulas:
                return str(self.shared_formulas[index].translate_formula(coordinate))
            if value != "=":
                self.shared_formulas[index] = Translator(value, coordinate)
        return value


_DIGITS = "0123456789"


@lru_cache(maxsize=1024)
def _column(letters: str) -> int:
    """`AB` → 28 (a cell reference's column; openpyxl's own conversion, remembered)."""
    return column_index_from_string(letters)


def _row_number(text: str | None, previous: int) -> int:
    if not text:
        return previous + 1
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not number.is_integer():
            raise ValueError(f"{text} is not a valid row number") from None
        return int(number)
