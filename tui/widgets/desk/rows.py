"""How one `OrderRow` reads in the desk's table: short local times, yuan, masked receiver,
flag as a coloured dot, marks and exception reasons in words.

A cell is plain text in styled parts (`Cell`), not a Rich renderable: the table draws
its lines from them directly (`tui.widgets.desk.lines`), which is what keeps a redraw of
the desk cheap at any number of orders."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len

from core import clock
from core.desk.listing import OrderRow
from core.money import fen_to_yuan_text
from tui.i18n import has, t

COLUMNS = ("mark", "order", "tab", "paid", "amount", "receiver", "region", "notes", "tags")
WIDE_COLUMNS = ("carrier", "shop")  # only when the terminal has the room
FLAG_STYLES = {
    "red": "bold red",
    "yellow": "bold yellow",
    "green": "bold green",
    "blue": "bold blue",
    "purple": "bold magenta",
}
PICKED = "●"


@dataclass(frozen=True, slots=True)
class Cell:
    parts: tuple[tuple[str, str], ...]  # (text, Rich style text; "" for the row's own)
    right: bool = False  # aligned to the right (amounts)

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.parts)

    @property
    def width(self) -> int:
        return cell_len(self.plain)


BLANK = Cell(())


def plain(text: str | None) -> Cell:
    return Cell(((text or "", ""),)) if text else BLANK


def reason_text(code: str) -> str:
    """An exception reason (`core.auditing.rules` code) in the UI's language."""
    if code.startswith("flag_"):
        return t("desk.reason.flag", colour=code.removeprefix("flag_"))
    key = f"desk.reason.{code}"
    return t(key) if has(key) else code


def notes(row: OrderRow) -> str:
    marks = [reason_text(code) for code in row.exception_reasons]
    if row.on_hold:
        marks.insert(0, t("desk.mark.hold"))
    if row.has_memo:
        marks.append(t("desk.mark.memo"))
    if row.has_remark:
        marks.append(t("desk.mark.remark"))
    if row.printed:
        marks.append(t("desk.mark.printed"))
    return " ".join(marks)


def short_time(row: OrderRow) -> str:
    return clock.local_text(row.paid_at)[5:] if row.paid_at else "-"


def cells(row: OrderRow, picked: bool, columns: tuple[str, ...]) -> tuple[Cell, ...]:
    order: Cell = Cell(((row.order_no, ""),))
    if row.flag in FLAG_STYLES:
        order = Cell((("● ", FLAG_STYLES[row.flag]), (row.order_no, "")))
    warn = "yellow" if row.exception_reasons or row.on_hold else ""
    values: dict[str, Cell] = {
        "mark": Cell(((PICKED, "bold cyan"),)) if picked else BLANK,
        "order": order,
        "tab": plain(t(f"desk.tab.{row.tab}")),
        "paid": plain(short_time(row)),
        "amount": Cell(((fen_to_yuan_text(row.pay_amount_fen), ""),), right=True),
        "receiver": plain(f"{row.receiver_name} {row.receiver_phone}".strip()),
        "region": plain(f"{row.province}{row.city}"),
        "notes": Cell(((notes(row), warn),)),
        "tags": plain(",".join(row.tags)),
        "carrier": plain(row.carrier),
        "shop": plain(row.shop),
    }
    return tuple(values[name] for name in columns)
