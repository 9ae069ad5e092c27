"""The desk's status tabs with live counts: one line on a wide terminal, two on 80 columns.

Keys 1–9 pick the tabs of `core.desk.query.TABS` in order and 0 picks "all"; a click
works too. Counts come from `core.desk.search.count_tabs` for the current filter.
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from core.desk.query import TABS
from tui.i18n import t

ALL = "all"
STRIP = (*TABS, ALL)


def key_of(tab: str) -> str:
    """The digit that picks `tab`."""
    return "0" if tab == ALL else str(TABS.index(tab) + 1)


class TabStrip(Static):
    active: reactive[str] = reactive(TABS[0])
    counts: reactive[dict[str, int] | None] = reactive(None)

    def render_markup(self) -> str:
        parts = []
        counts = self.counts or {}
        for tab in STRIP:
            number = sum(counts.values()) if tab == ALL else counts.get(tab)
            label = t(f"desk.tab.{tab}")
            shown = f"{label} {number:,}" if number is not None and self.counts else label
            style = "reverse bold" if tab == self.active else ("dim" if number == 0 else "")
            text = f"[dim]{key_of(tab)}[/dim]{shown}"
            text = f"[{style}] {text} [/{style}]" if style else f" {text} "
            parts.append(f"[@click=screen.show_tab('{tab}')]{text}[/]")
        return " ".join(parts)

    def watch_active(self) -> None:
        self.update(self.render_markup())

    def watch_counts(self) -> None:
        self.update(self.render_markup())

    def on_mount(self) -> None:
        self.update(self.render_markup())
