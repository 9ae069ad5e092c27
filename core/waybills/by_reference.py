"""Waybill services keyed the way clients name things: platform order numbers, package
ids and tracking numbers (the HTTP API's, and what `orderhub waybill` does in steps).

`allocate_for` packs the orders given (one package per order, as printing does), then
draws or re-draws their waybills (`core.waybills.allocation`); orders that cannot be
packed are listed as refused, one bad order does not stop the others. `cancel_numbers`
cancels (recycles) waybills by number. Both check their permissions in the services they
call (`print.run`; `print.reprint` for a re-draw or a printed waybill).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.orders import packages
from core.waybills import allocation
from core.waybills.cancel import CancelOutcome
from core.waybills.query import waybill_ids_by_number
from core.waybills.report import AllocationReport

MAX_NUMBERS = 1000


@dataclass(frozen=True)
class Refused:
    """An order that got no package (on hold, refunded, shipped …), and why."""

    order: str
    reason: str


@dataclass
class Allocation:
    """The allocation's report, the orders refused before it, and each package's order
    numbers (for the outcomes' sake)."""

    report: AllocationReport
    refused: list[Refused] = field(default_factory=list)
    orders_of_package: dict[int, list[str]] = field(default_factory=dict)


def allocate_for(
    app: App,
    actor: Actor,
    account: str | int,
    *,
    orders: Sequence[str] = (),
    package_ids: Sequence[int] = (),
    typed_numbers: Mapping[str, str] | None = None,
    reallocate: bool = False,
    reason: str = "",
) -> Allocation:
    """Waybills from carrier `account` for `orders` (platform numbers, packed first) or
    `package_ids`. `typed_numbers` (manual carriers): order number — or package id, in
    decimal, with `package_ids` — → tracking number. `reallocate` cancels each package's
    waybill first (`print.reprint`, `reason` required)."""
    if bool(orders) == bool(package_ids):
        raise ValidationError("name either orders or packages", field="orders")
    refused: list[Refused] = []
    orders_of: dict[int, list[str]] = {}
    if orders:
        ids = packages.packages_for_orders(app, actor, orders)
        packed = packages.ensure_packages(app, actor, list(ids.values()))
        number_of = {order_id: number for number, order_id in ids.items()}
        refused = [Refused(r.order_number or str(r.order_id), r.reason) for r in packed.refused]
        for order_id, package_id in packed.package_of_order.items():
            orders_of.setdefault(package_id, []).append(number_of[order_id])
        wanted = list(orders_of)
    else:
        wanted = list(dict.fromkeys(package_ids))
    typed = _typed(typed_numbers or {}, orders_of, wanted)
    if not wanted:
        return Allocation(AllocationReport(account=str(account)), refused, orders_of)
    if reallocate:
        report = allocation.reallocate(
            app, actor, wanted, account, reason=reason, typed_numbers=typed
        )
    else:
        report = allocation.allocate(app, actor, wanted, account, typed_numbers=typed)
    return Allocation(report, refused, orders_of)


def _typed(
    given: Mapping[str, str], orders_of: dict[int, list[str]], wanted: list[int]
) -> dict[int, str]:
    package_of = {n: p for p, numbers in orders_of.items() for n in numbers}
    typed: dict[int, str] = {}
    for key, number in given.items():
        key = key.strip()
        if key in package_of:
            typed[package_of[key]] = number
        elif not orders_of and key.isdigit() and int(key) in wanted:
            typed[int(key)] = number
        else:
            raise ValidationError(
                f"a number was given for {key!r}, which is not one of the orders or packages "
                "being allocated",
                field="numbers",
            )
    return typed


def cancel_numbers(
    app: App, actor: Actor, numbers: Iterable[str], reason: str = ""
) -> list[CancelOutcome]:
    """Cancel (recycle) the waybills with these tracking numbers: one outcome each."""
    wanted = list(dict.fromkeys(n.strip() for n in numbers if n and n.strip()))
    if not wanted:
        raise ValidationError("name at least one waybill number", field="numbers")
    if len(wanted) > MAX_NUMBERS:
        raise ValidationError(f"at most {MAX_NUMBERS} numbers at a time", field="numbers")
    return allocation.cancel(app, actor, waybill_ids_by_number(app, actor, wanted), reason)
