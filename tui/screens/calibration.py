"""Calibrating a printer: offsets in millimetres, the test page redrawn as they change.

The preview is the printer's test page rendered at the offsets typed so far
(`core.printing.preview.preview_test_page`, nothing stored) and drawn in half blocks: the
rulers' 0 should sit on the paper's edge. Saving stores the offsets
(`core.printing.printers.calibrate`); "save and print" then sends the real test page, so
the operator can compare paper with screen.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Static

from core.printing import printer_tools, printers
from core.printing.preview import Preview, preview_test_page
from core.printing.printers import PrinterConfig
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubModal
from tui.widgets.common.halfblocks import image_lines
from tui.widgets.common.inputs import FieldInput

STEP_MM = 0.5


def millimetres(text: str) -> float | None:
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return None


class CalibrationDialog(OrderhubModal[bool | None]):
    ACTIONS: ClassVar = (
        ScreenAction(
            "nudge(-1, 0)", "ctrl+left", "settings.calibrate.left", footer=False, priority=True
        ),
        ScreenAction(
            "nudge(1, 0)", "ctrl+right", "settings.calibrate.right", footer=False, priority=True
        ),
        ScreenAction(
            "nudge(0, -1)", "ctrl+up", "settings.calibrate.up", footer=False, priority=True
        ),
        ScreenAction(
            "nudge(0, 1)", "ctrl+down", "settings.calibrate.down", footer=False, priority=True
        ),
    )

    def __init__(self, printer: PrinterConfig) -> None:
        super().__init__()
        self.printer = printer

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog calibration-dialog"):
            yield Label(
                t("settings.calibrate.title", name=self.printer.name), classes="dialog-title"
            )
            with Horizontal(id="calibration-body"):
                with VerticalScroll(id="calibration-controls"):
                    yield Static(t("settings.calibrate.help"), classes="bind-help")
                    yield Label(t("settings.calibrate.dx"), classes="field-label")
                    yield FieldInput(f"{self.printer.offset_x_mm:g}", id="dx")
                    yield Label(t("settings.calibrate.dy"), classes="field-label")
                    yield FieldInput(f"{self.printer.offset_y_mm:g}", id="dy")
                    yield Button(t("settings.calibrate.save"), variant="primary", id="save")
                    yield Button(t("settings.calibrate.save_print"), id="save-print")
                    yield Button(t("app.cancel"), id="cancel")
                yield Static("", id="calibration-preview", classes="picture")

    def on_mount(self) -> None:
        self.query_one("#dx", FieldInput).focus()
        self._redraw()

    def offsets(self) -> tuple[float, float] | None:
        dx = millimetres(self.query_one("#dx", FieldInput).value)
        dy = millimetres(self.query_one("#dy", FieldInput).value)
        return None if dx is None or dy is None else (dx, dy)

    def action_nudge(self, right: int, down: int) -> None:
        offsets = self.offsets() or (0.0, 0.0)
        self.query_one("#dx", FieldInput).value = f"{offsets[0] + right * STEP_MM:g}"
        self.query_one("#dy", FieldInput).value = f"{offsets[1] + down * STEP_MM:g}"

    @on(FieldInput.Changed)
    def _redraw(self) -> None:
        offsets = self.offsets()
        if offsets is None:
            return
        hub, name = self.hub, self.printer.name
        hub.in_background(
            lambda: preview_test_page(
                hub.core, hub.actor, name, offset_x_mm=offsets[0], offset_y_mm=offsets[1]
            ),
            self._draw,
            group="settings-calibration",
        )

    def _draw(self, preview: Preview) -> None:
        if not self.is_attached:
            return
        picture = self.query_one("#calibration-preview", Static)
        columns = max(picture.size.width, 20)
        rows = max(picture.size.height, 8)
        picture.update("\n".join(image_lines(preview.png, columns, rows)))

    def _save(self) -> bool:
        offsets = self.offsets()
        if offsets is None:
            self.hub.inform(t("settings.calibrate.numbers"))
            return False
        hub, name = self.hub, self.printer.name
        saved = hub.attempt(lambda: printers.calibrate(hub.core, hub.actor, name, *offsets))
        if isinstance(saved, Reported):
            return False
        hub.inform(t("settings.calibrate.saved", name=name, dx=offsets[0], dy=offsets[1]))
        return True

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        if self._save():
            self.dismiss(True)

    @on(Button.Pressed, "#save-print")
    def _save_and_print(self) -> None:
        if not self._save():
            return
        hub, name = self.hub, self.printer.name
        hub.in_background(
            lambda: printer_tools.print_test_page(hub.core, hub.actor, name),
            lambda sent: hub.inform(t("settings.printers.tested", name=name, size=sent)),
            group="settings-test-page",
        )

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
