"""Invariant 4: a label is never printed twice without an explicit, audited reprint.

A package whose label was printed (an item `done`, or `sending`/`uncertain`: it may have
printed) is refused by a normal print; so is one whose label waits in an unfinished job.
A reprint needs `print.reprint` and a reason, and is either of the same waybill (its
print data fetched again where the carrier can) or of a new one (the old waybill cancelled
first through `core.waybills.allocation.reallocate`). Every reprinted package leaves an audit event.

The database backs the per-waybill half of this up: the partial unique index
`uq_print_job_items_first_print` allows one live first print per waybill, whatever process
tries. This module adds the per-package half (a package whose old waybill was cancelled
and replaced still counts as printed) and the operator's choice for `uncertain` items:

- **skip**: the label is taken as printed (the item becomes `done`, nothing is sent);
- **reprint**: the label is sent again as a reprint item at the end of the job (needs
  `print.reprint` and a reason, audited); the uncertain item is settled as the first print.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, ValidationError
from core.models import PrintJob, PrintJobItem, Waybill
from core.printing.lease import holder_is_dead
from core.printing.states import recount, recover

PRINTED_STATES = ("done", "sending", "uncertain")
REASON_MAX = 500
CHUNK = 500


@dataclass(frozen=True)
class PriorLabel:
    """The latest label item of a package: printed (or maybe), or waiting in a job."""

    package_id: int
    item_id: int
    job_id: int
    state: str
    waybill_number: str
    done_at: datetime | None
    template_version_id: int | None = None

    @property
    def printed(self) -> bool:
        return self.state in PRINTED_STATES

    def describe(self) -> str:
        if self.state == "queued":
            return (
                f"its label waits in print job {self.job_id}; resume or cancel that job "
                "instead of printing it again"
            )
        when = f" on {clock.local_text(self.done_at)}" if self.done_at else ""
        maybe = "" if self.state == "done" else f" ({self.state}: it may have printed)"
        return (
            f"its label (waybill {self.waybill_number}) was printed in job {self.job_id}"
            f"{when}{maybe}; printing it again is a reprint (--reprint --reason …)"
        )


def check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("a reprint needs a reason (it is audited)", field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationError(f"the reason is at most {REASON_MAX} characters", field="reason")
    return reason


def prior_labels(
    session: Session, org_id: int, package_ids: Sequence[int]
) -> dict[int, PriorLabel]:
    """package id → its latest live label item (printed, maybe printed, or queued)."""
    found: dict[int, PriorLabel] = {}
    ids = list(package_ids)
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(
                PrintJobItem.package_id,
                PrintJobItem.id,
                PrintJobItem.job_id,
                PrintJobItem.state,
                Waybill.number,
                PrintJobItem.done_at,
                PrintJobItem.template_version_id,
            )
            .join(Waybill, Waybill.id == PrintJobItem.waybill_id)
            .where(
                PrintJobItem.org_id == org_id,
                PrintJobItem.kind == "label",
                PrintJobItem.package_id.in_(ids[start : start + CHUNK]),
                PrintJobItem.state.in_((*PRINTED_STATES, "queued")),
            )
            .order_by(PrintJobItem.id)
        )
        for package_id, item_id, job_id, state, number, done_at, version in rows:
            prior = PriorLabel(package_id, item_id, job_id, state, number, done_at, version)
            current = found.get(package_id)
            # A printed label outranks a queued one; among equals the newest wins.
            if current is None or prior.printed or not current.printed:
                found[package_id] = prior
    return found


def audit_reprints(
    session: Session,
    actor: Actor,
    job_id: int,
    reason: str,
    packages: Iterable[tuple[int, str, str]],
) -> int:
    """One `print.reprint` event per package: (package id, old number, new number)."""
    count = 0
    for package_id, old, new in packages:
        audit.record(
            session,
            "print.reprint",
            actor=actor,
            target_type="package",
            target_id=package_id,
            before={"waybill": old},
            after={"waybill": new, "job_id": job_id, "new_waybill": old != new},
            detail=reason,
        )
        count += 1
    return count


# ---------------------------------------------------------------- uncertain items


@dataclass(frozen=True)
class Resolution:
    skipped: list[int]  # positions settled as printed
    reprinted: list[int]  # positions of the new reprint items


def resolve_uncertain(
    app: App,
    actor: Actor,
    job_id: int,
    choice: str,
    positions: Sequence[int] | None = None,
    reason: str = "",
) -> Resolution:
    """Settle uncertain items of a job (all of them, or those at `positions`): `skip`
    (`print.run`) or `reprint` (`print.reprint` + reason). Resume the job afterwards to
    print the reprint items. Items a dead runner left `sending` count as uncertain (no
    live runner holds the job: that is checked first)."""
    if choice not in ("skip", "reprint"):
        raise ValidationError("choose skip or reprint", field="choice")
    if choice == "reprint":
        reason = check_reason(reason)
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        if choice == "reprint":
            authz.require(session, actor, "print.reprint")
        job = session.get(PrintJob, job_id, with_for_update=True)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        _check_not_running(job)
        if recover(session, job_id):  # labels a dead runner left `sending` may have printed
            recount(session, job_id)
            session.refresh(job)
        stmt = select(PrintJobItem).where(
            PrintJobItem.job_id == job_id, PrintJobItem.state == "uncertain"
        )
        if positions:
            stmt = stmt.where(PrintJobItem.position.in_(list(positions)))
        items = list(session.scalars(stmt.order_by(PrintJobItem.position)))
        if positions:
            missing = sorted(set(positions) - {i.position for i in items})
            if missing:
                raise ValidationError(
                    f"job {job_id} has no uncertain item at position(s) {missing}",
                    field="positions",
                )
        if not items:
            raise Conflict(f"print job {job_id} has no uncertain items")
        result = Resolution([], [])
        last = session.scalar(
            select(func.max(PrintJobItem.position)).where(PrintJobItem.job_id == job_id)
        )
        now = clock.now()
        for item in items:
            note = f"{item.last_error} — settled by {actor.label}: {choice}".strip(" —")
            session.execute(
                update(PrintJobItem)
                .where(PrintJobItem.id == item.id, PrintJobItem.state == "uncertain")
                .values(state="done", done_at=now, last_error=note[:2000])
            )
            if choice == "skip":
                result.skipped.append(item.position)
                _audit_choice(session, actor, job_id, item, "skip", "")
                continue
            last = (last or 0) + 1
            session.add(
                PrintJobItem(
                    job_id=job_id,
                    org_id=item.org_id,
                    position=last,
                    kind=item.kind,
                    package_id=item.package_id,
                    order_id=item.order_id,
                    waybill_id=item.waybill_id,
                    printer_id=item.printer_id,
                    template_version_id=item.template_version_id,
                    state="queued",
                    reprint=True,
                    reprint_reason=reason,
                    reprint_of_id=item.id,
                )
            )
            result.reprinted.append(last)
            _audit_choice(session, actor, job_id, item, "reprint", reason)
        job.uncertain_items = max(0, job.uncertain_items - len(items))
        job.done_items += len(items)
        job.total_items += len(result.reprinted)
        if result.reprinted:
            job.status = "paused"
            job.error = "reprint items queued: resume the job to print them"
        elif job.status == "paused" and not _open_items(session, job_id):
            job.status, job.error, job.finished_at = "done", "", now
        return result


def _audit_choice(
    session: Session, actor: Actor, job_id: int, item: PrintJobItem, choice: str, reason: str
) -> None:
    action = "print.reprint" if choice == "reprint" else "print.uncertain_skip"
    audit.record(
        session,
        action,
        actor=actor,
        target_type="print_job_item",
        target_id=item.id,
        after={
            "job_id": job_id,
            "position": item.position,
            "package_id": item.package_id,
            "uncertain": True,
            "choice": choice,
        },
        detail=reason,
    )


def _check_not_running(job: PrintJob) -> None:

    held = job.lease_owner and job.lease_expires_at and not holder_is_dead(job.lease_owner)
    if held and clock.as_utc(job.lease_expires_at) > clock.now():  # type: ignore[arg-type]
        raise Conflict(
            f"print job {job.id} is being printed by {job.lease_owner}; "
            "settle its uncertain items when it has stopped"
        )


def _open_items(session: Session, job_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                PrintJobItem.job_id == job_id,
                PrintJobItem.state.in_(("queued", "sending", "uncertain", "failed")),
            )
        )
        or 0
    )
