"""The order detail screen (订单详情): the summary, then lines, packages and waybills, print
history and the audit trail in tabs.

Read with `core.desk.show.show_order`. The receiver is masked; `v` asks the same service
with `reveal=True`, which needs `pii.view` and records an `order.reveal` audit event — a
user without it gets the permission refusal as a notice (`tui.errors`), and the masked
receiver stays. `e` edits the local remark and `g` the local flag (`core.desk.edits`,
version-checked: a change someone made meanwhile is a conflict, not lost).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from core.desk import edits
from core.desk.show import OrderDetail, show_order
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.dialogs import ChoiceDialog, TextDialog
from tui.widgets.common.header import TopBar
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.detail import sections
from tui.widgets.detail.summary import summary_markup

SECTIONS = (
    ("lines", sections.fill_lines),
    ("packages", sections.fill_packages),
    ("prints", sections.fill_prints),
    ("trail", sections.fill_trail),
)


class DetailScreen(OrderhubScreen[None]):
    ACTIONS: ClassVar = (
        ScreenAction("back", "escape", "detail.back", "detail.back.help"),
        ScreenAction("reveal", "v", "detail.reveal", "detail.reveal.help"),
        ScreenAction("remark", "e", "detail.remark", "detail.remark.help"),
        ScreenAction("flag", "g", "detail.set_flag", "detail.set_flag.help"),
        ScreenAction("refresh", "ctrl+r", "detail.refresh", "detail.refresh.help", False),
    )

    def __init__(self, order_no: str, shop: str) -> None:
        super().__init__()
        self.order_no, self.shop = order_no, shop
        self.detail: OrderDetail | None = None

    def compose(self) -> ComposeResult:
        yield TopBar(t("detail.title", order=self.order_no))
        with VerticalScroll(id="detail-summary"):
            yield Static(id="summary")
        with TabbedContent(id="detail-sections"):
            for name, _ in SECTIONS:
                with TabPane(t(f"detail.tab.{name}"), id=f"section-{name}"):
                    yield DataTable(id=f"table-{name}", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.load(reveal=False)

    def load(self, *, reveal: bool) -> None:
        hub, number, shop = self.hub, self.order_no, self.shop
        hub.in_background(
            lambda: show_order(hub.core, hub.actor, number, shop=shop, reveal=reveal),
            self.show,
            group="detail",
        )

    def show(self, detail: OrderDetail) -> None:
        self.detail = detail
        self.query_one("#summary", Static).update(summary_markup(detail))
        for name, fill in SECTIONS:
            fill(self.query_one(f"#table-{name}", DataTable), detail)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reveal(self) -> None:
        self.load(reveal=True)

    def action_refresh(self) -> None:
        self.load(reveal=bool(self.detail and self.detail.receiver.revealed))

    def action_remark(self) -> None:
        detail = self.detail
        if detail is None:
            return
        dialog = TextDialog(t("detail.remark"), t("detail.local_remark"), value=detail.local_remark)
        self.app.push_screen(dialog, self._save_remark)

    def _save_remark(self, text: str | None) -> None:
        self._edit(text, edits.set_remark, "detail.remark.saved")

    def action_flag(self) -> None:
        choices = [(c, t(f"detail.colour.{c}")) for c in (*edits.FLAG_COLOURS, "none")]
        self.app.push_screen(ChoiceDialog(t("detail.set_flag"), choices), self._save_flag)

    def _save_flag(self, colour: str | None) -> None:
        self._edit(colour, edits.set_flag, "detail.flag.saved")

    def _edit(self, value: str | None, change: Callable[..., object], done: str) -> None:
        """Apply a dialog's answer to the order shown (version-checked), then reload it."""
        hub, detail = self.hub, self.detail
        if value is None or detail is None:
            return
        saved = hub.attempt(
            lambda: change(
                hub.core, hub.actor, self.order_no, value, expected_version=detail.version
            )
        )
        if not isinstance(saved, Reported):
            hub.inform(t(done))
            self.action_refresh()
