"""The printers section: list, add (typed, or picked from what discovery finds), the test
page, and calibration with a live preview (`tui.screens.calibration`).

Over `core.printing.printers` (add, list) and `core.printing.printer_tools` (discover,
test page). Discovery and the test page talk to devices, so they run in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.widgets import Label, Static

from core.printing import printer_tools, printers
from core.printing.printer_tools import DiscoveryResult
from core.printing.printers import PrinterConfig
from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.calibration import CalibrationDialog
from tui.screens.dialogs import ChoiceDialog
from tui.widgets.settings.base import SettingsSection, SettingsTable, on_off
from tui.widgets.settings.form import Field, FormDialog

COLUMNS = (
    "settings.col.name",
    "settings.printers.col.driver",
    "settings.printers.col.language",
    "settings.printers.col.dpi",
    "settings.printers.col.media",
    "settings.printers.col.offset",
    "settings.col.enabled",
)


def settings_text(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def settings_of(text: str) -> dict[str, Any]:
    """`key=value, key=value` as the driver's settings; whole numbers as numbers."""
    out: dict[str, Any] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            value = value.strip()
            out[key.strip()] = int(value) if value.isascii() and value.isdigit() else value
    return out


def media_of(text: str) -> tuple[float, float] | None:
    """`76x130` (mm) as (width, height); None when it does not read as two numbers."""
    width, sep, height = text.lower().replace("×", "x").partition("x")
    try:
        return (float(width), float(height)) if sep else None
    except ValueError:
        return None


class PrintersSection(SettingsSection):
    SECTION = "printers"
    TITLE = "settings.section.printers"
    ACTIONS: ClassVar = (
        ScreenAction("printer_add", "a", "settings.printers.add", "settings.printers.add.help"),
        ScreenAction(
            "printer_discover", "d", "settings.printers.discover", "settings.printers.discover.help"
        ),
        ScreenAction("printer_test", "t", "settings.printers.test", "settings.printers.test.help"),
        ScreenAction(
            "printer_calibrate",
            "c",
            "settings.printers.calibrate",
            "settings.printers.calibrate.help",
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.printers: dict[str, PrinterConfig] = {}
        self._found: dict[str, tuple[str, Mapping[str, Any]]] = {}

    def compose(self) -> ComposeResult:
        yield SettingsTable(id="printers-table")
        yield Label(t("settings.printers.found"), classes="section-subtitle")
        yield Static(t("settings.printers.found.none"), id="printers-found", markup=False)

    def load(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.fetch(lambda: printers.list_printers(core, actor), self._show, task="load")

    def _show(self, found: list[PrinterConfig]) -> None:
        self.printers = {p.name: p for p in found}
        self.query_one("#printers-table", SettingsTable).fill(
            COLUMNS,
            (
                (
                    p.name,
                    (
                        p.name,
                        p.driver,
                        p.language,
                        p.dpi,
                        f"{p.media_width_mm:g}×{p.media_height_mm:g}",
                        f"{p.offset_x_mm:+g}, {p.offset_y_mm:+g}",
                        on_off(p.enabled),
                    ),
                )
                for p in found
            ),
        )

    def _selected(self) -> PrinterConfig | None:
        key = self.query_one("#printers-table", SettingsTable).selected
        if key is None:
            self.hub.inform(t("settings.none_selected"))
            return None
        return self.printers[key]

    def action_printer_add(
        self, driver: str = "", settings: Mapping[str, Any] | None = None
    ) -> None:
        drivers = sorted(self.hub.core.plugins.printer_drivers())
        fields = [
            Field("name", t("settings.col.name")),
            Field(
                "driver",
                t("settings.printers.col.driver"),
                driver or (drivers[0] if drivers else ""),
                " / ".join(drivers),
            ),
            Field(
                "settings",
                t("settings.printers.settings"),
                settings_text(settings or {}),
                "folder=/srv/labels  ·  host=192.168.1.50, port=9100",
            ),
            Field("media", t("settings.printers.col.media"), "76x130", "76x130"),
            Field(
                "language", t("settings.printers.col.language"), placeholder=t("settings.optional")
            ),
        ]
        self.app.push_screen(FormDialog(t("settings.printers.add"), fields), self._add)

    def _add(self, answer: dict[str, str] | None) -> None:
        if answer is None:
            return
        core, actor = self.hub.core, self.hub.actor
        media = media_of(answer["media"]) or (-1.0, -1.0)  # refused by the service, named
        self.change(
            lambda: printers.add_printer(
                core,
                actor,
                name=answer["name"],
                driver=answer["driver"].strip(),
                settings=settings_of(answer["settings"]),
                language=answer["language"].strip() or None,
                media_mm=media,
            ),
            t("settings.printers.added", name=answer["name"].strip()),
        )

    def action_printer_discover(self) -> None:
        core, actor = self.hub.core, self.hub.actor
        self.query_one("#printers-found", Static).update(t("settings.printers.looking"))
        self.fetch(lambda: printer_tools.discover(core, actor), self._discovered)

    def _discovered(self, results: list[DiscoveryResult]) -> None:
        lines: list[str] = []
        choices: list[tuple[str, str]] = []
        self._found = {}
        for result in results:
            if result.error:
                lines.append(f"{result.driver}: {result.error}")
            for n, info in enumerate(result.printers):
                key = f"{result.driver}:{n}"
                self._found[key] = (result.driver, info.settings)
                label = f"{result.driver} · {info.name} {info.model} {info.detail}".strip()
                choices.append((key, label))
                lines.append(label)
        self.query_one("#printers-found", Static).update(
            "\n".join(lines) or t("settings.printers.found.empty")
        )
        if choices:
            self.app.push_screen(ChoiceDialog(t("settings.printers.pick"), choices), self._picked)

    def _picked(self, key: str | None) -> None:
        if key is not None:
            driver, settings = self._found[key]
            self.action_printer_add(driver, settings)

    def action_printer_test(self) -> None:
        printer = self._selected()
        if printer is None:
            return
        core, actor = self.hub.core, self.hub.actor
        self.fetch(
            lambda: printer_tools.print_test_page(core, actor, printer.name),
            lambda sent: self.hub.inform(
                t("settings.printers.tested", name=printer.name, size=sent)
            ),
        )

    def action_printer_calibrate(self) -> None:
        printer = self._selected()
        if printer is not None:
            self.app.push_screen(CalibrationDialog(printer), lambda saved: self.load())
