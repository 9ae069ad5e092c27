"""The reports screen (报表): pick a report, a period and a grouping; read its table and
its terminal chart; export it as XLSX, CSV or a PNG chart.

Everything comes from `core.reports.catalog`: the list is `REPORTS`, a report is made by
`run_report` (which checks `report.view`, the dates and the grouping — a refusal or a bad
date is a notice), and the table and chart draw the `Report` it returns
(`display_rows`, `chart_data`). A report reads up to a million orders, so it runs in a
worker (`OrderhubApp.in_background`, newest run wins) and the screen stays live.
Exports go through `core.reports.output`, as `orderhub report --xlsx/--csv/--png` does;
writing over a file that exists is asked first.

The period is two dates (Asia/Shanghai days, both included), by default the last 30
days; `7`, `3` and `9` set the last 7, 30 or 90 days; `b` takes the report's next
grouping; the shop box shows for reports that filter by shop. On a terminal narrower
than 100 columns the table and the chart take turns (`v`): stacked in 24 rows each would
get 8 rows, too few for either to be read. The table comes first: its numbers are exact
and the note on hidden money columns sits above it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from core import clock
from core.errors import ValidationError
from core.reports.catalog import REPORTS, ReportInfo, run_report
from core.reports.model import Report
from tui.actions import ScreenAction
from tui.errors import Notice
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.dialogs import ConfirmDialog, TextDialog
from tui.widgets.common.header import TopBar
from tui.widgets.common.inputs import FieldInput
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.reports.chart import ReportChart
from tui.widgets.reports.table import ReportTable

BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
DEFAULT_DAYS = 30
PRESETS = (("7", 7), ("3", 30), ("9", 90))
EXPORTS = (".xlsx", ".csv", ".png")


def report_name(name: str) -> str:
    return t(f"reports.name.{name}")


def grouping_name(by: str) -> str:
    return t(f"reports.by.{by}")


class ReportsScreen(OrderhubScreen[None]):
    HORIZONTAL_BREAKPOINTS: ClassVar = BREAKPOINTS
    ACTIONS: ClassVar = (
        ScreenAction("close", "escape", "app.back", "reports.close.help", footer=False),
        ScreenAction("run", "ctrl+r", "reports.run", "reports.run.help", priority=True),
        ScreenAction("next_grouping", "b", "reports.next_grouping", "reports.next_grouping.help"),
        *(
            ScreenAction(f"last_days({days})", key, f"reports.days.{days}", "reports.days.help")
            for key, days in PRESETS
        ),
        ScreenAction("toggle_view", "v", "reports.toggle_view", "reports.toggle_view.help"),
        ScreenAction("export", "e", "reports.export", "reports.export.help"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.name_shown = next(iter(REPORTS))
        self.by = REPORTS[self.name_shown].groupings[0]
        self.report: Report | None = None
        self.running = False
        self.runs = 0  # reports shown so far (tests wait on it)

    @property
    def info(self) -> ReportInfo:
        return REPORTS[self.name_shown]

    def compose(self) -> ComposeResult:
        last = clock.now().astimezone(clock.SHANGHAI).date()
        first = last - timedelta(days=DEFAULT_DAYS - 1)
        yield TopBar(t("reports.title"))
        with Horizontal(id="reports-body"):
            yield OptionList(
                *(Option(report_name(name), id=name) for name in REPORTS), id="reports-list"
            )
            with Vertical(id="reports-main"):
                with Horizontal(id="reports-controls"):
                    yield Label(t("reports.from"), classes="reports-label")
                    yield FieldInput(first.isoformat(), id="reports-from", classes="reports-date")
                    yield Label(t("reports.to"), classes="reports-label")
                    yield FieldInput(last.isoformat(), id="reports-to", classes="reports-date")
                    yield Label("", id="reports-by")
                    yield Label(t("reports.shop"), classes="reports-label", id="reports-shop-label")
                    yield FieldInput(placeholder=t("reports.shop.all"), id="reports-shop")
                yield Static("", id="reports-status")
                yield Static("", id="reports-note")
                yield ReportTable(id="reports-table")
                yield ReportChart(id="reports-chart")
        yield KeyBar()

    def on_mount(self) -> None:
        self.add_class("-show-table")
        reports = self.query_one("#reports-list", OptionList)
        reports.highlighted = 0
        reports.focus()
        self._controls()
        self.action_run()

    # ------------------------------------------------------------ choosing

    @on(OptionList.OptionHighlighted, "#reports-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        name = event.option.id
        if name and name != self.name_shown:
            self.name_shown = name
            self.by = self.info.groupings[0]
            self._controls()
            self.action_run()

    @on(FieldInput.Submitted)
    def _submitted(self) -> None:
        self.action_run()

    def action_next_grouping(self) -> None:
        groupings = self.info.groupings
        self.by = groupings[(groupings.index(self.by) + 1) % len(groupings)]
        self._controls()
        self.action_run()

    def action_last_days(self, days: int) -> None:
        last = clock.now().astimezone(clock.SHANGHAI).date()
        self.query_one("#reports-from", FieldInput).value = (
            last - timedelta(days=days - 1)
        ).isoformat()
        self.query_one("#reports-to", FieldInput).value = last.isoformat()
        self.action_run()

    def action_toggle_view(self) -> None:
        chart = self.has_class("-show-table")
        self.set_class(not chart, "-show-table")
        self.set_class(chart, "-show-chart")

    def action_close(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_grouping":
            return len(self.info.groupings) > 1
        if action == "toggle_view":
            return self.has_class("-narrow")
        if action == "export":
            return self.report is not None
        return True

    def _controls(self) -> None:
        self.query_one("#reports-by", Label).update(
            t("reports.grouping", by=grouping_name(self.by))
        )
        shop = self.info.shop_filter
        self.query_one("#reports-shop-label").display = shop
        self.query_one("#reports-shop").display = shop
        self.refresh_bindings()

    # ------------------------------------------------------------ running

    def action_run(self) -> None:
        hub, name, by = self.hub, self.name_shown, self.by
        first = self.query_one("#reports-from", FieldInput).value.strip()
        last = self.query_one("#reports-to", FieldInput).value.strip()
        shop_text = self.query_one("#reports-shop", FieldInput).value.strip()
        shop = shop_text if self.info.shop_filter and shop_text else None
        core, actor = hub.core, hub.actor
        self.running = True
        self.query_one("#reports-status", Static).update(
            t("reports.running", name=report_name(name))
        )
        hub.in_background(
            lambda: run_report(core, actor, name, first, last, by=by, shop=shop),
            self.show,
            group="reports-run",
            failed=lambda: self._failed(name),
        )

    def show(self, report: Report) -> None:
        self.running = False
        self.report = report
        self.runs += 1
        name = report_name(report.name)
        self.query_one("#reports-status", Static).update(
            t(
                "reports.status",
                name=name,
                period=str(report.period),
                by=grouping_name(report.by),
                rows=len(report.rows),
            )
        )
        notes = list(report.notes)
        if report.hidden:
            notes.insert(0, t("reports.hidden", columns=t("reports.separator").join(report.hidden)))
        note = self.query_one("#reports-note", Static)
        note.update("\n".join(notes))
        note.display = bool(notes)
        self.query_one(ReportTable).show(report)
        data = report.chart_data()
        if data is None:
            message = t("reports.chart.none_hidden" if report.hidden else "reports.chart.none")
        else:
            message = t("reports.empty")
        self.query_one(ReportChart).show(data, name, message)
        self.refresh_bindings()

    def _failed(self, name: str) -> None:
        self.running = False
        self.report = None
        self.runs += 1
        self.query_one("#reports-status", Static).update(
            t("reports.failed", name=report_name(name))
        )
        self.query_one("#reports-note", Static).display = False
        self.query_one(ReportTable).show(None)
        self.query_one(ReportChart).show(None, "", "")
        self.refresh_bindings()

    # ------------------------------------------------------------ exporting

    def action_export(self) -> None:
        report = self.report
        if report is None:
            self.hub.inform(t("reports.export.nothing"))
            return
        suggested = f"{report.name}-{report.period.first}-{report.period.last}.xlsx"

        def chosen(typed: str | None) -> None:
            if not typed:
                return
            path = Path(typed).expanduser().resolve()
            if not path.exists():
                self.export(report, path)
                return
            ask = ConfirmDialog(t("reports.export"), t("reports.export.overwrite", path=path))
            self.app.push_screen(ask, lambda yes: self.export(report, path) if yes else None)

        dialog = TextDialog(t("reports.export"), t("reports.export.prompt"), value=suggested)
        self.app.push_screen(dialog, chosen)

    def export(self, report: Report, path: Path) -> None:
        """Write `report` to `path` in the format its extension names, off the UI thread."""
        hub = self.hub
        if path.suffix.lower() not in EXPORTS:
            message = t("reports.export.bad_suffix", path=path)
            hub.tell(Notice(t("reports.export"), message, "error"))
            return
        hub.in_background(
            lambda: write_export(report, path),
            lambda done: hub.inform(done, t("reports.export")),
            group="reports-export",
            exclusive=False,
        )


def write_export(report: Report, path: Path) -> str:
    """The report into `path` through `core.reports.output` (as the CLI writes it); what
    to tell the operator. Loaded here: matplotlib is only imported by an export."""
    from core.reports import output

    fmt = path.suffix.lower().lstrip(".")
    try:
        if fmt == "png":
            output.save_png(report, path)
            return t("reports.exported_chart", path=path)
        with path.open("wb") as out:
            rows = output.write_report(report, out, fmt)  # type: ignore[arg-type]
    except OSError as exc:
        raise ValidationError(f"cannot write {path}: {exc.strerror or exc}", field="path") from exc
    return t("reports.exported_rows", rows=rows, path=path)
