"""What a written cell may hold, and how it is spelled as text: the rules every table
writer (`core.tabular.writing`'s CSV, `core.tabular.xlsx_writer`) shares.

`core.tabular.writing`'s docstring says why each rule is what it is (neutralising formula
starts reversibly, Excel's limits, plain types); they live here so that both writers
apply the same code, and neither imports the other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from core.clock import SHANGHAI
from core.errors import ValidationError

Cell = str | int | float | datetime | date | None

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: What a text cell may start with to need `neutralise` (a formula character or a quote).
LOOK = (*FORMULA_START, "'")
#: Cell types csv.writer writes right by itself (None as "", ints by str).
PASS_THROUGH = frozenset({str, int, type(None)})
#: Quotes before a formula character: a neutralised cell (or text that looks like one).
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
#: Rows an XLSX sheet holds below its header (Excel's 1,048,576 rows minus one).
MAX_XLSX_DATA_ROWS = 1_048_575
#: Characters Excel keeps in one cell.
MAX_XLSX_CELL_CHARS = 32_767
#: Ints Excel holds exactly (it keeps 15 significant digits).
EXACT_INT = 10**15
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: Asia/Shanghai's offset from UTC, without daylight saving since 1991.
_SHANGHAI_OFFSET = timedelta(hours=8)
_DATE_FORMAT = "%Y-%m-%d"


def neutralise(text: str) -> str:
    """`text`, prefixed with `'` when a spreadsheet would run it as a formula — or when it
    already starts with quotes before a formula character (`'=x` → `''=x`), so that
    `restore` gives every text back exactly."""
    if text.startswith(FORMULA_START) or (text.startswith("'") and _QUOTED.match(text)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The text `neutralise` was given (what an import of our own export should read)."""
    if text.startswith("'") and _QUOTED.match(text):
        return text[1:]
    return text


def check_width(number: int, row: Sequence[Cell], width: int) -> None:
    if len(row) != width:
        raise ValueError(f"data row {number} has {len(row)} cells for {width} columns")


# -- CSV ---------------------------------------------------------------------------------


def as_text(value: Cell) -> str:
    # Ordered by how often exports hold them: text, ints, empty, times, floats.
    if type(value) is str:
        return neutralise(value)
    if type(value) is int:
        return str(value)
    if value is None:
        return ""
    if type(value) is datetime and value.tzinfo is UTC and 1991 < value.year < 9999:
        # What the database gives: UTC+8 added and the zone cut off, by C calls alone
        # (astimezone and strftime took two thirds of a CSV export's cell work).
        return (value + _SHANGHAI_OFFSET).isoformat(" ", "seconds")[:19]
    value = plain(value)
    if type(value) is str:
        return neutralise(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(SHANGHAI)
        return value.strftime(_TIME_FORMAT)  # seconds: the format has no fraction or zone
    if isinstance(value, date):
        return value.strftime(_DATE_FORMAT)
    if type(value) is int:
        return str(value)
    if type(value) is float:
        if value.is_integer() and abs(value) < EXACT_INT:
            return str(int(value))  # as core.tabular reads a whole XLSX number back
        return repr(value)
    raise TypeError(f"cannot write a {type(value).__name__} cell: {value!r}")


def too_long(row: int, column: str, chars: int) -> ValidationError:
    return ValidationError(
        f"row {row}, column {column}: text of {chars:,} characters is longer than an XLSX "
        f"cell holds ({MAX_XLSX_CELL_CHARS:,}); export as CSV",
        field=column,
        row=row,
    )


def plain(value: Cell) -> Cell:
    """Subclasses (bool, IntEnum, StrEnum) as their plain base type; others unchanged."""
    kind = type(value)
    if kind is str or kind is int or kind is float or value is None:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value
