"""The pack station (扫描验货): one input that takes scanner bursts — the waybill, then each
item — answered by `core.shipping.pack_station.PackStation.scan`, as `orderhub pack` does.

A scanner types its code fast and ends with Enter, so the input keeps the focus and every
key the screen offers is a function or control key. Scans are answered on the UI thread,
one after the other, in the order they came: a scan is two indexed queries (or the verify
transaction), and a queued burst must never overtake itself. The answer shows in the
`Verdict` banner (green, red for 拦截, amber for a wrong item), the package's items below
it, and the session's counters beside it. Intercepted parcels (held packages whose
waybill is still live) are one key away (`tui.screens.intercepted`).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label

from core.shipping.pack_station import PackAnswer, PackStation, open_station
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.intercepted import InterceptedScreen
from tui.widgets.common.header import TopBar
from tui.widgets.common.inputs import FieldInput
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.packing.counters import SessionCounters
from tui.widgets.packing.items import PackageItems
from tui.widgets.packing.verdict import Verdict

BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]


class PackScreen(OrderhubScreen[None]):
    HORIZONTAL_BREAKPOINTS: ClassVar = BREAKPOINTS
    ACTIONS: ClassVar = (
        ScreenAction("clear", "escape", "packing.clear", "packing.clear.help", priority=True),
        ScreenAction(
            "intercepted",
            "ctrl+g",
            "packing.intercepted",
            "packing.intercepted.help",
            priority=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.station: PackStation | None = None

    def compose(self) -> ComposeResult:
        yield TopBar(t("packing.title"))
        with Horizontal(id="pack-body"):
            with Vertical(id="pack-main"):
                yield Label(t("packing.prompt"), id="pack-prompt")
                yield FieldInput(placeholder=t("packing.placeholder"), id="pack-scan")
                yield Verdict(id="pack-verdict")
                yield PackageItems(id="pack-items")
            yield SessionCounters(id="pack-counters")
        yield KeyBar()

    def on_mount(self) -> None:
        hub = self.hub
        station = hub.attempt(lambda: open_station(hub.core, hub.actor))
        scan = self.query_one("#pack-scan", FieldInput)
        if isinstance(station, Reported):
            scan.disabled = True
            self.query_one(Verdict).idle(t("packing.no_station"))
            return
        self.station = station
        scan.focus()

    def on_screen_resume(self) -> None:
        self.query_one("#pack-scan", FieldInput).focus()

    @on(FieldInput.Submitted, "#pack-scan")
    def _scanned(self, event: FieldInput.Submitted) -> None:
        code = event.value
        event.input.value = ""
        if self.station is None or not code.strip():
            return
        self.show(self._scan(self.station, code))

    def _scan(self, station: PackStation, code: str) -> PackAnswer:
        answer = self.hub.attempt(lambda: station.scan(code))
        if isinstance(answer, Reported):  # told in a notice; the banner says to look there
            return PackAnswer(False, "error", t("packing.failed"), loud=True)
        return answer

    def show(self, answer: PackAnswer) -> None:
        self.query_one(Verdict).show(answer)
        self.query_one(PackageItems).show(answer)
        self.query_one(SessionCounters).count(answer)

    def action_clear(self) -> None:
        """Take a half-scanned package off the station (nothing is written)."""
        left = self.station.abandon() if self.station is not None else None
        self.query_one(PackageItems).clear()
        message = t("packing.cleared", package=left) if left else t("packing.verdict.ready")
        self.query_one(Verdict).idle(message)
        self.query_one("#pack-scan", FieldInput).focus()

    def action_intercepted(self) -> None:
        self.app.push_screen(InterceptedScreen())
