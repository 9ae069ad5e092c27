"""Waybill allocation (取号): idempotent, in carrier-sized batches, never two per package.

`allocate(app, actor, package_ids, account)` (`print.run`) gives every package without an
active waybill one from the account's carrier; a package that has one keeps it ("kept").
`reallocate(…)` (`print.reprint`, with a reason) cancels the active one at the carrier
first, then allocates (invariant 3). `cancel(…)` recycles waybills (`core.waybills.cancel`).
The carrier is called with no transaction open and its numbers stored after; how a failed
store is compensated and how a crash is survived: docs/architecture.md, "Waybill
allocation". An optional `progress` (`core.runtime.progress`) is told of each batch: of
cancellations, then of allocations, one task each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Package
from core.runtime.progress import Progress, guarded
from core.waybills import cancel as cancelling
from core.waybills import store as db
from core.waybills.batches import claim_token, release_claims, run
from core.waybills.carrier_accounts import AccountInfo, account_row
from core.waybills.carrier_session import CarrierTarget
from core.waybills.report import AllocationReport, PackageOutcome
from core.waybills.requests import request_ids

MAX_PACKAGES = 10_000

__all__ = [
    "AllocationReport",
    "PackageOutcome",
    "allocate",
    "cancel",
    "claim_token",
    "reallocate",
]


# ---------------------------------------------------------------- public services


def allocate(
    app: App,
    actor: Actor,
    package_ids: Iterable[int],
    carrier_account: int | str,
    *,
    typed_numbers: Mapping[int, str] | None = None,
    progress: Progress | None = None,
) -> AllocationReport:
    """Give each package without an active waybill one from `carrier_account`.

    `typed_numbers` (package id → number) are numbers typed or scanned by the operator,
    for carriers without an API (the `manual` plugin).
    """
    ids = _package_ids(package_ids)
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        account, target = _account(session, actor, carrier_account)
        extra = _typed(session, ids, typed_numbers)
    return run(app, actor, account, target, ids, extra, progress=progress)


def reallocate(
    app: App,
    actor: Actor,
    package_ids: Iterable[int],
    carrier_account: int | str,
    *,
    reason: str,
    typed_numbers: Mapping[int, str] | None = None,
    progress: Progress | None = None,
) -> AllocationReport:
    """Cancel each package's active waybill at its carrier, then allocate a new one
    (`print.reprint`; the reason is audited). A package whose old waybill the carrier
    would not cancel keeps it and is reported failed."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("re-allocating needs a reason (it is audited)", field="reason")
    ids = _package_ids(package_ids)
    with app.tx() as session:
        authz.require(session, actor, "print.reprint")
        authz.require(session, actor, "print.run")
        account, target = _account(session, actor, carrier_account)
    token = claim_token()
    report = AllocationReport(account=account.name)
    ready: list[int] = []
    progress = guarded(progress)
    progress.start(len(ids), "packages", f"cancelling old waybills ({account.name})")
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        ready += _cancel_for_reallocation(app, actor, chunk, token, reason, report)
        progress.advance(len(chunk), ready=len(ready))
    progress.finish()
    with app.tx() as session:
        extra = _typed(session, ready, typed_numbers)
    run(app, actor, account, target, ready, extra, token=token, report=report, progress=progress)
    position = {package_id: n for n, package_id in enumerate(ids)}
    report.outcomes.sort(key=lambda o: position[o.package_id])
    return report


def cancel(
    app: App, actor: Actor, waybill_ids: Iterable[int], reason: str = ""
) -> list[cancelling.CancelOutcome]:
    """Cancel (recycle) waybills: one outcome per id. `print.run`, or `print.reprint`
    for a waybill whose label was printed."""
    ids = list(dict.fromkeys(int(i) for i in waybill_ids))
    if not ids:
        raise ValidationError("name at least one waybill to cancel", field="waybill_ids")
    with app.tx() as session:
        held = authz.permissions_of(session, actor)
        if not held & {"print.run", "print.reprint"}:
            authz.require(session, actor, "print.run")
    return cancelling.cancel(app, actor, ids, reason.strip())


# ---------------------------------------------------------------- the batches


# ---------------------------------------------------------------- helpers


def _cancel_for_reallocation(
    app: App, actor: Actor, ids: list[int], token: str, reason: str, report: AllocationReport
) -> list[int]:
    """Claim `ids`, cancel their active waybills; return the packages ready to allocate."""
    with app.tx() as session:
        claimed = db.claim(session, actor.org_id, ids, token)
        found = set(
            session.scalars(
                select(Package.id).where(Package.id.in_(ids), Package.org_id == actor.org_id)
            )
        )
        active = db.active_waybills(session, claimed)
    for package_id in ids:
        if package_id not in found:
            report.outcomes.append(
                PackageOutcome(package_id, "failed", error=f"no package with id {package_id}")
            )
        elif package_id not in claimed:
            report.outcomes.append(
                PackageOutcome(
                    package_id,
                    "busy",
                    retryable=True,
                    error="another allocation holds this package",
                )
            )
    if not active:
        return [p for p in ids if p in claimed]
    with app.tx() as session:
        pending, settled = cancelling.begin(session, actor, [w.id for w in active.values()], reason)
    carrier = cancelling.at_carrier(app, pending) if pending else {}
    with app.tx() as session:
        done = cancelling.finish(session, actor, pending, carrier, reason, "waybill.reallocate")
    outcomes = [*settled, *done]
    report.cancelled += outcomes
    stuck = {o.package_id for o in outcomes if o.outcome == "failed"}
    for outcome in outcomes:
        if outcome.outcome == "failed" and outcome.package_id is not None:
            report.outcomes.append(
                PackageOutcome(outcome.package_id, "failed", outcome.number, error=outcome.error)
            )
    release_claims(app, stuck, token)
    return [p for p in ids if p in claimed and p not in stuck]


def _account(session, actor: Actor, ref: int | str) -> tuple[AccountInfo, CarrierTarget]:  # type: ignore[no-untyped-def]
    row = account_row(session, actor, ref)
    if not row.enabled:
        raise ValidationError(f"carrier account {row.name!r} is disabled", field="carrier_account")
    return AccountInfo.of(row), CarrierTarget.of(session, row)


def _typed(session, ids: list[int], typed: Mapping[int, str] | None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Typed numbers keyed by each package's request id, as the carrier will see them."""
    if not typed:
        return {}
    unknown = sorted(set(typed) - set(ids))
    if unknown:
        raise ValidationError(
            f"numbers given for packages not being allocated: {unknown}", field="typed_numbers"
        )
    ids_for = request_ids(session, list(typed))
    return {"typed_numbers": {ids_for[p]: str(n) for p, n in typed.items()}}


def _package_ids(package_ids: Iterable[int]) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(p) for p in package_ids))
    except (TypeError, ValueError):
        raise ValidationError("package ids must be whole numbers", field="package_ids") from None
    if not ids:
        raise ValidationError("name at least one package", field="package_ids")
    if len(ids) > MAX_PACKAGES:
        raise ValidationError(
            f"at most {MAX_PACKAGES} packages per allocation", field="package_ids"
        )
    return ids
