"""`Verdict`: the pack station's answer to the last scan, big and in colour.

The operator looks at the parcel, not the screen, so the answer must be readable from a
step away: a five-line banner whose colour says it all — green for a counted item or a
verified package, red for 拦截 (held: do not ship) and refusals, amber for a wrong item
or one too many — with one large word and the core's message under it. Loud answers
(`PackAnswer.loud`) also ring the terminal bell.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from core.shipping.pack_station import PackAnswer
from tui.i18n import t

#: PackAnswer.kind → (style class, catalogue key of the big word)
LOOKS = {
    "package": ("ok", "packing.verdict.package"),
    "item": ("ok", "packing.verdict.item"),
    "verified": ("done", "packing.verdict.verified"),
    "hold": ("hold", "packing.verdict.hold"),
    "refused": ("hold", "packing.verdict.refused"),
    "wrong_item": ("wrong", "packing.verdict.wrong_item"),
    "excess": ("wrong", "packing.verdict.excess"),
    "unknown": ("wrong", "packing.verdict.unknown"),
    "error": ("hold", "packing.verdict.error"),
}
STYLES = ("idle", "ok", "done", "hold", "wrong")


class Verdict(Static):
    def on_mount(self) -> None:
        self.idle(t("packing.verdict.ready"))

    def idle(self, message: str) -> None:
        self._show("idle", t("packing.verdict.idle"), message)

    def show(self, answer: PackAnswer) -> None:
        style, word = LOOKS.get(answer.kind, ("wrong", "packing.verdict.unknown"))
        if answer.kind == "package" and not answer.ok:  # the same waybill again
            style = "wrong"
        self._show(style, t(word), answer.message)
        if answer.loud:
            self.app.bell()

    def _show(self, style: str, word: str, message: str) -> None:
        text = Text(justify="center")
        text.append(word, style="bold")
        text.append("\n\n")
        text.append(message)
        self.update(text)
        self.remove_class(*STYLES)
        self.add_class(style)
