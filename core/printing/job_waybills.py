"""The waybills of a label job: which packages may print now, and a waybill for each.

A package whose label was printed (or waits in another job) is left out unless this is a
reprint; a reprint of a package never printed is refused (print it normally). Packages
without an active waybill get one from the carrier account named, the one their orders
were assigned (自动分配, core.assignment), the packages' own, or the org's only enabled one
(`core.waybills.allocation.allocate`); a reprint on a new waybill cancels the old one at
the carrier first (`core.waybills.allocation.reallocate`).
"""

from __future__ import annotations

from sqlalchemy import select

from core.actor import Actor
from core.app import App
from core.assignment import assigning
from core.errors import ValidationError
from core.models import CarrierAccount, Package, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.printing import reprint as reprints
from core.runtime.progress import Progress
from core.waybills import allocation as waybills
from core.waybills import carrier_accounts
from core.waybills.query import reprint_data


def prepare(
    app: App,
    actor: Actor,
    ids: list[int],
    account_ref: str | int | None,
    reprint: bool,
    reason: str,
    new_waybill: bool,
    numbers: dict[int, str],
    refused: list[tuple[str, str]],
    progress: Progress | None = None,
) -> tuple[list[int], carrier_accounts.AccountInfo | None, int]:
    """Keep the packages that may print a label now, with a waybill each; the others are
    appended to `refused` as (what, why). `progress` follows the waybills drawn."""
    with app.tx() as session:
        prior = reprints.prior_labels(session, actor.org_id, ids)
    keep = []
    for package_id in ids:
        before = prior.get(package_id)
        what = numbers.get(package_id, f"package {package_id}")
        if not reprint and before is not None:
            refused.append((what, before.describe()))
        elif reprint and (before is None or not before.printed):
            why = before.describe() if before else "its label was never printed; print it normally"
            refused.append((what, why))
        else:
            keep.append(package_id)
    if not keep:
        return [], None, 0
    with app.tx() as session:
        active = {
            w.package_id
            for w in session.scalars(
                select(Waybill).where(
                    Waybill.package_id.in_(keep), Waybill.status.in_(PRINTABLE_WAYBILL_STATUSES)
                )
            )
        }
    need = keep if new_waybill else [p for p in keep if p not in active]
    if not need:
        return keep, None, 0
    bad: dict[int, str] = {}
    groups = _accounts_for(app, actor, account_ref, need, numbers, bad)
    allocated = 0
    for account, ids in groups:
        if new_waybill:
            report = waybills.reallocate(
                app, actor, ids, account.id, reason=reason, progress=progress
            )
        else:
            report = waybills.allocate(app, actor, ids, account.id, progress=progress)
        bad.update(
            {o.package_id: o.error for o in report.outcomes if o.outcome in ("failed", "busy")}
        )
        allocated += len(report.allocated)
    refused += [(numbers.get(p, f"package {p}"), e) for p, e in bad.items()]
    only = groups[0][0] if len(groups) == 1 else None
    return [p for p in keep if p not in bad], only, allocated


def _accounts_for(
    app: App,
    actor: Actor,
    ref: str | int | None,
    package_ids: list[int],
    numbers: dict[int, str],
    bad: dict[int, str],
) -> list[tuple[carrier_accounts.AccountInfo, list[int]]]:
    """The account each package draws from: the one named; else the one its orders were
    assigned (core.assignment; orders of one package must agree, else it is refused);
    else `_account`'s choice."""
    if ref is not None and str(ref).strip():
        return [(_account(app, actor, ref, package_ids), package_ids)]
    with app.tx() as session:
        assigned = assigning.package_assignments(session, actor.org_id, package_ids)
    by_account: dict[int, list[int]] = {}
    rest: list[int] = []
    for package_id in package_ids:
        choice = assigned.get(package_id)
        if choice is not None and choice.problem:
            bad[package_id] = choice.problem
        elif choice is not None and choice.carrier_account_id is not None:
            by_account.setdefault(choice.carrier_account_id, []).append(package_id)
        else:
            rest.append(package_id)
    groups = [(carrier_accounts.get_account(app, actor, a), ids) for a, ids in by_account.items()]
    if rest and not groups:
        groups.append((_account(app, actor, None, rest), rest))
    elif rest:
        try:
            groups.append((_account(app, actor, None, rest), rest))
        except ValidationError as exc:
            bad.update({p: str(exc) for p in rest})
    return groups


def _account(
    app: App, actor: Actor, ref: str | int | None, package_ids: list[int]
) -> carrier_accounts.AccountInfo:
    """The account to draw waybills from: the one named, else the packages' own, else the
    org's only enabled one."""
    if ref is not None and str(ref).strip():
        return carrier_accounts.get_account(app, actor, ref)
    with app.tx() as session:
        used = set(
            session.scalars(
                select(Package.carrier_account_id).where(
                    Package.id.in_(package_ids), Package.carrier_account_id.is_not(None)
                )
            )
        )
        enabled = list(
            session.scalars(
                select(CarrierAccount.id).where(
                    CarrierAccount.org_id == actor.org_id, CarrierAccount.enabled.is_(True)
                )
            )
        )
    if len(used) == 1:
        return carrier_accounts.get_account(app, actor, used.pop())
    if len(enabled) == 1:
        return carrier_accounts.get_account(app, actor, enabled[0])
    raise ValidationError(
        "some packages have no waybill yet: choose the carrier account to draw them from "
        f"(--carrier NAME; the org has {len(enabled)} enabled)",
        field="carrier_account",
    )


def refresh_print_data(app: App, actor: Actor, package_ids: list[int]) -> None:
    """A reprint on a print component: fetch the waybills' print data again."""

    with app.tx() as session:
        ids = list(
            session.scalars(
                select(Waybill.id).where(
                    Waybill.package_id.in_(package_ids),
                    Waybill.status.in_(PRINTABLE_WAYBILL_STATUSES),
                )
            )
        )
    if ids:
        reprint_data(app, actor, ids)
