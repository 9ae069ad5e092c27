"""Choosing the orders of a print batch with a small filter language.

`status=audited shop=旗舰店 province=广东省 paid_from=2026-11-01 paid_to=2026-11-02 limit=500`
— whitespace-separated `key=value` terms (quote values with spaces). Keys:

- `status`: hub status, comma-separated (default `pending,audited`, plus `printed` when
  `printed` is `yes` or `any`);
- `shop`: shop name; `province`, `city`: receiver region, exact;
- `paid_from`, `paid_to`: payment date in Beijing time, `YYYY-MM-DD` (`paid_to` inclusive);
- `flag`: seller flag colour; `printed`: `no` (default: orders whose label is not printed
  yet), `yes`, or `any`; `limit`: at most this many orders (default 1000, max 10000).

Orders on hold, or with a refund under way or done, are never selected (job creation would
refuse them anyway; leaving them out keeps `limit=N` meaning N printable orders). The
result is ordered by payment time, then id, so a batch prints oldest first.
"""

from __future__ import annotations

import shlex
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.clock import SHANGHAI
from core.contracts.types import RefundStatus
from core.errors import ValidationError
from core.models import Order, PackageLine, PrintJobItem, Shop
from core.orders.status import HUB_STATUSES

KEYS = ("status", "shop", "province", "city", "paid_from", "paid_to", "flag", "printed", "limit")
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


def parse_filter(text: str) -> dict[str, str]:
    """`key=value` terms → dict; an unknown key or a term without `=` names itself."""
    control = next((c for c in text or "" if ord(c) < 32 and c not in "\t\n\r"), None)
    if control is not None or "\x7f" in (text or ""):
        found = repr(control or "\x7f")
        raise ValidationError(f"filter: control character {found} is not allowed", field="filter")
    try:
        terms = shlex.split(text or "")
    except ValueError as exc:
        raise ValidationError(f"filter: {exc}", field="filter") from None
    found: dict[str, str] = {}
    for term in terms:
        key, sep, value = term.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise ValidationError(f"filter term {term!r} is not key=value", field="filter")
        if key not in KEYS:
            raise ValidationError(
                f"filter: unknown key {key!r}; keys are {', '.join(KEYS)}", field="filter"
            )
        found[key] = value.strip()
    return found


def select_order_ids(session: Session, actor: Actor, text: str) -> list[int]:
    """Order ids of the actor's org matching filter `text` (see the module docstring)."""
    terms = parse_filter(text)
    printed = terms.get("printed", "no").lower()
    default = "pending,audited" if printed == "no" else "pending,audited,printed"
    statuses = [s.strip() for s in terms.get("status", default).split(",") if s.strip()]
    bad = [s for s in statuses if s not in HUB_STATUSES]
    if bad:
        raise ValidationError(
            f"filter: status {bad[0]!r} is not one of {', '.join(HUB_STATUSES)}", field="filter"
        )
    stmt = select(Order.id).where(
        Order.org_id == actor.org_id,
        Order.hub_status.in_(statuses),
        Order.on_hold.is_(False),
        Order.refund_status == RefundStatus.NONE.value,
    )
    if "shop" in terms:
        stmt = stmt.join(Shop, Shop.id == Order.shop_id).where(Shop.name == terms["shop"])
    for key, column in (
        ("province", Order.receiver_province),
        ("city", Order.receiver_city),
        ("flag", Order.flag_color),
    ):
        if key in terms:
            stmt = stmt.where(column == terms[key])
    if "paid_from" in terms:
        stmt = stmt.where(Order.paid_at >= _day_start(terms["paid_from"], "paid_from"))
    if "paid_to" in terms:
        end = _day_start(terms["paid_to"], "paid_to", days_after=1)
        stmt = stmt.where(Order.paid_at < end)
    if printed not in ("no", "yes", "any"):
        raise ValidationError("filter: printed must be no, yes or any", field="filter")
    if printed != "any":
        done = exists(
            select(PrintJobItem.id)
            .join(PackageLine, PackageLine.package_id == PrintJobItem.package_id)
            .where(
                PackageLine.order_id == Order.id,
                PrintJobItem.kind == "label",
                PrintJobItem.state.in_(("done", "uncertain", "sending")),
            )
        )
        stmt = stmt.where(~done if printed == "no" else done)
    limit = _limit(terms.get("limit"))
    stmt = stmt.order_by(Order.paid_at.is_(None), Order.paid_at, Order.id).limit(limit)
    return list(session.scalars(stmt))


def _day_start(text: str, key: str, *, days_after: int = 0) -> datetime:
    """Beijing midnight of date `text` (plus `days_after` days), as UTC can hold it."""
    try:
        day = date.fromisoformat(text) + timedelta(days=days_after)
        return datetime.combine(day, time(), tzinfo=SHANGHAI).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValidationError(
            f"filter: {key} must be a date YYYY-MM-DD between 0001-01-02 and 9999-12-30",
            field="filter",
        ) from None


def _limit(text: str | None) -> int:
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise ValidationError(f"filter: limit must be 1 to {MAX_LIMIT}", field="filter")
    return int(text)
