"""The order detail's tables: lines, packages with their waybills, print history, audit
trail. Each fills a `DataTable` from the plain dataclasses of `core.desk.show`."""

from __future__ import annotations

import json

from rich.text import Text
from textual.widgets import DataTable

from core.desk.show import OrderDetail
from core.money import fen_to_yuan_text
from tui.i18n import t
from tui.widgets.detail.summary import when


def _columns(table: DataTable[object], *names: str) -> None:
    table.clear(columns=True)
    for name in names:
        table.add_column(t(f"detail.col.{name}"), key=name)


def fill_lines(table: DataTable[object], detail: OrderDetail) -> None:
    _columns(table, "title", "spec", "sku", "quantity", "price")
    for line in detail.lines:
        title = line.title + (f" ({t('detail.gift')})" if line.is_gift else "")
        sku = " / ".join(v for v in (line.sku_id, line.outer_id) if v)
        price = Text(fen_to_yuan_text(line.unit_price_fen), justify="right")
        table.add_row(title, line.spec, sku, Text(str(line.quantity), justify="right"), price)


def fill_packages(table: DataTable[object], detail: OrderDetail) -> None:
    _columns(table, "package", "status", "weight", "waybill", "carrier")
    for package in detail.packages:
        weight = str(package.weight_g) if package.weight_g is not None else "-"
        waybills = package.waybills or ()
        if not waybills:
            table.add_row(str(package.id), package.status, weight, "-", "-")
        for waybill in waybills:
            carrier = f"{waybill.carrier_account} ({waybill.carrier_code})"
            number = f"{waybill.number} [{waybill.status}]"
            table.add_row(str(package.id), package.status, weight, number, carrier)


def fill_prints(table: DataTable[object], detail: OrderDetail) -> None:
    _columns(table, "job", "kind", "status", "sent", "user", "reprint")
    for record in detail.print_history:
        reprint = record.reason if record.reprint else ""
        sent = when(record.sent_at)
        table.add_row(str(record.job_id), record.kind, record.state, sent, record.user, reprint)


def fill_trail(table: DataTable[object], detail: OrderDetail) -> None:
    _columns(table, "at", "user", "action", "detail")
    for entry in reversed(detail.trail):  # newest first
        change = entry.detail or _change(entry.before, entry.after)
        table.add_row(when(entry.at), entry.actor, entry.action, change)


def _change(before: object, after: object) -> str:
    if not before and not after:
        return ""
    shown = json.dumps({"before": before, "after": after}, ensure_ascii=False, default=str)
    return shown[:200]
