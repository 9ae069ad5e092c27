"""One allocation batch: claim the packages, call the carrier, store, compensate.

The design (why the carrier is called outside any transaction, what a claim is, how a
failed store is compensated and how a crash is survived) is explained in `core.waybills.allocation`,
which drives these batches; the database steps are in `core.waybills.store`.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping

from sqlalchemy import select

from core import clock
from core.accounts import audit
from core.actor import Actor
from core.app import App
from core.contracts.carrier import WaybillRequest, WaybillResult
from core.errors import (
    AuthenticationFailed,
    ConfigurationError,
    NotSupported,
    OrderhubError,
    PluginError,
)
from core.models import Package
from core.runtime.progress import Progress, guarded
from core.waybills import store as db
from core.waybills.carrier_accounts import AccountInfo
from core.waybills.carrier_session import CarrierSession, CarrierTarget
from core.waybills.compensation import compensate
from core.waybills.query import guess_carriers
from core.waybills.report import AllocationReport, PackageOutcome
from core.waybills.requests import build_requests

log = logging.getLogger("orderhub.waybills")

#: A failure of one of these stops the rest of the allocation (the next batch would fail
#: the same way: an account to re-authorise, a setting to fix, a broken plugin).
FATAL = (AuthenticationFailed, ConfigurationError, NotSupported, PluginError)


def claim_token() -> str:
    """Who holds a package claim: host, process and a random part (≤ 64 characters)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


# ---------------------------------------------------------------- the batches


def run(
    app: App,
    actor: Actor,
    account: AccountInfo,
    target: CarrierTarget,
    ids: list[int],
    extra: Mapping[str, object],
    *,
    token: str | None = None,
    report: AllocationReport | None = None,
    progress: Progress | None = None,
) -> AllocationReport:
    """Allocate for `ids` batch by batch (`MAX_BATCH` of the account's carrier plugin),
    claiming with `token` (a fresh one by default); outcomes go into `report`.
    `progress` (`core.runtime.progress`) gets the packages as its total, a step a batch."""
    token = token or claim_token()
    report = report or AllocationReport(account=account.name)
    progress = guarded(progress)
    calls = CarrierSession(app, target, extra)
    try:
        size = calls.cls.MAX_BATCH
        progress.start(len(ids), "packages", f"waybills from {account.name}")
        tally: Counter[str] = Counter()
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            before = len(report.outcomes)
            if report.aborted:
                report.outcomes += [
                    PackageOutcome(p, "failed", error=f"not attempted: {report.aborted}")
                    for p in chunk
                ]
            else:
                _batch(app, actor, account, calls, chunk, token, report)
            tally.update(o.outcome for o in report.outcomes[before:])
            progress.advance(len(chunk), **{k: tally[k] for k in ("allocated", "kept", "failed")})
        progress.finish()
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
            release_claims(app, requests, token)
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
        release_claims(app, requests, token)
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


def release_claims(app: App, package_ids: Iterable[int], token: str) -> None:
    try:
        with app.tx() as session:
            db.release(session, package_ids, token)
    except Exception:  # the claim expires by itself; never hide the original failure
        log.exception("could not release allocation claims")


def _warning(app: App, calls: CarrierSession, account: AccountInfo, result: WaybillResult) -> str:
    """A soft check of a returned number against its carrier's pattern ('' when fine)."""

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
