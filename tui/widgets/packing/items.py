"""`PackageItems`: the package on the station — each item's code, name, and scanned of
expected — refreshed from every answer that carries the package."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from core.shipping.pack_station import Item, PackAnswer
from tui.i18n import t


class PackageItems(DataTable[object]):
    def on_mount(self) -> None:
        self.cursor_type = "none"
        self.add_column(t("packing.col.code"), key="code")
        self.add_column(t("packing.col.item"), key="item")
        self.add_column(t("packing.col.count"), key="count")

    def show(self, answer: PackAnswer) -> None:
        """The answer's items; a refused package or an answer without one clears the table."""
        self.clear()
        if answer.kind in ("hold", "refused", "verified"):
            return
        for item in answer.items:
            self.add_row(item.code, _name(item), _count(item), key=item.code)


def _name(item: Item) -> str:
    return f"{item.title} {item.spec}".strip()


def _count(item: Item) -> Text:
    style = "bold green" if item.done else "bold"
    return Text(f"{item.scanned}/{item.expected}", style=style)
