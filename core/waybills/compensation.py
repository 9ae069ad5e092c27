"""Compensation: cancel at the carrier the numbers we drew but do not keep.

Called when storing failed, when a package changed while its waybill was drawn, or when
another process stored a different number first. Order matters:

1. one transaction checks that none of the numbers is active in orderhub (never cancel
   a number some package holds: a deduplicating carrier may have handed the same number
   to two concurrent requests) and records each as a `recycled` row — so the package's
   next request id changes before the carrier voids the number;
2. the carrier cancels each number (when the plugin can);
3. each cancelled number is marked `cancelled`.

If step 1 is impossible (database unavailable) nothing is cancelled: the numbers are
logged, and a re-run with the same request id gets them back from a deduplicating carrier.
A carrier that refuses to cancel raises a `waybill.cancel_failed` alert naming the numbers.
"""

from __future__ import annotations

import logging

from core.actor import Actor
from core.alerts.raising import raise_alert
from core.app import App
from core.contracts.carrier import WaybillRef, WaybillRequest, WaybillResult
from core.errors import OrderhubError
from core.waybills import store as db
from core.waybills.carrier_accounts import AccountInfo
from core.waybills.carrier_session import CarrierSession
from core.waybills.report import AllocationReport

log = logging.getLogger("orderhub.waybills")
ALERT_KIND = "waybill.cancel_failed"


def compensate(
    app: App,
    actor: Actor,
    account: AccountInfo,
    calls: CarrierSession,
    requests: dict[int, WaybillRequest],
    drawn: list[tuple[int, WaybillResult]],
    reason: str,
    report: AllocationReport,
) -> dict[int, str]:
    """Cancel the `drawn` numbers that are not active in orderhub; package id → what
    happened to its number (for the report)."""
    pairs = [(r.waybill.carrier_code, r.waybill.number) for _, r in drawn if r.waybill]
    notes: dict[int, str] = {}
    recorded: dict[int, int] = {}
    try:
        with app.tx() as session:
            active = db.active_numbers(session, actor.org_id, pairs)
            for package_id, result in drawn:
                waybill = result.waybill
                assert waybill is not None
                if (waybill.carrier_code, waybill.number) in active:
                    notes[package_id] = f"{waybill.number} is active in orderhub: kept"
                    continue
                recorded[package_id] = db.record_release(
                    session,
                    org_id=actor.org_id,
                    account_id=account.id,
                    carrier=account.carrier,
                    package_id=package_id,
                    request_id=requests[package_id].request_id,
                    result=result,
                    reason=f"compensation: {reason}",
                )
    except Exception:
        numbers = ", ".join(n for _, n in pairs)
        log.exception(
            "could not check or record drawn waybills %s of account %s; they were NOT "
            "cancelled at the carrier (a re-run returns them if the carrier deduplicates)",
            numbers,
            account.name,
        )
        return {p: "not cancelled at the carrier (database unavailable)" for p, _ in drawn}
    refused: list[str] = []
    by_package = dict(drawn)
    for package_id, row_id in recorded.items():
        waybill = by_package[package_id].waybill
        assert waybill is not None
        if not calls.cls.SUPPORTS_CANCEL:
            notes[package_id] = f"{waybill.number} released (the carrier has no cancel)"
            continue
        ref = WaybillRef(waybill.carrier_code, waybill.number)
        try:
            calls.call(lambda c, ref=ref: c.cancel_waybill(ref))
        except OrderhubError as exc:
            refused.append(f"{waybill.number} ({exc})")
            notes[package_id] = f"{waybill.number} could not be cancelled at the carrier: {exc}"
            continue
        try:
            with app.tx() as session:
                db.mark_cancelled(session, row_id, f"compensation: {reason}")
        except Exception:
            log.exception("waybill %s cancelled at the carrier, not marked", waybill.number)
        notes[package_id] = f"{waybill.number} cancelled at the carrier"
        report.compensated.append(waybill.number)
    if refused:
        _alert(app, actor, account, refused)
    return notes


def _alert(app: App, actor: Actor, account: AccountInfo, refused: list[str]) -> None:

    message = (
        f"面单未能回收 / waybills drawn on carrier account {account.name} were not kept and "
        f"the carrier would not cancel them: {'; '.join(refused)}. Try again with "
        "`orderhub waybill cancel NUMBER`, or cancel them in the platform's back office, "
        "so they are not billed."
    )
    try:
        raise_alert(app, actor.org_id, ALERT_KIND, "warning", message)
    except Exception:
        log.exception("could not raise the alert: %s", message)
