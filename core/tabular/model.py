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

# What an XLSX workbook may hold (`core.tabular.xlsx_parts`). Each is checked while the
# package is read, before memory is spent on it: an import stays under ~300 MB resident
# whatever the file holds, and a workbook past a limit is refused in one line.
#: Bytes of the zip's central directory (zipfile keeps ~10× that as ZipInfo objects).
MAX_XLSX_DIRECTORY_BYTES = 1 << 20
#: Bytes any member may unpack to, whatever its header says (parts we stream).
MAX_XLSX_MEMBER_BYTES = 1 << 30
#: Bytes the parts openpyxl reads whole may unpack to (its element tree takes ~20×).
MAX_XLSX_TREE_BYTES = 2 << 20
#: Bytes a member may unpack to per compressed byte (Apache POI's zip-bomb default) …
MAX_XLSX_RATIO = 100
#: … once it unpacks to more than this (small parts compress as they like).
XLSX_RATIO_GRACE_BYTES = 1 << 20
#: Bytes of XML without a tag or text boundary (one huge attribute, tag or comment).
MAX_XML_TOKEN_BYTES = 1 << 20
#: Rows and columns a cell may be at: Excel's own sheet limits (XFD1048576).
MAX_XLSX_ROWS = 1_048_576
MAX_XLSX_COLUMNS = 16_384
#: Cells a sheet may lay out in all, gaps included (a 100,000-row export has 4.7 million).
MAX_XLSX_CELLS = 64_000_000
#: Shared strings, and their characters in all (kept in memory while the sheet is read).
MAX_SHARED_STRINGS = 1_000_000
MAX_SHARED_CHARS = 16_000_000
#: Cell formats and custom number formats in styles.xml (Excel's own limit is 64,000).
MAX_XLSX_STYLES = 64_000
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
