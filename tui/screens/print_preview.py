"""The label preview: the PNG `core.printing.preview` rendered, drawn in the terminal with
half blocks (`tui.widgets.printing.halfblock`), sized to the room the terminal has, with
what it shows under it (template, order and waybill, or "sample data"; the receiver is
masked). `+` and `-` zoom (the picture scrolls); `s` saves the PNG itself to the data
directory's `previews/` folder, to look at in full resolution."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.widgets import Label, Static

from core.printing.preview import Preview
from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.base import OrderhubModal
from tui.widgets.printing.halfblock import half_blocks

#: Cells the dialog keeps around the picture (border, caption, footer line).
MARGIN_COLUMNS, MARGIN_ROWS = 6, 7
ZOOMS = (1, 2, 4)


class PreviewDialog(OrderhubModal[None]):
    ACTIONS: ClassVar = (
        ScreenAction("zoom_in", "plus", "printing.preview.zoom_in", "printing.preview.zoom.help"),
        ScreenAction(
            "zoom_out", "minus", "printing.preview.zoom_out", "printing.preview.zoom.help"
        ),
        ScreenAction("save", "s", "printing.preview.save", "printing.preview.save.help"),
    )

    def __init__(self, shown: Preview) -> None:
        super().__init__()
        self.shown = shown
        self.zoom = 0  # index into ZOOMS

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="preview-box"):
            yield Label(
                t("printing.preview.title", template=self.shown.template), classes="dialog-title"
            )
            with ScrollableContainer(id="preview-scroll"):
                yield Static(id="preview-picture")
            yield Static(self._caption(), id="preview-caption")

    def on_mount(self) -> None:
        self._draw()
        self.query_one("#preview-scroll").focus()

    def _draw(self) -> None:
        """The picture fitted to the terminal, times the zoom."""
        factor = ZOOMS[self.zoom]
        columns = max(20, self.app.size.width - MARGIN_COLUMNS) * factor
        rows = max(8, self.app.size.height - MARGIN_ROWS) * factor
        picture = half_blocks(self.shown.png, columns, rows)
        self.query_one("#preview-picture", Static).update(picture)

    def action_zoom_in(self) -> None:
        self.zoom = min(self.zoom + 1, len(ZOOMS) - 1)
        self._draw()

    def action_zoom_out(self) -> None:
        self.zoom = max(self.zoom - 1, 0)
        self._draw()

    def _caption(self) -> str:
        shown = self.shown
        size = f"{shown.width_mm:g}×{shown.height_mm:g}mm"
        if shown.sample:
            return t("printing.preview.sample", size=size)
        return t(
            "printing.preview.order",
            size=size,
            order=shown.order_number,
            waybill=shown.waybill or "–",
            receiver=shown.receiver or "–",
        )

    def action_save(self) -> None:
        hub = self.hub
        folder = Path(hub.core.settings.data_dir) / "previews"
        name = "-".join(p for p in (self.shown.template, self.shown.order_number) if p)
        path = folder / f"{name.replace('@', '-v')}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.shown.png)
        except OSError as exc:
            hub.report(exc)
            return
        hub.inform(t("printing.preview.saved", path=str(path)))
