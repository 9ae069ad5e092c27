"""Holding and releasing the packages of held orders (拦截 at the packing table).

An order put on hold — by the platform's refund (`core.orders.store`, at sync) or by a
person (`core.desk.holds`) — may already have a package drawn, printed or verified. Its
live packages go `on_hold` at once, in the same transaction, with the order's reason, so
the pack station and the ship-back refuse them by the package alone, and the label is not
printed again. Released, a package whose orders are all free again goes back to where its
waybill says it was: `printed` or `waybill_allocated` with an active waybill, else `new` (a
verification made before the hold is not kept: the goods are checked again).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.models import Order, Package, PackageLine, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES

#: Package statuses a hold stops: drawn, printed or checked, not yet handed over.
HOLDABLE = ("new", "waybill_allocated", "printed", "verified")
MAX_REASON = 255  # Package.hold_reason


def hold_packages(session: Session, order_ids: Iterable[int], reason: str) -> list[int]:
    """Put the live packages of these orders on hold with `reason`; their ids."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    packages = _packages_of(session, ids, HOLDABLE)
    if packages:
        session.execute(
            update(Package)
            .where(Package.id.in_(packages), Package.status.in_(HOLDABLE))
            .values(status="on_hold", hold_reason=reason[:MAX_REASON], updated_at=clock.now())
        )
    return packages


def release_packages(session: Session, order_ids: Iterable[int]) -> list[int]:
    """Release the held packages of these orders whose orders are all free of holds; each
    back to what its waybill says. Their ids."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    held = _packages_of(session, ids, ("on_hold",))
    if not held:
        return []
    still_held = set(
        session.scalars(
            select(PackageLine.package_id)
            .join(Order, Order.id == PackageLine.order_id)
            .where(PackageLine.package_id.in_(held), Order.on_hold.is_(True))
        )
    )
    waybills = dict(
        session.execute(
            select(Waybill.package_id, Waybill.status).where(
                Waybill.package_id.in_(held), Waybill.status.in_(ACTIVE_WAYBILL_STATUSES)
            )
        ).all()
    )
    released = [p for p in held if p not in still_held]
    now = clock.now()
    for package_id in released:
        waybill = waybills.get(package_id)
        status = (
            "printed"
            if waybill == "printed"
            else "waybill_allocated"
            if waybill is not None
            else "new"
        )
        session.execute(
            update(Package)
            .where(Package.id == package_id, Package.status == "on_hold")
            .values(status=status, hold_reason="", updated_at=now)
        )
    return released


def has_live_waybill(session: Session, order_id: int) -> bool:
    """Whether a live package of the order holds an active waybill (a label may exist)."""
    return (
        session.scalar(
            select(Waybill.id)
            .join(PackageLine, PackageLine.package_id == Waybill.package_id)
            .join(Package, Package.id == Waybill.package_id)
            .where(
                PackageLine.order_id == order_id,
                Package.status.in_(HOLDABLE),
                Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
            )
            .limit(1)
        )
        is not None
    )


def _packages_of(session: Session, order_ids: list[int], statuses: tuple[str, ...]) -> list[int]:
    """Ids of the packages in `statuses` holding lines of these orders."""
    return list(
        session.scalars(
            select(PackageLine.package_id)
            .join(Package, Package.id == PackageLine.package_id)
            .where(PackageLine.order_id.in_(order_ids), Package.status.in_(statuses))
            .distinct()
        )
    )
