"""`SessionCounters`: what this station did since it opened — packages verified, scans
refused, 拦截 among them — and the last answers, newest first (the room of a wide
terminal; one line of counts on a small one)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from core import clock
from core.shipping.pack_station import PackAnswer
from tui.i18n import t

RECENT = 12


@dataclass
class Tally:
    scans: int = 0
    verified: int = 0
    refused: int = 0
    held: int = 0

    def count(self, answer: PackAnswer) -> None:
        self.scans += 1
        self.verified += answer.kind == "verified"
        self.refused += not answer.ok
        self.held += answer.kind == "hold"


class SessionCounters(Static):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.tally = Tally()
        self.recent: deque[tuple[str, PackAnswer]] = deque(maxlen=RECENT)

    def on_mount(self) -> None:
        self._draw()

    def count(self, answer: PackAnswer) -> None:
        self.tally.count(answer)
        self.recent.appendleft((clock.local_text(clock.now())[-5:], answer))
        self._draw()

    def _draw(self) -> None:
        tally = self.tally
        text = Text()
        text.append(t("packing.count.verified", count=tally.verified), style="bold green")
        text.append("  ")
        text.append(t("packing.count.refused", count=tally.refused), style="bold red")
        text.append("  ")
        text.append(t("packing.count.held", count=tally.held), style="bold")
        text.append("  ")
        text.append(t("packing.count.scans", count=tally.scans), style="dim")
        for at, answer in self.recent:
            mark = "✓" if answer.ok else "✗"
            style = "green" if answer.ok else "red"
            text.append(f"\n{at} ", style="dim")
            text.append(f"{mark} {answer.message}", style=style)
        self.update(text)
