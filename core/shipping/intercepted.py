"""Intercepted parcels (拦截件): held packages whose waybill is still live, and recycling
those waybills once a person has the parcel back in hand.

A refund that arrives after allocation or printing holds the package at once
(`core.holds.packages`); the pack station and ship-back refuse it. What is left is
physical: the label may be on a parcel on the packing table. `intercepted_packages` lists
every held package that still has an active waybill — what to pull off the shelf — and
`recycle_waybills` cancels those waybills (at the carrier where it can, else recycled in
orderhub: `core.waybills.cancel`) when the operator confirms the parcel has not been
handed over. Nothing is cancelled by itself: a parcel already in the courier's sack
must be recalled through the carrier instead, and only a person knows which it is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import CarrierAccount, Order, Package, PackageLine, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.waybills import cancel

MAX_ROWS = 1000
MAX_PACKAGES = 1000  # per recycle call
DEFAULT_REASON = "拦截件回收 / intercepted parcel, waybill recycled"


@dataclass(frozen=True)
class InterceptedPackage:
    """A held package with a live waybill, as front ends show it."""

    package_id: int
    order_numbers: tuple[str, ...]
    hold_reason: str
    waybill_number: str
    waybill_status: str  # allocated | printed | cancelling
    carrier_account: str
    held_since: datetime


@dataclass(frozen=True)
class RecycleOutcome:
    package_id: int
    waybill_number: str
    outcome: str  # cancelled | recycled | already (nothing to do) | failed
    error: str = ""


def intercepted_packages(
    app: App, actor: Actor, *, limit: int = MAX_ROWS
) -> list[InterceptedPackage]:
    """The org's held packages with an active waybill, longest held first (`order.view`)."""
    if not 1 <= limit <= MAX_ROWS:
        raise ValidationError(f"limit must be 1 to {MAX_ROWS}, not {limit}", field="limit")
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        rows = session.execute(
            select(
                Package.id,
                Package.hold_reason,
                Package.updated_at,
                Waybill.number,
                Waybill.status,
                CarrierAccount.name,
            )
            .join(Waybill, Waybill.package_id == Package.id)
            .outerjoin(CarrierAccount, CarrierAccount.id == Waybill.carrier_account_id)
            .where(
                Package.org_id == actor.org_id,
                Package.status == "on_hold",
                Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
            )
            .order_by(Package.updated_at, Package.id)
            .limit(limit)
        ).all()
        numbers: dict[int, list[str]] = defaultdict(list)
        if rows:
            for package_id, number in session.execute(
                select(PackageLine.package_id, Order.platform_order_no)
                .join(Order, Order.id == PackageLine.order_id)
                .where(PackageLine.package_id.in_([r[0] for r in rows]))
                .distinct()
                .order_by(PackageLine.package_id, Order.platform_order_no)
            ):
                numbers[package_id].append(number)
    return [
        InterceptedPackage(
            package_id=package_id,
            order_numbers=tuple(numbers[package_id]),
            hold_reason=reason,
            waybill_number=number,
            waybill_status=status,
            carrier_account=account or "",
            held_since=since,
        )
        for package_id, reason, since, number, status, account in rows
    ]


def recycle_waybills(
    app: App, actor: Actor, package_ids: list[int], reason: str = ""
) -> list[RecycleOutcome]:
    """Cancel the active waybills of these held packages (`ship.confirm`, and the
    waybill's own cancel permission: `print.run`, or `print.reprint` once printed).

    Every package must be the org's (`NotFound` names the others) and on hold with a live
    waybill (`ValidationError` names the others); nothing is cancelled unless all are.
    The packages stay on hold; released later, they go back to `new` for a fresh waybill.
    """
    wanted = list(dict.fromkeys(package_ids))
    if not wanted:
        raise ValidationError("name at least one package", field="package_ids")
    if len(wanted) > MAX_PACKAGES:
        raise ValidationError(
            f"at most {MAX_PACKAGES} packages at a time, not {len(wanted)}", field="package_ids"
        )
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
        statuses = dict(
            session.execute(
                select(Package.id, Package.status).where(
                    Package.org_id == actor.org_id, Package.id.in_(wanted)
                )
            ).all()
        )
        missing = [p for p in wanted if p not in statuses]
        if missing:
            raise NotFound(f"no package {', '.join(map(str, missing[:20]))} in this org")
        waybills = dict(
            session.execute(
                select(Waybill.package_id, Waybill.id).where(
                    Waybill.package_id.in_(wanted), Waybill.status.in_(ACTIVE_WAYBILL_STATUSES)
                )
            ).all()
        )
    refused = [
        f"package {p} is {statuses[p]}, not on hold"
        if statuses[p] != "on_hold"
        else f"package {p} has no live waybill"
        for p in wanted
        if statuses[p] != "on_hold" or p not in waybills
    ]
    if refused:
        raise ValidationError(
            "; ".join(refused[:20]) + ": only held packages with a live waybill are recycled",
            field="package_ids",
        )
    outcomes = cancel.cancel(app, actor, [waybills[p] for p in wanted], reason or DEFAULT_REASON)
    return [
        RecycleOutcome(o.package_id or p, o.number, o.outcome, o.error)
        for p, o in zip(wanted, outcomes, strict=True)
    ]
