"""The cells of one XLSX worksheet, streamed from its XML by expat.

Why not openpyxl's read-only worksheet: it builds an ElementTree element and several
descriptor-checked objects per cell, ≈ 12 µs each — a 100,000-row export of 47 columns
took a minute. expat with a few small callbacks reads the same sheet ≈ 10× faster with
the same flat memory. openpyxl still reads everything around the sheet (package,
workbook, shared strings, styles; see `core.tabular.xlsx`), and its helpers convert the
values, so each cell gets exactly the value openpyxl's read-only mode gives it:
`tests/importing/test_xlsx_sheet.py` compares the two on generated workbooks.

Formulas are kept as formula text (`=…`, shared formulas translated to their cell), never
evaluated. A sheet that declares entities (the XML "billion laughs") is refused.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import IO, Any
from xml.parsers import expat

from openpyxl.formula.translate import Translator
from openpyxl.utils.cell import column_index_from_string
from openpyxl.utils.datetime import from_excel, from_ISO8601

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_ROW, _CELL, _VALUE, _FORMULA = f"{MAIN} row", f"{MAIN} c", f"{MAIN} v", f"{MAIN} f"
_INLINE, _TEXT, _PHONETIC = f"{MAIN} is", f"{MAIN} t", f"{MAIN} rPh"
CHUNK = 1 << 20

#: A cell as read: its value (None when empty) and whether it holds a formula.
Cell = tuple[Any, bool]


@dataclass(frozen=True)
class SheetFormats:
    """What turns a cell's stored text into its value, read from the workbook by openpyxl."""

    shared_strings: Sequence[str]
    date_styles: frozenset[int]
    timedelta_styles: frozenset[int]
    epoch: datetime


class DeclaresEntities(ValueError):
    """The sheet declares XML entities: no spreadsheet writes them; a bomb might."""


def sheet_rows(source: IO[bytes], formats: SheetFormats) -> Iterator[list[Cell]]:
    """Each row of the sheet from row 1 on, gaps as empty rows, as openpyxl's read-only
    `iter_rows(min_row=1)` gives them after `reset_dimensions()`: a row runs up to its
    last cell's column, earlier missing cells are (None, False), and a row numbered
    lower than one already given is skipped."""
    reader = _SheetReader(formats)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.EntityDeclHandler = _refuse_entities
    counter = 1
    while True:
        chunk = source.read(CHUNK)
        parser.Parse(chunk, not chunk)
        for number, cells in reader.done:
            while counter < number:
                counter += 1
                yield []
            if counter == number:
                counter += 1
                yield _laid_out(cells)
        reader.done.clear()
        if not chunk:
            return


def _laid_out(cells: list[tuple[int, Cell]]) -> list[Cell]:
    if not cells:
        return []
    width = cells[-1][0]  # openpyxl: up to the last cell's column, not the widest
    row: list[Cell] = [(None, False)] * width
    for column, cell in cells:
        if 1 <= column <= width:
            row[column - 1] = cell
    return row


def _refuse_entities(*_: object) -> None:
    raise DeclaresEntities("the worksheet declares XML entities")


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
        elif name in (_VALUE, _FORMULA):
            self.parts = []
            if name == _FORMULA:
                self.formula = attrs
        elif name == _ROW:
            self.row_number = _row_number(attrs.get("r"), self.row_number)
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

    def end(self, name: str) -> None:
        if name == _CELL:
            attrs = self.cell
            coordinate = attrs.get("r")
            if coordinate:
                self.column = _column(coordinate.rstrip(_DIGITS))
            else:
                self.column += 1
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
