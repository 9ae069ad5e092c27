"""The top of the order detail: status, times, amounts, receiver (masked unless revealed),
memos, flag, tags, exceptions — as label/value lines that wrap on a narrow terminal."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape

from core import clock
from core.desk.show import OrderDetail
from core.money import fen_to_yuan_text
from tui.i18n import t
from tui.widgets.desk.rows import FLAG_STYLES, reason_text


def when(value: datetime | None) -> str:
    return clock.local_text(value) if value else "-"


def summary_markup(detail: OrderDetail) -> str:
    row, receiver = detail.row, detail.receiver
    lines = [
        f"[b]{t('detail.shop')}[/b] {escape(row.shop)} ({row.platform}, {row.source})   "
        f"[b]{t('detail.status')}[/b] {t(f'desk.tab.{row.tab}')} ({row.hub_status})   "
        f"[b]{t('detail.refund')}[/b] {row.refund_status}",
        f"[b]{t('detail.created')}[/b] {when(row.created_at)}   "
        f"[b]{t('detail.paid')}[/b] {when(row.paid_at)}   "
        f"[b]{t('detail.due')}[/b] {when(row.promised_ship_by)}",
        t(
            "detail.amounts",
            goods=fen_to_yuan_text(row.goods_amount_fen),
            discount=fen_to_yuan_text(detail.discount_fen),
            postage=fen_to_yuan_text(detail.postage_fen),
            paid=fen_to_yuan_text(row.pay_amount_fen),
        ),
    ]
    shown = t("detail.revealed") if receiver.revealed else t("detail.masked")
    encrypted = f" [dim]{t('detail.encrypted')}[/dim]" if receiver.platform_encrypted else ""
    place = f"{receiver.province}{receiver.city}{receiver.district} {receiver.address}"
    lines.append(
        f"[b]{t('detail.receiver')}[/b] {escape(receiver.name)} {escape(receiver.phone)} "
        f"{escape(place)} [dim]{shown}[/dim]{encrypted}"
    )
    lines += [f"[b]{label}[/b] {value}" for label, value in _notes(detail) if value]
    return "\n".join(lines)


def _notes(detail: OrderDetail) -> list[tuple[str, str]]:
    row = detail.row
    flag = detail.local_flag or detail.platform_flag
    flag_text = f"[{FLAG_STYLES[flag]}]●[/] {flag}" if flag in FLAG_STYLES else ""
    audited = ""
    if detail.audited_at:
        audited = f"{when(detail.audited_at)} {escape(detail.audited_by)}"
    return [
        (t("detail.memo"), escape(detail.buyer_memo)),
        (t("detail.seller_remark"), escape(detail.seller_remark)),
        (t("detail.local_remark"), escape(detail.local_remark)),
        (t("detail.flag"), flag_text),
        (t("detail.tags"), escape(", ".join(row.tags))),
        (t("detail.exceptions"), "、".join(reason_text(c) for c in row.exception_reasons)),
        (t("detail.hold"), escape(row.hold_reason) if row.on_hold else ""),
        (t("detail.reject"), escape(detail.reject_reason)),
        (t("detail.assigned"), escape(detail.assigned_carrier)),
        (t("detail.audited"), audited),
    ]
