"""What the report services share: the permission check, the per-day query loop, the
names of shops and carrier accounts, the `by` and `--shop` checks, and running sums.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from sqlalchemy import Row, Select, null, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from core.accounts import authz
from core.actor import Actor
from core.errors import NotFound, ValidationError
from core.models import CarrierAccount, Shop
from core.reports.period import TIME_BUCKETS, Period, bucket_of


def reader(session: Session, actor: Actor) -> bool:
    """Check `report.view`; True when the actor may also see money (`finance.view`)."""
    authz.require(session, actor, "report.view")
    return authz.has(session, actor, "finance.view")


def check_by(report: str, by: str | None, allowed: Sequence[str]) -> str:
    """`by`, or the report's first grouping when None; a clear error for any other."""
    chosen = allowed[0] if by is None else str(by).strip().lower()
    if chosen not in allowed:
        raise ValidationError(
            f"report {report} groups by {', '.join(allowed)}, not {str(by)[:40]!r}", field="by"
        )
    return chosen


def shop_filter(session: Session, org_id: int, shop: str | int | None) -> int | None:
    """The id of the org's shop named (or numbered) `shop`; None for every shop."""
    if shop is None or shop == "":
        return None
    text = str(shop).strip()
    query = select(Shop.id).where(Shop.org_id == org_id)
    by_name = session.scalars(query.where(Shop.name == text)).first()
    if by_name is not None:
        return by_name
    if text.isascii() and text.isdigit() and len(text) < 10:
        by_id = session.scalars(query.where(Shop.id == int(text))).first()
        if by_id is not None:
            return by_id
    raise NotFound(f"no shop {text[:60]!r}", field="shop")


def shop_names(session: Session, org_id: int) -> dict[int, str]:
    return dict(session.execute(select(Shop.id, Shop.name).where(Shop.org_id == org_id)).all())


def carrier_names(session: Session, org_id: int) -> dict[int, str]:
    query = select(CarrierAccount.id, CarrierAccount.name).where(CarrierAccount.org_id == org_id)
    return dict(session.execute(query).all())


def per_day(session: Session, period: Period, statement: Select) -> Iterator[tuple[date, Row]]:
    """Run `statement` (with bind parameters `lo` and `hi`) for each Shanghai day of the
    period and yield each row with its day (core.reports.period says why)."""
    for day, lo, hi in period.each_day():
        for row in session.execute(statement, {"lo": lo, "hi": hi}):
            yield day, row


def grouped(dimension: ColumnElement | None, measures: Sequence[ColumnElement]) -> Select:
    """`SELECT dimension, measures … GROUP BY dimension`; with no dimension, one row of
    NULL and the measures (a constant in GROUP BY is an error on PostgreSQL)."""
    if dimension is None:
        return select(null(), *measures)
    return select(dimension, *measures).group_by(dimension)


class Sums:
    """Running sums of several numbers per key, in first-seen order."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.by_key: dict[object, list[int]] = {}

    def add(self, key: object, values: Iterable[int | None]) -> None:
        sums = self.by_key.get(key)
        if sums is None:
            sums = self.by_key[key] = [0] * self.width
        for i, value in enumerate(values):
            sums[i] += int(value or 0)

    def get(self, key: object) -> list[int]:
        return self.by_key.get(key, [0] * self.width)


def group_key(by: str, day: date, dimension: object) -> object:
    """The row a day's result row adds to: its time bucket, or the dimension's value."""
    return bucket_of(day, by) if by in TIME_BUCKETS else dimension


def ordered_keys(by: str, period: Period, sums: Sums) -> list[object]:
    """Time buckets in order with the empty ones; other keys by their first sum, largest
    first (then by name)."""
    if by in TIME_BUCKETS:
        return list(period.buckets(by))
    return sorted(sums.by_key, key=lambda k: (-sums.by_key[k][0], str(k)))


def share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0
