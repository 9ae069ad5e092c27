"""What a table is once read: a header and rows of text, with formula cells marked.

Shared by the CSV and XLSX readers (`core.tabular.text`, `core.tabular.xlsx`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from core.errors import ValidationError

#: Longest cell we accept (csv's own default limit; Excel stops at 32,767 characters).
MAX_CELL_CHARS = 131_072
#: Most lines of the file one CSV row may run over (line breaks inside quoted cells: an
#: address or a memo of a few lines). More means a quote was never closed.
MAX_ROW_LINES = 20
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
        """No cell holds anything but whitespace. (Asked of every row: a loop that stops
        at the first filled cell, usually the first, instead of joining the row.)"""
        for cell in self.cells:  # noqa: SIM110 - a generator costs more than the loop
            if cell and not cell.isspace():
                return False
        return True


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

    def columns(self, filename: str, wanted: Iterable[str]) -> dict[str, int]:
        """Header key → column index, for the `wanted` keys the header has. A wanted key
        the header holds twice is a `ValidationError` naming it: which column holds the
        values is anybody's guess. Blank or repeated headers of columns nobody reads are
        fine."""
        keys = self.keys
        found: dict[str, int] = {}
        for key in set(wanted):
            at = [i for i, k in enumerate(keys) if k == key]
            if len(at) > 1:
                raise ValidationError(
                    f"{filename}: column {self.header[at[0]]} is in the header twice "
                    f"(columns {at[0] + 1} and {at[1] + 1}, header row {self.header_number}); "
                    "rename or remove one",
                    field=self.header[at[0]],
                    row=self.header_number,
                )
            if at:
                found[key] = at[0]
        return found

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
