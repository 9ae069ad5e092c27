"""Waybill allocation (取号): idempotent, in carrier-sized batches, never two per package.

`allocate(app, actor, package_ids, account)` (`print.run`) gives every package without an
active waybill one from the account's carrier; a package that has one keeps it ("kept").
`reallocate(…)` (`print.reprint`, with a reason) cancels the active one at the carrier
first, then allocates (invariant 3: the database holds at most one active waybill per
package at every instant — a partial unique index, not only this code, guarantees it).
`cancel(…)` recycles waybills (see `core.waybill_cancel`).

Per batch (at most `Carrier.MAX_BATCH` packages): claim the packages (a short lease, so
concurrent allocations do not both call the carrier), call the carrier with no database
transaction open, then store the numbers in one transaction. A per-package error from the
carrier fails that package only; a failure of the whole call fails that batch.

A waybill is an external side effect, so the carrier is called first and the result
stored after. What if storing fails after the carrier allocated?

- The store transaction fails (database error, a package put on hold meanwhile, a lost
  race with another process that stored a different number): **compensate** — each such
  number is first recorded as `recycled` (a not-active row, so the package's next request
  id changes), then cancelled at the carrier and marked `cancelled`. Numbers that are
  active in orderhub are never cancelled (another process may have stored the same
  number: carriers that deduplicate on the request id return it to both). If even that
  check is impossible (database down), nothing is cancelled and the numbers are logged.
- The process dies between the carrier call and the store: nothing can run, so the
  design relies on the **request id** — the package id, unchanged until a waybill of the
  package is cancelled. Pinduoduo (and the sandbox) return the same waybill for a
  repeated `object_id`, so re-running the allocation after the claim expires stores the
  number the carrier already issued; no orphan stays active at the carrier. A carrier
  without that deduplication would leave the first number unused at the carrier.

Tracking-number patterns are soft: a number the carrier returned is stored even when it
does not match its carrier's pattern; the mismatch is a warning (and a guess of which
carrier it looks like), on the report and on the waybill row.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from core import audit, authz
from core import waybill_cancel as cancelling
from core import waybill_store as db
from core.actor import Actor
from core.app import App
from core.carrier_accounts import AccountInfo, CarrierSession, CarrierTarget, account_row
from core.contracts.carrier import WaybillRequest, WaybillResult
from core.errors import (
    AuthenticationFailed,
    ConfigurationError,
    NotSupported,
    OrderhubError,
    PluginError,
    ValidationError,
)
from core.waybill_compensation import compensate
from core.waybill_requests import request_ids

log = logging.getLogger("orderhub.waybills")

MAX_PACKAGES = 10_000
#: A failure of one of these stops the rest of the allocation (the next batch would fail
#: the same way: an account to re-authorise, a setting to fix, a broken plugin).
FATAL = (AuthenticationFailed, ConfigurationError, NotSupported, PluginError)


@dataclass(frozen=True)
class PackageOutcome:
    """`allocated` | `kept` | `busy` (another allocation holds it) | `failed`."""

    package_id: int
    outcome: str
    number: str = ""
    waybill_id: int | None = None
    error: str = ""
    retryable: bool = False
    warning: str = ""


@dataclass
class AllocationReport:
    account: str
    outcomes: list[PackageOutcome] = field(default_factory=list)
    compensated: list[str] = field(default_factory=list)  # numbers cancelled at the carrier
    cancelled: list[cancelling.CancelOutcome] = field(default_factory=list)  # reallocate
    aborted: str = ""

    def of(self, outcome: str) -> list[PackageOutcome]:
        return [o for o in self.outcomes if o.outcome == outcome]

    @property
    def allocated(self) -> list[PackageOutcome]:
        return self.of("allocated")

    @property
    def kept(self) -> list[PackageOutcome]:
        return self.of("kept")

    @property
    def failed(self) -> list[PackageOutcome]:
        return self.of("failed")

    @property
    def busy(self) -> list[PackageOutcome]:
        return self.of("busy")

    @property
    def warnings(self) -> list[str]:
        return [f"package {o.package_id}: {o.warning}" for o in self.outcomes if o.warning]


# ---------------------------------------------------------------- public services


def allocate(
    app: App,
    actor: Actor,
    package_ids: Iterable[int],
    carrier_account: int | str,
    *,
    typed_numbers: Mapping[int, str] | None = None,
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
    return _run(app, actor, account, target, ids, extra)


def reallocate(
    app: App,
    actor: Actor,
    package_ids: Iterable[int],
    carrier_account: int | str,
    *,
    reason: str,
    typed_numbers: Mapping[int, str] | None = None,
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
    for start in range(0, len(ids), 100):
        ready += _cancel_for_reallocation(
            app, actor, ids[start : start + 100], token, reason, report
        )
    with app.tx() as session:
        extra = _typed(session, ready, typed_numbers)
    _run(app, actor, account, target, ready, extra, token=token, report=report)
    report.outcomes.sort(key=lambda o: ids.index(o.package_id))
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


def claim_token() -> str:
    """Who holds a package claim: host, process and a random part (≤ 64 characters)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


# ---------------------------------------------------------------- the batches


def _run(
    app: App,
    actor: Actor,
    account: AccountInfo,
    target: CarrierTarget,
    ids: list[int],
    extra: Mapping[str, object],
    *,
    token: str | None = None,
    report: AllocationReport | None = None,
) -> AllocationReport:
    token = token or claim_token()
    report = report or AllocationReport(account=account.name)
    calls = CarrierSession(app, target, extra)
    try:
        size = calls.cls.MAX_BATCH
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            if report.aborted:
                report.outcomes += [
                    PackageOutcome(p, "failed", error=f"not attempted: {report.aborted}")
                    for p in chunk
                ]
                continue
            _batch(app, actor, account, calls, chunk, token, report)
    finally:
        calls.close()
    return report


def _batch(
    app: App,
    actor: Actor,
    account: AccountInfo,
    calls: CarrierSession,
    chunk: list[int],
    token: str,
    report: AllocationReport,
) -> None:
    claimed = _prepare(app, actor, account, chunk, token)
    settled = _settled_outcomes(claimed)
    requests = claimed.requests
    results: dict[int, WaybillResult] = {}
    if requests:
        try:
            answer = calls.call(lambda c: c.allocate(list(requests.values())))
            results = _by_package(requests, answer)
        except Exception as exc:  # a plugin may raise anything; each is a batch failure
            error = (
                exc
                if isinstance(exc, OrderhubError)
                else PluginError(
                    f"carrier plugin {account.carrier!r} failed: {type(exc).__name__}: {exc}"
                )
            )
            _release(app, requests, token)
            retryable = bool(getattr(error, "retryable", False))
            settled.update(
                {
                    p: PackageOutcome(p, "failed", error=str(error), retryable=retryable)
                    for p in requests
                }
            )
            if isinstance(error, FATAL):
                report.aborted = str(error)
            report.outcomes += [settled[p] for p in chunk if p in settled]
            return
    warnings = {p: _warning(app, calls, account, r) for p, r in results.items() if r.waybill}
    warnings = {p: w for p, w in warnings.items() if w}
    settled.update(_store(app, actor, account, calls, requests, results, warnings, token, report))
    report.outcomes += [settled[p] for p in chunk if p in settled]


def _prepare(
    app: App, actor: Actor, account: AccountInfo, chunk: list[int], token: str
) -> db.Claimed:
    from core.models import Package
    from core.waybill_requests import build_requests

    out = db.Claimed()
    with app.tx() as session:
        claimed = db.claim(session, actor.org_id, chunk, token)
        packages = {
            p.id: p
            for p in session.scalars(
                select(Package).where(Package.id.in_(chunk), Package.org_id == actor.org_id)
            )
        }
        out.refused.update({p: f"no package with id {p}" for p in chunk if p not in packages})
        active = db.active_waybills(session, packages)
        for package_id, waybill in active.items():
            if waybill.status == "cancelling":
                out.refused[package_id] = (
                    f"waybill {waybill.number} of package {package_id} is being cancelled; "
                    "cancel it again to finish (`orderhub waybill cancel`)"
                )
            else:
                out.kept[package_id] = waybill
        free = [p for i, p in packages.items() if i not in active]
        for package in free:
            if package.id not in claimed:
                out.busy[package.id] = package.allocation_claim_until  # type: ignore[assignment]
        candidates = [p for p in free if p.id in claimed]
        out.refused.update(db.refusals(session, candidates))
        buildable = [p for p in candidates if p.id not in out.refused]
        for package_id, built in build_requests(session, account, buildable).items():
            if isinstance(built, WaybillRequest):
                out.requests[package_id] = built
            else:
                out.refused[package_id] = built
        db.release(session, [p for p in claimed if p not in out.requests], token)
    return out


def _settled_outcomes(claimed: db.Claimed) -> dict[int, PackageOutcome]:
    from core import clock

    settled = {p: PackageOutcome(p, "failed", error=e) for p, e in claimed.refused.items()}
    for package_id, waybill in claimed.kept.items():
        settled[package_id] = PackageOutcome(
            package_id, "kept", waybill.number, waybill.id, warning=waybill.number_warning
        )
    for package_id, until in claimed.busy.items():
        when = clock.local_text(until) if until else "soon"
        settled[package_id] = PackageOutcome(
            package_id,
            "busy",
            retryable=True,
            error=f"another allocation is drawing a waybill for package {package_id} "
            f"(its claim ends at {when})",
        )
    return settled


def _by_package(
    requests: dict[int, WaybillRequest], answer: list[WaybillResult]
) -> dict[int, WaybillResult]:
    """Match results to packages by request id; a missing answer is a retryable error."""
    by_request = {r.request_id: r for r in answer if isinstance(r, WaybillResult)}
    return {
        package_id: by_request.get(request.request_id)
        or WaybillResult(
            request.request_id, error="the carrier returned no answer for it", retryable=True
        )
        for package_id, request in requests.items()
    }


def _store(
    app: App,
    actor: Actor,
    account: AccountInfo,
    calls: CarrierSession,
    requests: dict[int, WaybillRequest],
    results: dict[int, WaybillResult],
    warnings: dict[int, str],
    token: str,
    report: AllocationReport,
) -> dict[int, PackageOutcome]:
    out: dict[int, PackageOutcome] = {}
    for package_id, result in results.items():
        if result.error:
            out[package_id] = PackageOutcome(
                package_id, "failed", error=result.error, retryable=result.retryable
            )
    try:
        with app.tx() as session:
            stored = db.store(
                session,
                org_id=actor.org_id,
                account_id=account.id,
                carrier=account.carrier,
                user_id=actor.user_id,
                requests=requests,
                results=results,
                warnings=warnings,
            )
            db.release(session, requests, token)
            if stored.allocated:
                audit.record(
                    session,
                    "waybill.allocate",
                    actor=actor,
                    target_type="carrier_account",
                    target_id=account.id,
                    after={
                        "account": account.name,
                        "waybills": {str(p): n for p, (_, n) in stored.allocated.items()},
                    },
                )
    except Exception as exc:  # nothing was stored: compensate for every drawn number
        log.exception("storing waybills of account %s failed", account.name)
        drawn = [(p, r) for p, r in results.items() if r.waybill]
        notes = compensate(
            app,
            actor,
            account,
            calls,
            requests,
            drawn,
            f"drawn but not stored: {type(exc).__name__}",
            report,
        )
        _release(app, requests, token)
        for package_id, result in drawn:
            out[package_id] = PackageOutcome(
                package_id,
                "failed",
                retryable=True,
                error=f"waybill {result.waybill.number} was drawn but could not be stored "  # type: ignore[union-attr]
                f"({type(exc).__name__}: {exc}); {notes.get(package_id, '')}".rstrip("; "),
            )
        report.aborted = report.aborted or f"the database refused the waybills: {exc}"
        return out
    for package_id, (waybill_id, number) in stored.allocated.items():
        out[package_id] = PackageOutcome(
            package_id, "allocated", number, waybill_id, warning=warnings.get(package_id, "")
        )
    for package_id, number in stored.kept.items():
        out[package_id] = PackageOutcome(package_id, "kept", number)
    for package_id, why in stored.refused.items():
        out[package_id] = PackageOutcome(package_id, "failed", error=why)
    if stored.to_cancel:
        compensate(
            app,
            actor,
            account,
            calls,
            requests,
            stored.to_cancel,
            "drawn twice or for a package changed meanwhile",
            report,
        )
    return out


def _release(app: App, package_ids: Iterable[int], token: str) -> None:
    try:
        with app.tx() as session:
            db.release(session, package_ids, token)
    except Exception:  # the claim expires by itself; never hide the original failure
        log.exception("could not release allocation claims")


# ---------------------------------------------------------------- helpers


def _cancel_for_reallocation(
    app: App, actor: Actor, ids: list[int], token: str, reason: str, report: AllocationReport
) -> list[int]:
    """Claim `ids`, cancel their active waybills; return the packages ready to allocate."""
    from core.models import Package

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
    _release(app, stuck, token)
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


def _warning(app: App, calls: CarrierSession, account: AccountInfo, result: WaybillResult) -> str:
    """A soft check of a returned number against its carrier's pattern ('' when fine)."""
    from core.waybill_query import guess_carriers

    waybill = result.waybill
    assert waybill is not None
    notes = []
    if waybill.carrier_code.upper() != account.wp_code.upper():
        notes.append(f"the carrier answered for {waybill.carrier_code}, not {account.wp_code}")
    if calls.cls.tracking_number_matches(waybill.carrier_code, waybill.number) is False:
        guesses = [c for c in guess_carriers(app, waybill.number) if c != waybill.carrier_code]
        looks = f"; it looks like {'/'.join(guesses)}" if guesses else ""
        notes.append(f"{waybill.number} does not look like a {waybill.carrier_code} number{looks}")
    return "; ".join(notes)
