"""How one `OrderRow` reads in the desk's table: short local times, yuan, masked receiver,
flag as a coloured dot, marks and exception reasons in words."""

from __future__ import annotations

from rich.text import Text

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


def cells(row: OrderRow, picked: bool, columns: tuple[str, ...]) -> list[str | Text]:
    order = Text(row.order_no)
    if row.flag in FLAG_STYLES:
        order = Text.assemble(("● ", FLAG_STYLES[row.flag]), row.order_no)
    values: dict[str, str | Text] = {
        "mark": Text(PICKED, style="bold cyan") if picked else "",
        "order": order,
        "tab": t(f"desk.tab.{row.tab}"),
        "paid": short_time(row),
        "amount": Text(fen_to_yuan_text(row.pay_amount_fen), justify="right"),
        "receiver": f"{row.receiver_name} {row.receiver_phone}".strip(),
        "region": f"{row.province}{row.city}",
        "notes": Text(notes(row), style="yellow" if row.exception_reasons or row.on_hold else ""),
        "tags": ",".join(row.tags),
        "carrier": row.carrier,
        "shop": row.shop,
    }
    return [values[name] for name in columns]
