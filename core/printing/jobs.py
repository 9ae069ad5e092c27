"""Making a print job from orders: packages first, missing waybills next, then the items.

`create_job` packs the orders (`core.packages.ensure_packages`, one package per order by
default), draws a waybill for every package of a label job that has none
(`core.waybills.allocate`, in carrier batches) — or, for a reprint with a new waybill,
cancels the old one and draws again (`core.waybills.reallocate`) — then stores the job and
its items in order, split over the printers in contiguous blocks. Orders that cannot be
printed (on hold, refunded, no waybill to be had, already printed without `--reprint`) are
left out and listed with the reason; one bad order does not stop the batch. Nothing is
printed here: `core.printing.runner.run_job` does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit, authz, carrier_accounts, packages, waybills
from core.actor import Actor
from core.app import App
from core.errors import Conflict, ValidationError
from core.models import CarrierAccount, Order, PrintJob, PrintJobItem, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.printing import reprint as reprints
from core.printing import template_store
from core.printing.printers import PrinterConfig, get_row
from core.templates import builtin_templates

JOB_KINDS = ("label", "packing_slip", "pick_list")
INSERT_CHUNK = 1000


@dataclass(frozen=True)
class Refusal:
    """An order (or package) left out of the job, and why."""

    what: str
    reason: str


@dataclass
class CreatedJob:
    job_id: int
    kind: str
    total: int
    printers: list[str]
    template: str
    refused: list[Refusal] = field(default_factory=list)
    allocated: int = 0
    warnings: list[str] = field(default_factory=list)


def create_job(
    app: App,
    actor: Actor,
    order_ids: Sequence[int],
    printers: Sequence[str],
    *,
    kind: str = "label",
    template: str | None = None,
    carrier_account: str | int | None = None,
    reprint: bool = False,
    reason: str = "",
    new_waybill: bool = False,
    options: dict[str, Any] | None = None,
) -> CreatedJob:
    """A queued job printing `kind` for `order_ids` on `printers` (see the module docstring)."""
    if kind not in JOB_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(JOB_KINDS)}", field="kind")
    names = list(dict.fromkeys(p.strip() for p in printers if p and p.strip()))
    if not names:
        raise ValidationError("name at least one printer (--printer NAME)", field="printers")
    if new_waybill and not reprint:
        raise ValidationError("a new waybill is for reprints (--reprint --reason)", field="reprint")
    if reprint:
        reason = reprints.check_reason(reason)
        if kind != "label":
            raise ValidationError("only labels are reprinted; slips print again freely")
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        if reprint:
            authz.require(session, actor, "print.reprint")
        configs = [_printer(session, actor, name, kind) for name in names]
    refused: list[Refusal] = []
    packing = packages.ensure_packages(app, actor, order_ids)
    refused += [Refusal(r.order_number or f"order {r.order_id}", r.reason) for r in packing.refused]
    package_ids = list(dict.fromkeys(p.id for p in packing.packages))
    numbers = _order_numbers(app, packing.package_of_order)
    account = None
    allocated = 0
    if kind == "label" and package_ids:
        package_ids, account, allocated = _waybills(
            app, actor, package_ids, carrier_account, reprint, reason, new_waybill, numbers, refused
        )
    if not package_ids:
        first = "; ".join(f"{r.what}: {r.reason}" for r in refused[:5])
        raise ValidationError(f"nothing to print: {first}", refused=[r.__dict__ for r in refused])
    if reprint and any(not c.self_rendered for c in configs):
        _refresh_print_data(app, actor, package_ids)
    created = _store(app, actor, kind, package_ids, configs, template, account, reprint, reason,
                     numbers, refused, options or {})  # fmt: skip
    created.allocated = allocated
    return created


# ---------------------------------------------------------------- steps


def _printer(session: Session, actor: Actor, name: str, kind: str) -> PrinterConfig:
    config = PrinterConfig.of(get_row(session, actor.org_id, name))
    if not config.enabled:
        raise ValidationError(f"printer {name!r} is disabled", field="printers")
    if kind != "label" and not config.self_rendered:
        raise ValidationError(
            f"printer {name!r} is a print component; it prints platform waybills only",
            field="printers",
        )
    return config


def _waybills(
    app: App,
    actor: Actor,
    ids: list[int],
    account_ref: str | int | None,
    reprint: bool,
    reason: str,
    new_waybill: bool,
    numbers: dict[int, str],
    refused: list[Refusal],
) -> tuple[list[int], carrier_accounts.AccountInfo | None, int]:
    """Keep the packages that may print a label now, with a waybill each."""
    with app.tx() as session:
        prior = reprints.prior_labels(session, actor.org_id, ids)
    keep = []
    for package_id in ids:
        before = prior.get(package_id)
        what = numbers.get(package_id, f"package {package_id}")
        if not reprint and before is not None:
            refused.append(Refusal(what, before.describe()))
        elif reprint and (before is None or not before.printed):
            why = before.describe() if before else "its label was never printed; print it normally"
            refused.append(Refusal(what, why))
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
    account = _account(app, actor, account_ref, need)
    if new_waybill:
        report = waybills.reallocate(app, actor, need, account.id, reason=reason)
    else:
        report = waybills.allocate(app, actor, need, account.id)
    bad = {o.package_id: o.error for o in report.outcomes if o.outcome in ("failed", "busy")}
    refused += [Refusal(numbers.get(p, f"package {p}"), e) for p, e in bad.items()]
    return [p for p in keep if p not in bad], account, len(report.allocated)


def _account(
    app: App, actor: Actor, ref: str | int | None, package_ids: list[int]
) -> carrier_accounts.AccountInfo:
    """The account to draw waybills from: the one named, else the packages' own, else the
    org's only enabled one."""
    if ref is not None and str(ref).strip():
        return carrier_accounts.get_account(app, actor, ref)
    with app.tx() as session:
        from core.models import Package

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


def _refresh_print_data(app: App, actor: Actor, package_ids: list[int]) -> None:
    """A reprint on a print component: fetch the waybills' print data again."""
    from core.waybill_query import reprint_data

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


def _store(
    app: App,
    actor: Actor,
    kind: str,
    package_ids: list[int],
    configs: list[PrinterConfig],
    template: str | None,
    account: carrier_accounts.AccountInfo | None,
    reprint: bool,
    reason: str,
    numbers: dict[int, str],
    refused: list[Refusal],
    options: dict[str, Any],
) -> CreatedJob:
    with app.tx() as session:
        version = template_store.resolve(
            session, actor.org_id, _template_name(template, kind, account, configs[0]), kind
        )
        spec = template_store.spec_of(session, version.id)
        warnings = [
            f"template {spec.name} is {spec.width_mm:g}×{spec.height_mm:g} mm; printer "
            f"{c.name} has {c.media_width_mm:g}×{c.media_height_mm:g} mm media"
            for c in configs
            if c.self_rendered
            and (spec.width_mm > c.media_width_mm + 1 or spec.height_mm > c.media_height_mm + 1)
        ]
        waybill_of: dict[int, Waybill] = {}
        if kind == "label":
            waybill_of = {
                w.package_id: w
                for w in session.scalars(
                    select(Waybill).where(
                        Waybill.package_id.in_(package_ids),
                        Waybill.status.in_(PRINTABLE_WAYBILL_STATUSES),
                    )
                )
            }
            missing = [p for p in package_ids if p not in waybill_of]
            refused += [
                Refusal(numbers.get(p, f"package {p}"), "it has no waybill") for p in missing
            ]
            package_ids = [p for p in package_ids if p in waybill_of]
            if not package_ids:
                raise ValidationError("nothing to print: no package has a waybill")
        prior = reprints.prior_labels(session, actor.org_id, package_ids) if reprint else {}
        first_orders = _first_orders(session, package_ids)
        job = PrintJob(
            org_id=actor.org_id, kind=kind, status="queued", printer_id=configs[0].id,
            template_version_id=version.id, created_by=actor.user_id, actor_label=actor.label,
            options={**options, "printers": [c.name for c in configs], "reprint": reprint,
                     "package_ids": package_ids if kind == "pick_list" else []},
        )  # fmt: skip
        session.add(job)
        session.flush()
        units: list[int | None] = [None] if kind == "pick_list" else list(package_ids)
        rows = []
        for index, package_id in enumerate(units):
            config = configs[index * len(configs) // len(units)]
            waybill = waybill_of.get(package_id) if package_id is not None else None
            before = prior.get(package_id) if package_id is not None else None
            rows.append(
                {"job_id": job.id, "org_id": actor.org_id, "position": index + 1, "kind": kind,
                 "package_id": package_id, "order_id": first_orders.get(package_id),
                 "waybill_id": waybill.id if waybill else None, "printer_id": config.id,
                 "template_version_id": _version_for(config, version.id, before, template),
                 "state": "queued", "attempts": 0,
                 "reprint": bool(reprint and before and before.waybill_number == waybill.number),
                 "reprint_reason": reason if reprint else "",
                 "reprint_of_id": before.item_id if before else None,
                 "last_error": "", "language": config.language, "device_ref": ""}
            )  # fmt: skip
        try:
            for start in range(0, len(rows), INSERT_CHUNK):
                session.execute(insert(PrintJobItem), rows[start : start + INSERT_CHUNK])
        except IntegrityError:
            raise Conflict(
                "another print job took some of these labels meanwhile; run the batch again "
                "(labels already queued or printed are then listed and left out)"
            ) from None
        job.total_items = len(rows)
        if reprint:
            reprints.audit_reprints(
                session, actor, job.id, reason,
                [(p, prior[p].waybill_number, waybill_of[p].number) for p in package_ids],
            )  # fmt: skip
        audit.record(
            session, "print.job_create", actor=actor, target_type="print_job", target_id=job.id,
            after={"kind": kind, "items": len(rows), "printers": [c.name for c in configs],
                   "template": f"{spec.name}@{spec.version}", "reprint": reprint,
                   "refused": len(refused)},
            detail=reason,
        )  # fmt: skip
        return CreatedJob(
            job.id, kind, len(rows), [c.name for c in configs], f"{spec.name}@{spec.version}",
            refused, warnings=warnings,
        )  # fmt: skip


def _version_for(
    config: PrinterConfig,
    job_version: int,
    before: reprints.PriorLabel | None,
    named: str | None,
) -> int | None:
    """A reprint renders with the template version its label was first printed with,
    unless the operator named a template; a print component renders its own."""
    if not config.self_rendered:
        return None
    if before is not None and before.template_version_id and not (named and named.strip()):
        return before.template_version_id
    return job_version


def _template_name(
    given: str | None,
    kind: str,
    account: carrier_accounts.AccountInfo | None,
    printer: PrinterConfig,
) -> str | None:
    """The job's template: the one named, else the carrier account's, else the built-in
    label matching the first printer's media, else the kind's default."""
    if given and given.strip():
        return given.strip()
    if kind != "label":
        return None
    if account is not None and account.default_template:
        return account.default_template
    media = f"label-{printer.media_width_mm:g}x{printer.media_height_mm:g}"
    return media if media in builtin_templates() else None


def _first_orders(session: Session, package_ids: list[int]) -> dict[int | None, int]:
    from core.models import PackageLine

    found: dict[int | None, int] = {}
    for start in range(0, len(package_ids), INSERT_CHUNK):
        rows = session.execute(
            select(PackageLine.package_id, PackageLine.order_id)
            .where(PackageLine.package_id.in_(package_ids[start : start + INSERT_CHUNK]))
            .order_by(PackageLine.id)
        )
        for package_id, order_id in rows:
            found.setdefault(package_id, order_id)
    return found


def _order_numbers(app: App, package_of_order: dict[int, int]) -> dict[int, str]:
    """package id → "order 2611…" for messages."""
    ids = list(package_of_order)
    out: dict[int, str] = {}
    with app.tx() as session:
        for start in range(0, len(ids), INSERT_CHUNK):
            rows = session.execute(
                select(Order.id, Order.platform_order_no).where(
                    Order.id.in_(ids[start : start + INSERT_CHUNK])
                )
            )
            for order_id, number in rows:
                package_id = package_of_order[order_id]
                out[package_id] = f"{out[package_id]},{number}" if package_id in out else number
    return {p: f"order {n}" for p, n in out.items()}
