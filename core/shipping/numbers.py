"""A tracking number as an operator types or scans it: its shape, the carrier's pattern,
and who already holds it.

A scanner types spaces and lower case as readily as digits, so a number is normalised
(whitespace dropped, upper case) before anything else, as the `manual` carrier does. It
must look like a tracking number at all (6–40 letters, digits or dashes) — that is a
refusal. Whether it looks like *this carrier's* number is only a warning: the patterns
come from a community list (printing.md §5) and real numbers stray from it.

A number active on another package (allocated, printed or being cancelled there) is
refused whatever its carrier code, naming that package and its orders: two parcels with
one tracking number would both be confirmed to the platform with it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.app import App
from core.errors import ValidationError
from core.models import Order, Package, PackageLine, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.waybills.query import guess_carriers

SHAPE = re.compile(r"[A-Z0-9-]{6,40}")
ORDERS_NAMED = 5  # orders named in a message about a package


def normalise(text: str) -> str:
    """What a scanner or a person typed → the number as stored."""
    return re.sub(r"\s+", "", str(text)).upper()


def checked(text: str, field: str = "number") -> str:
    """The normalised number; `ValidationError` if it is not a tracking number at all."""
    number = normalise(text)
    if not number:
        raise ValidationError("the tracking number is empty", field=field)
    if not SHAPE.fullmatch(number):
        raise ValidationError(
            f"{str(text)[:40]!r} is not a tracking number: 6-40 letters, digits or dashes",
            field=field,
        )
    return number


def pattern_warning(app: App, carrier: str, carrier_code: str, number: str) -> str:
    """'' when `number` looks like `carrier_code`'s numbers (or no pattern is known), else
    a warning naming the carriers it does look like."""
    classes = app.plugins.carriers()
    own = classes.get(carrier)
    verdict = own.tracking_number_matches(carrier_code, number) if own is not None else None
    if verdict is None:  # the account's plugin knows no pattern: ask the others
        known = [
            v
            for v in (c.tracking_number_matches(carrier_code, number) for c in classes.values())
            if v is not None
        ]
        verdict = any(known) if known else None
    if verdict is not False:
        return ""
    guesses = [c for c in guess_carriers(app, number) if c != carrier_code]
    looks = f"; it looks like {'/'.join(guesses)}" if guesses else ""
    return f"{number} does not look like a {carrier_code} number{looks}"


@dataclass(frozen=True)
class Holder:
    """A package whose active waybill has the number."""

    package_id: int
    package_status: str
    carrier_code: str
    order_numbers: tuple[str, ...]

    def describe(self) -> str:
        shown = ", ".join(self.order_numbers[:ORDERS_NAMED])
        more = " …" if len(self.order_numbers) > ORDERS_NAMED else ""
        orders = f" (orders {shown}{more})" if shown else ""
        return f"package {self.package_id}{orders}, {self.package_status}"


def holders(
    session: Session, org_id: int, number: str, *, besides: int | None = None
) -> list[Holder]:
    """Packages of the org other than `besides` with an active waybill of this number
    (`ix_waybills_org_number`)."""
    rows = session.execute(
        select(Waybill.package_id, Waybill.carrier_code, Package.status)
        .join(Package, Package.id == Waybill.package_id)
        .where(
            Waybill.org_id == org_id,
            Waybill.number == number,
            Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
        )
    ).all()
    found = [(p, code, status) for p, code, status in rows if p != besides]
    orders = order_numbers(session, {p for p, _, _ in found})
    return [Holder(p, status, code, orders.get(p, ())) for p, code, status in found]


def order_numbers(session: Session, package_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """package id → its orders' platform numbers, sorted."""
    if not package_ids:
        return {}
    found: dict[int, set[str]] = defaultdict(set)
    rows = session.execute(
        select(PackageLine.package_id, Order.platform_order_no)
        .join(Order, Order.id == PackageLine.order_id)
        .where(PackageLine.package_id.in_(package_ids))
    )
    for package_id, number in rows:
        found[package_id].add(number)
    return {k: tuple(sorted(v)) for k, v in found.items()}
