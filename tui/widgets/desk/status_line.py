"""The line under the desk's table: where the cursor is in the whole list, how many orders
are selected, and the highlighted order's exception reasons or hold reason (the exception
queue's "why")."""

from __future__ import annotations

from textual.widgets import Static

from core.desk.listing import OrderRow
from tui.i18n import t
from tui.widgets.desk.rows import reason_text
from tui.widgets.desk.selection import Selection


def status_text(
    position: int | None,
    shown: int,
    total: int | None,
    selection: Selection,
    row: OrderRow | None,
) -> str:
    """`position` is 1-based in the whole list (None when unknown); `shown`: rows held."""
    parts = []
    if shown == 0:
        parts.append(t("desk.status.empty"))
    elif position is not None and total is not None:
        parts.append(t("desk.status.position", position=f"{position:,}", total=f"{total:,}"))
    if selection.every is not None:
        parts.append(t("desk.status.all_selected", count=f"{selection.count:,}"))
    elif selection.count:
        parts.append(t("desk.status.selected", count=f"{selection.count:,}"))
    if row is not None and row.exception_reasons:
        reasons = "、".join(reason_text(code) for code in row.exception_reasons)
        parts.append(t("desk.status.reasons", reasons=reasons))
    if row is not None and row.on_hold and row.hold_reason:
        parts.append(t("desk.status.hold_reason", reason=row.hold_reason))
    return "  ·  ".join(parts)


class StatusLine(Static):
    pass
