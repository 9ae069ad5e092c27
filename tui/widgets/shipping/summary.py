"""`ShippingSummary`: the outbox's counts by state, how long the oldest confirmation has
waited, and how many packages are ready to confirm (verified; printed too unless the org
ships verified packages only). `DrainWatch` turns the drain's progress reports
(`core.runtime.progress.Progress`) into messages for the screen's bar: the drain runs in a
thread, and posting a message is thread-safe."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Static

from core import clock
from core.shipback.overview import ReadyCounts
from tui.i18n import t
from tui.widgets.shipping.tables import STATE_STYLES

SHOWN_STATES = ("pending", "sending", "held", "needs_person", "done", "shipped_outside")


class ShippingSummary(Static):
    def show(self, counts: dict[str, int], oldest: datetime | None, ready: ReadyCounts) -> None:
        text = Text()
        for state in SHOWN_STATES:
            number = counts.get(state, 0)
            style = STATE_STYLES.get(state, "") if number else "dim"
            text.append(f"{t(f'shipping.state.{state}')} {number}", style=style)
            text.append("  ")
        if oldest is not None:
            text.append(t("shipping.oldest", since=clock.local_text(oldest)), style="dim")
        text.append("\n")
        text.append(t("shipping.ready", verified=ready.verified, printed=ready.printed))
        if ready.require_verification:
            text.append("  " + t("shipping.verified_only"), style="yellow")
        self.update(text)


class DrainProgressed(Message):
    def __init__(self, total: int | None, done: int, sent: int, finished: bool) -> None:
        super().__init__()
        self.total, self.done, self.sent, self.finished = total, done, sent, finished


class DrainWatch:
    """A `Progress` (start, advance, finish) that posts `DrainProgressed` to `target`."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self.total: int | None = None
        self.done = 0
        self.sent = 0

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        self.total, self.done = total, done
        self.target.post_message(DrainProgressed(total, done, 0, False))

    def advance(self, n: int = 1, **counts: int) -> None:
        self.done += n
        self.sent = counts.get("sent", self.sent)
        self.target.post_message(DrainProgressed(self.total, self.done, self.sent, False))

    def finish(self) -> None:
        self.target.post_message(DrainProgressed(self.total, self.done, self.sent, True))
