"""The database side of waybill allocation: claims, eligibility, storing, tombstones.

Each function is one short transaction; no transaction is ever open while a carrier is
called (an HTTP call may take seconds, and on SQLite an open write transaction would
stop every other writer meanwhile).

- `claim`: take a short lease (`Package.allocation_claim`) on packages about to be sent
  to the carrier, so two operators allocating the same batch do not both call it. The
  lease expires (`CLAIM_SECONDS`), so a crashed process blocks nobody for long.
- `store`: insert the carrier's numbers with `INSERT … ON CONFLICT DO NOTHING`; the partial
  unique indexes decide races (invariant 3). A row that did not go in is compared with the
  active waybill that won: the same number is the same waybill (kept); another number is
  ours to cancel at the carrier.
- `record_release`: a not-active row (`recycled`) for a number we are about to cancel
  at the carrier, written *before* the carrier call, so the package's next request id
  changes (see `core.waybills.requests.request_ids`) even if we crash right after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import clock
from core.contracts.carrier import WaybillRequest, WaybillResult
from core.models import Order, Package, PackageLine, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.orders.status import blocking_reason

CLAIM_SECONDS = 300
#: Package statuses that may receive a waybill (later statuses keep the one they have).
ALLOCATABLE = ("new", "waybill_allocated", "printed")
WAYBILLS = Waybill.__table__


@dataclass
class Claimed:
    """What `claim` found: requests to send, and packages settled without a call."""

    requests: dict[int, WaybillRequest] = field(default_factory=dict)
    kept: dict[int, Waybill] = field(default_factory=dict)
    busy: dict[int, datetime] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


@dataclass
class Stored:
    """What `store` did: package id → new waybill id, or the number it already had."""

    allocated: dict[int, tuple[int, str]] = field(default_factory=dict)
    kept: dict[int, str] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)
    to_cancel: list[tuple[int, WaybillResult]] = field(default_factory=list)


def claim(session: Session, org_id: int, package_ids: list[int], token: str) -> set[int]:
    """Claim the packages that are free (or already ours, or whose claim expired)."""
    now = clock.now()
    stmt = (
        update(Package)
        .where(
            Package.id.in_(package_ids),
            Package.org_id == org_id,
            or_(
                Package.allocation_claim.is_(None),
                Package.allocation_claim == token,
                Package.allocation_claim_until < now,
            ),
        )
        .values(
            allocation_claim=token, allocation_claim_until=now + timedelta(seconds=CLAIM_SECONDS)
        )
        .returning(Package.id)
        .execution_options(synchronize_session=False)
    )
    return set(session.scalars(stmt))


def release(session: Session, package_ids: Iterable[int], token: str) -> None:
    ids = list(package_ids)
    if ids:
        session.execute(
            update(Package)
            .where(Package.id.in_(ids), Package.allocation_claim == token)
            .values(allocation_claim=None, allocation_claim_until=None)
            .execution_options(synchronize_session=False)
        )


def active_waybills(session: Session, package_ids: Iterable[int]) -> dict[int, Waybill]:
    ids = list(package_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(Waybill).where(
            Waybill.package_id.in_(ids), Waybill.status.in_(ACTIVE_WAYBILL_STATUSES)
        )
    )
    return {w.package_id: w for w in rows}


def refusals(session: Session, packages: list[Package]) -> dict[int, str]:
    """Why each package may not get a waybill now (absent: it may)."""
    found: dict[int, str] = {}
    for p in packages:
        if p.status not in ALLOCATABLE:
            # on hold: why; cancelled: what replaced it (e.g. "merged into package 3")
            reason = f": {p.hold_reason}" if p.hold_reason else ""
            found[p.id] = f"package {p.id} is {p.status}{reason}"
    ids = [p.id for p in packages if p.id not in found]
    if not ids:
        return found
    rows = session.execute(
        select(PackageLine.package_id, Order)
        .join(Order, Order.id == PackageLine.order_id)
        .where(PackageLine.package_id.in_(ids))
    ).all()
    for package_id, order in rows:
        if package_id in found:
            continue
        problem = blocking_reason(order)
        if problem:
            found[package_id] = f"package {package_id}: {problem}"
    return found


def store(
    session: Session,
    *,
    org_id: int,
    account_id: int,
    carrier: str,
    user_id: int | None,
    requests: dict[int, WaybillRequest],
    results: dict[int, WaybillResult],
    warnings: dict[int, str],
) -> Stored:
    """Insert the successful results; settle conflicts against the winners."""
    out = Stored()
    packages = {
        p.id: p
        for p in session.scalars(
            select(Package).where(Package.id.in_(list(results))).with_for_update()
        )
    }
    late = refusals(session, [p for p in packages.values()])
    now = clock.now()
    insert_stmt = _insert_ignoring_conflicts(session)
    for package_id, result in results.items():
        waybill = result.waybill
        if waybill is None:
            continue
        if package_id in late:
            out.refused[package_id] = late[package_id] + " (changed while the waybill was drawn)"
            out.to_cancel.append((package_id, result))
            continue
        row = session.execute(
            insert_stmt.values(
                org_id=org_id,
                package_id=package_id,
                carrier_account_id=account_id,
                carrier=carrier,
                carrier_code=waybill.carrier_code,
                number=waybill.number,
                parent_number=waybill.parent_number,
                request_id=requests[package_id].request_id,
                status="allocated",
                print_data=waybill.print_data or None,
                routing=waybill.routing.to_dict() if waybill.routing else None,
                number_warning=warnings.get(package_id, "")[:255],
                allocated_at=now,
                allocated_by=user_id,
                cancel_reason="",
            ).returning(WAYBILLS.c.id)
        ).first()
        if row is not None:
            out.allocated[package_id] = (row[0], waybill.number)
            package = packages[package_id]
            package.carrier_account_id = account_id
            if package.status == "new":
                package.status = "waybill_allocated"
            continue
        winner = active_waybills(session, [package_id]).get(package_id)
        if winner is None:
            out.refused[package_id] = (
                f"{waybill.carrier_code} number {waybill.number} is already active on "
                "another package"
            )
        elif winner.number == waybill.number and winner.carrier_code == waybill.carrier_code:
            out.kept[package_id] = winner.number
        else:
            out.kept[package_id] = winner.number
            out.to_cancel.append((package_id, result))
    session.flush()
    return out


def _insert_ignoring_conflicts(session: Session):  # type: ignore[no-untyped-def]
    """INSERT … ON CONFLICT DO NOTHING: no target, so every unique index counts —
    the active-waybill-per-package one and the active-number one alike."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(WAYBILLS).on_conflict_do_nothing()


def active_numbers(session: Session, org_id: int, numbers: list[tuple[str, str]]) -> set[tuple]:
    """Which (carrier code, number) pairs are active in orderhub (never cancel those)."""
    if not numbers:
        return set()
    conditions = [
        and_(Waybill.carrier_code == code, Waybill.number == number) for code, number in numbers
    ]
    rows = session.execute(
        select(Waybill.carrier_code, Waybill.number).where(
            Waybill.org_id == org_id,
            Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
            or_(*conditions),
        )
    ).all()
    return {(r[0], r[1]) for r in rows}


def record_release(
    session: Session,
    *,
    org_id: int,
    account_id: int,
    carrier: str,
    package_id: int,
    request_id: str,
    result: WaybillResult,
    reason: str,
) -> int:
    """A `recycled` row for a number drawn but not kept; `mark_cancelled` upgrades it."""
    waybill = result.waybill
    assert waybill is not None
    now = clock.now()
    row = session.execute(
        insert(WAYBILLS)
        .values(
            org_id=org_id,
            package_id=package_id,
            carrier_account_id=account_id,
            carrier=carrier,
            carrier_code=waybill.carrier_code,
            number=waybill.number,
            parent_number=waybill.parent_number,
            request_id=request_id,
            status="recycled",
            print_data=None,
            number_warning="",
            allocated_at=now,
            cancelled_at=now,
            cancel_reason=reason[:2000],
        )
        .returning(WAYBILLS.c.id)
    ).one()
    return int(row[0])


def mark_cancelled(session: Session, waybill_id: int, reason: str) -> None:
    session.execute(
        update(Waybill)
        .where(Waybill.id == waybill_id)
        .values(status="cancelled", cancelled_at=clock.now(), cancel_reason=reason[:2000])
        .execution_options(synchronize_session=False)
    )
