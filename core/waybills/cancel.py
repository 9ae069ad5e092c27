"""Cancelling (recycling) waybills in three steps, so no step can print a voided number.

1. In a transaction: the waybill goes `allocated|printed → cancelling`. `cancelling` still
   counts as active (the package cannot get a second waybill) but is not printable.
2. Outside any transaction: the carrier cancels it (`Carrier.cancel_waybill`), when the
   plugin can (`SUPPORTS_CANCEL`).
3. In a transaction: `cancelling → cancelled` (voided at the carrier) or `recycled`
   (released in orderhub only: the carrier has no cancel API, or the number was typed by
   hand — `core.waybills.requests.is_typed` — and no carrier issued it); the
   package goes back to `new`. If the carrier refused, the waybill returns to what it was.

Cancelling a `recycled` waybill again asks the carrier once more (when it can cancel):
that is how a number drawn but never stored, whose compensating cancel the carrier
refused, is finally voided (`core.waybills.compensation` raises an alert naming it).

A crash between 2 and 3 leaves `cancelling`: running the cancel again repeats step 2
(cancelling twice is no error at the carrier) and finishes. Cancelling an unprinted
waybill needs `print.run`; a printed one (its label exists) needs `print.reprint`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.carrier import WaybillRef
from core.errors import OrderhubError
from core.models import CarrierAccount, Package, Waybill
from core.waybills.carrier_session import CarrierSession, CarrierTarget
from core.waybills.requests import is_typed
from core.waybills.store import active_numbers

REASON_MAX = 500


@dataclass(frozen=True)
class Pending:
    """A waybill in `cancelling`, with what step 2 and 3 need."""

    waybill_id: int
    package_id: int
    account_id: int
    carrier_code: str
    number: str
    printed: bool
    recycled: bool = False  # released earlier without the carrier: try the carrier again
    typed: bool = False  # typed by hand: no carrier issued it, so it is only recycled


@dataclass(frozen=True)
class CancelOutcome:
    """`cancelled` | `recycled` | `already` (nothing to do) | `failed` (with `error`)."""

    waybill_id: int
    outcome: str
    number: str = ""
    package_id: int | None = None
    error: str = ""


def begin(
    session: Session, actor: Actor, waybill_ids: list[int], reason: str
) -> tuple[list[Pending], list[CancelOutcome]]:
    """Step 1 for each waybill of the actor's org; returns what to cancel and what is
    settled already (unknown, cancelled before, or not permitted)."""
    held = authz.permissions_of(session, actor)
    pending: list[Pending] = []
    settled: list[CancelOutcome] = []
    rows = {
        w.id: w
        for w in session.scalars(
            select(Waybill).where(Waybill.id.in_(waybill_ids), Waybill.org_id == actor.org_id)
        )
    }
    for waybill_id in waybill_ids:
        row = rows.get(waybill_id)
        if row is None:
            settled.append(CancelOutcome(waybill_id, "failed", error=f"no waybill {waybill_id}"))
            continue
        if row.status == "cancelled":
            settled.append(CancelOutcome(row.id, "already", row.number, row.package_id))
            continue
        if row.status == "recycled":
            if "print.run" not in held or _active_elsewhere(session, row):
                settled.append(CancelOutcome(row.id, "already", row.number, row.package_id))
            else:
                pending.append(_pending(row, printed=False, recycled=True))
            continue
        printed = row.printed_at is not None or row.status == "printed"
        needed = "print.reprint" if printed else "print.run"
        if needed not in held:
            why = "its label is printed" if printed else "cancelling"
            settled.append(
                CancelOutcome(
                    row.id,
                    "failed",
                    row.number,
                    row.package_id,
                    f"{actor.label} lacks permission {needed} ({why})",
                )
            )
            continue
        if row.status != "cancelling":
            moved = session.execute(
                update(Waybill)
                .where(Waybill.id == row.id, Waybill.status.in_(("allocated", "printed")))
                .values(status="cancelling", cancel_reason=reason[:REASON_MAX])
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:  # someone else cancelled it a moment ago
                settled.append(CancelOutcome(row.id, "already", row.number, row.package_id))
                continue
        pending.append(_pending(row, printed=printed))
    return pending, settled


def _pending(row: Waybill, *, printed: bool, recycled: bool = False) -> Pending:
    return Pending(
        row.id,
        row.package_id,
        row.carrier_account_id,
        row.carrier_code,
        row.number,
        printed,
        recycled,
        is_typed(row.request_id),
    )


def _active_elsewhere(session: Session, row: Waybill) -> bool:
    """Whether a recycled number was given to a package again (typed again by hand)."""
    return bool(active_numbers(session, row.org_id, [(row.carrier_code, row.number)]))


def at_carrier(app: App, pending: list[Pending]) -> dict[int, str | None]:
    """Step 2: waybill id → None (cancelled at the carrier), "" (the carrier cannot
    cancel: recycle) or the carrier's error text."""
    outcomes: dict[int, str | None] = {}
    sessions: dict[int, CarrierSession] = {}
    try:
        for item in pending:
            ref = WaybillRef(item.carrier_code, item.number)
            try:
                calls = sessions.get(item.account_id)
                if calls is None:
                    with app.tx() as session:
                        row = session.get(CarrierAccount, item.account_id)
                        target = CarrierTarget.of(session, row)
                    calls = sessions[item.account_id] = CarrierSession(app, target)
                if item.typed or not calls.cls.SUPPORTS_CANCEL:
                    outcomes[item.waybill_id] = ""
                    continue
                calls.call(lambda c, ref=ref: c.cancel_waybill(ref))
            except OrderhubError as exc:
                outcomes[item.waybill_id] = str(exc) or type(exc).__name__
            else:
                outcomes[item.waybill_id] = None
    finally:
        for calls in sessions.values():
            calls.close()
    return outcomes


def finish(
    session: Session,
    actor: Actor,
    pending: list[Pending],
    carrier: dict[int, str | None],
    reason: str,
    action: str = "waybill.cancel",
) -> list[CancelOutcome]:
    """Step 3: record each outcome, put packages back to `new`, audit each change."""
    done: list[CancelOutcome] = []
    now = clock.now()
    for item in pending:
        error = carrier.get(item.waybill_id, "no answer from the carrier")
        if item.recycled:
            done.append(_finish_recycled(session, actor, item, error, reason, now))
            continue
        if error:
            back = "printed" if item.printed else "allocated"
            session.execute(
                update(Waybill)
                .where(Waybill.id == item.waybill_id, Waybill.status == "cancelling")
                .values(status=back, cancel_reason="")
                .execution_options(synchronize_session=False)
            )
            done.append(
                CancelOutcome(
                    item.waybill_id,
                    "failed",
                    item.number,
                    item.package_id,
                    f"the carrier did not cancel {item.number}: {error}",
                )
            )
            continue
        status = "cancelled" if error is None else "recycled"
        session.execute(
            update(Waybill)
            .where(Waybill.id == item.waybill_id, Waybill.status == "cancelling")
            .values(status=status, cancelled_at=now)
            .execution_options(synchronize_session=False)
        )
        package = session.get(Package, item.package_id)
        if package is not None and package.status in ("waybill_allocated", "printed"):
            package.status = "new"
        audit.record(
            session,
            action,
            actor=actor,
            target_type="waybill",
            target_id=item.waybill_id,
            before={"number": item.number, "status": "printed" if item.printed else "allocated"},
            after={"status": status, "package_id": item.package_id},
            detail=reason[:REASON_MAX],
        )
        done.append(CancelOutcome(item.waybill_id, status, item.number, item.package_id))
    session.flush()
    return done


def _finish_recycled(
    session: Session, actor: Actor, item: Pending, error: str | None, reason: str, now: datetime
) -> CancelOutcome:
    """A number released earlier without the carrier (its cancel had failed): the
    carrier has now cancelled it, still cannot (""), or refused again."""
    if error == "":
        return CancelOutcome(item.waybill_id, "already", item.number, item.package_id)
    if error:
        return CancelOutcome(
            item.waybill_id,
            "failed",
            item.number,
            item.package_id,
            f"the carrier did not cancel {item.number}: {error}",
        )
    session.execute(
        update(Waybill)
        .where(Waybill.id == item.waybill_id, Waybill.status == "recycled")
        .values(status="cancelled", cancelled_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        "waybill.cancel",
        actor=actor,
        target_type="waybill",
        target_id=item.waybill_id,
        before={"number": item.number, "status": "recycled"},
        after={"status": "cancelled", "package_id": item.package_id},
        detail=reason[:REASON_MAX],
    )
    return CancelOutcome(item.waybill_id, "cancelled", item.number, item.package_id)


def cancel(app: App, actor: Actor, waybill_ids: list[int], reason: str = "") -> list[CancelOutcome]:
    """All three steps for `waybill_ids`, one outcome per id, in the order given."""
    with app.tx() as session:
        pending, settled = begin(session, actor, waybill_ids, reason)
    carrier = at_carrier(app, pending) if pending else {}
    with app.tx() as session:
        done = finish(session, actor, pending, carrier, reason)
    by_id = {o.waybill_id: o for o in (*settled, *done)}
    return [by_id[i] for i in waybill_ids]
