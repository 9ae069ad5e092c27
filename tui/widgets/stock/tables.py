"""The stock screen's three tables, each showing one page (`tui.widgets.stock.listing`)
and answering which row the cursor is on (`current`), so an action can start from it.

Levels with nothing available (available ≤ 0) are drawn in red: what the operator must
see first. Cells are data, never markup (`Text`), whatever a SKU's name holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

from core.money import fen_to_yuan_text
from core.stock.catalogue import SkuInfo
from core.stock.levels import LevelInfo
from core.stock.mapping import UnmappedSku
from tui.i18n import t
from tui.widgets.stock.listing import Shown

R = TypeVar("R")
SHORT = "bold red"
NAME_WIDTH = 30  # cells of a name or title; the rest is cut (the filter finds it whole)


class PageTable(DataTable[object], Generic[R]):
    """A row-cursor table of one page of `R`; `COLUMNS` are catalogue keys, numbers
    (`NUMERIC`) right-aligned."""

    COLUMNS: ClassVar[tuple[str, ...]] = ()
    NUMERIC: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_shown: tuple[R, ...] = ()

    def columns_for(self, shown: Shown[R]) -> tuple[str, ...]:
        return self.COLUMNS

    def cells(self, row: R) -> Sequence[str | Text]:
        raise NotImplementedError

    def show(self, shown: Shown[R]) -> None:
        """Show `shown`'s rows; the cursor stays on its line (a row changed in place, e.g.
        after a receipt, keeps it). Column widths are worked out here from the page, not
        left to the table's measuring when idle, which could draw a page before it and
        leave a column one cell short."""
        line = self.cursor_row
        columns = self.columns_for(shown)
        labels = [t(f"stock.col.{key}") for key in columns]
        numeric = [key in self.NUMERIC for key in columns]
        rows = [
            [_cell(c, right) for c, right in zip(self.cells(row), numeric, strict=True)]
            for row in shown.rows
        ]
        widths = [cell_len(label) for label in labels]
        for cells in rows:
            widths = [max(w, c.cell_len) for w, c in zip(widths, cells, strict=True)]
        self.clear(columns=True)
        for key, label, width in zip(columns, labels, widths, strict=True):
            self.add_column(label, key=key, width=width)
        self.rows_shown = shown.rows
        for index, cells in enumerate(rows):
            self.add_row(*cells, key=str(index))
        if self.row_count:
            self.move_cursor(row=min(max(line, 0), self.row_count - 1))

    @property
    def current(self) -> R | None:
        if not self.row_count:
            return None
        return self.rows_shown[self.cursor_row]


def _cell(value: str | Text, numeric: bool) -> Text:
    text = value if isinstance(value, Text) else Text(value)
    if numeric:
        text.justify = "right"
    return text


def cut(text: str) -> Text:
    """`text` in at most `NAME_WIDTH` cells (a Chinese character takes two), cut with "…"."""
    shown = Text(text)
    shown.truncate(NAME_WIDTH, overflow="ellipsis")
    return shown


class LevelsTable(PageTable[LevelInfo]):
    COLUMNS = ("warehouse", "code", "name", "on_hand", "reserved", "available")
    NUMERIC = frozenset({"on_hand", "reserved", "available"})

    def cells(self, row: LevelInfo) -> Sequence[str | Text]:
        short = row.available <= 0
        return (
            row.warehouse,
            row.code,
            cut(row.name),
            str(row.on_hand),
            str(row.reserved),
            Text(str(row.available), style=SHORT if short else ""),
        )


class SkusTable(PageTable[SkuInfo]):
    COLUMNS = ("code", "name", "barcode", "weight", "cost")
    NUMERIC = frozenset({"weight", "cost"})

    def columns_for(self, shown: Shown[SkuInfo]) -> tuple[str, ...]:
        """No cost column for a reader without finance.view (the service hides costs)."""
        return self.COLUMNS if shown.costs else self.COLUMNS[:-1]

    def cells(self, row: SkuInfo) -> Sequence[str | Text]:
        cells: list[str | Text] = [row.code, cut(row.name), row.barcode, str(row.weight_g)]
        if row.cost_fen is not None:
            cells.append(fen_to_yuan_text(row.cost_fen))
        return cells


class UnmappedTable(PageTable[UnmappedSku]):
    COLUMNS = ("platform", "platform_sku", "outer_id", "title", "orders")
    NUMERIC = frozenset({"orders"})

    def cells(self, row: UnmappedSku) -> Sequence[str | Text]:
        return (row.platform, row.platform_sku_id, row.outer_id, cut(row.title), str(row.orders))
