"""Making a print job from orders: packages first, missing waybills next, then the items.

`create_job` packs the orders (`core.orders.packages.ensure_packages`, one package per
order by default), draws a waybill for every package of a label job that has none
(`core.waybills.allocation.allocate`, in carrier batches) — or, for a reprint with a new
waybill, cancels the old one and draws again (`core.waybills.allocation.reallocate`) — then
stores the job and its items in order, split over the printers in contiguous blocks (a
product-label job has one item per unit of every goods line, 商品标签). Orders
that cannot be printed (on hold, refunded, no waybill to be had, already printed without
`--reprint`) are left out and listed with the reason; one bad order does not stop the batch.
Nothing is printed here: `core.printing.runner.run_job` does that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.assignment import assigning
from core.errors import Conflict, NotFound, ValidationError
from core.models import Order, Package, PackageLine, PrintJob, PrintJobItem, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.orders import packages
from core.printing import job_waybills, selection, template_store
from core.printing import lease as leases
from core.printing import reprint as reprints
from core.printing.printers import PrinterConfig, get_row
from core.runtime.progress import Progress
from core.templates import builtin_templates
from core.waybills import carrier_accounts

JOB_KINDS = ("label", "packing_slip", "pick_list", "product_label")
INSERT_CHUNK = 1000
#: Most product labels one job makes (one per unit of every goods line).
MAX_PRODUCT_LABELS = 20_000


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
    progress: Progress | None = None,
    runner: str | None = None,
) -> CreatedJob:
    """A queued job printing `kind` for `order_ids` on `printers` (see the module docstring).
    `progress` (`core.runtime.progress`) follows the waybills drawn for it. `runner`: the
    lease owner that runs it next (`run_job(owner=runner)`, in this process), so a
    worker's print spooling does not take it in between; without one the job waits for
    a worker (`core.printing.spool`)."""
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
    refused += [
        Refusal(f"order {r.order_number}" if r.order_number else f"order id {r.order_id}", r.reason)
        for r in packing.refused
    ]
    package_ids = list(dict.fromkeys(p.id for p in packing.packages))
    numbers = _order_numbers(app, packing.package_of_order)
    account = None
    allocated = 0
    if kind == "label" and package_ids:
        left_out: list[tuple[str, str]] = []
        package_ids, account, allocated = job_waybills.prepare(
            app,
            actor,
            package_ids,
            carrier_account,
            reprint,
            reason,
            new_waybill,
            numbers,
            left_out,
            progress,
        )
        refused += [Refusal(what, why) for what, why in left_out]
    if not package_ids:
        first = "; ".join(f"{r.what}: {r.reason}" for r in refused[:5])
        raise ValidationError(f"nothing to print: {first}", refused=[r.__dict__ for r in refused])
    if reprint and any(not c.self_rendered for c in configs):
        job_waybills.refresh_print_data(app, actor, package_ids)
    created = _store(
        app,
        actor,
        kind,
        package_ids,
        configs,
        template,
        account,
        reprint,
        reason,
        numbers,
        refused,
        options or {},
        runner,
    )
    created.allocated = allocated
    return created


def create_print_job(
    app: App,
    actor: Actor,
    printers: Sequence[str],
    *,
    orders: Sequence[str] = (),
    query: str = "",
    package_ids: Sequence[int] = (),
    kind: str = "label",
    template: str | None = None,
    carrier_account: str | int | None = None,
) -> CreatedJob:
    """`create_job` for orders named the way a client names them: platform order
    numbers, a query in the desk's language (`core.printing.selection`), or package ids
    (their orders). Exactly one of the three. The job is queued, not printed."""
    given = [bool(orders), bool(query and query.strip()), bool(package_ids)]
    if sum(given) != 1:
        raise ValidationError(
            "name the orders, a filter or the packages (one of them)", field="orders"
        )
    if orders:
        order_ids = list(packages.packages_for_orders(app, actor, orders).values())
    elif package_ids:
        order_ids = _orders_of_packages(app, actor, package_ids)
    else:
        with app.tx() as session:
            order_ids = selection.select_order_ids(session, actor, query)
        if not order_ids:
            raise ValidationError(f"no order matches the filter {query!r}", field="query")
    return create_job(
        app,
        actor,
        order_ids,
        printers,
        kind=kind,
        template=template,
        carrier_account=carrier_account,
    )


def reprint_job(
    app: App,
    actor: Actor,
    job_id: int,
    reason: str,
    *,
    positions: Sequence[int] = (),
    printers: Sequence[str] = (),
    new_waybill: bool = False,
) -> CreatedJob:
    """A new job reprinting the labels job `job_id` printed (or those at `positions`),
    on its printers unless others are named (`print.run` and `print.reprint`, a reason;
    audited per package). `new_waybill` cancels each old waybill and prints a new one."""
    reason = reprints.check_reason(reason)
    with app.tx() as session:
        authz.require(session, actor, "print.reprint")
        job = session.get(PrintJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        if job.kind != "label":
            raise ValidationError(
                f"print job {job_id} printed {job.kind}; only labels are reprinted (print "
                "slips and pick lists again as a new job)",
                field="job",
            )
        stmt = select(PrintJobItem.position, PrintJobItem.order_id).where(
            PrintJobItem.job_id == job_id,
            PrintJobItem.state.in_(reprints.PRINTED_STATES),
            PrintJobItem.order_id.is_not(None),
        )
        if positions:
            stmt = stmt.where(PrintJobItem.position.in_(list(positions)))
        rows = session.execute(stmt.order_by(PrintJobItem.position)).all()
        if positions:
            missing = sorted(set(positions) - {p for p, _ in rows})
            if missing:
                raise ValidationError(
                    f"job {job_id} has no printed label at position(s) {missing}",
                    field="positions",
                )
        if not rows:
            raise Conflict(f"print job {job_id} has printed no label yet; nothing to reprint")
        names = list(printers) or list((job.options or {}).get("printers", ()))
    order_ids = list(dict.fromkeys(order_id for _, order_id in rows))
    return create_job(
        app, actor, order_ids, names, reprint=True, reason=reason, new_waybill=new_waybill
    )


def _orders_of_packages(app: App, actor: Actor, package_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(package_ids))
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        found: dict[int, list[int]] = {}
        for start in range(0, len(ids), INSERT_CHUNK):
            rows = session.execute(
                select(PackageLine.package_id, PackageLine.order_id)
                .join(Package, Package.id == PackageLine.package_id)
                .where(
                    Package.org_id == actor.org_id,
                    PackageLine.package_id.in_(ids[start : start + INSERT_CHUNK]),
                )
                .order_by(PackageLine.id)
            )
            for package_id, order_id in rows:
                found.setdefault(package_id, []).append(order_id)
    missing = [p for p in ids if p not in found]
    if missing:
        raise NotFound(f"no package with id {', '.join(map(str, missing[:10]))}")
    return list(dict.fromkeys(o for p in ids for o in found[p]))


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
    runner: str | None = None,
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
            if any(c.self_rendered for c in configs):
                warnings += _ciphertext_warning(session, package_ids)
        prior = reprints.prior_labels(session, actor.org_id, package_ids) if reprint else {}
        assigned = (
            {} if template and template.strip() else _assigned(session, actor, kind, package_ids)
        )
        first_orders = _first_orders(session, package_ids)
        job = PrintJob(
            org_id=actor.org_id,
            kind=kind,
            status="queued",
            printer_id=configs[0].id,
            template_version_id=version.id,
            created_by=actor.user_id,
            actor_label=actor.label,
            options={
                **options,
                "printers": [c.name for c in configs],
                "reprint": reprint,
                "package_ids": package_ids if kind == "pick_list" else [],
            },
        )
        if runner:
            job.lease_owner = runner
            job.lease_expires_at = clock.now() + timedelta(seconds=leases.LEASE_SECONDS)
        session.add(job)
        session.flush()
        units = _units(session, kind, package_ids, first_orders)
        rows = []
        for index, (package_id, order_id, line_no) in enumerate(units):
            config = configs[index * len(configs) // len(units)]
            waybill = waybill_of.get(package_id) if package_id is not None else None
            before = prior.get(package_id) if package_id is not None else None
            rows.append(
                {
                    "job_id": job.id,
                    "org_id": actor.org_id,
                    "position": index + 1,
                    "kind": kind,
                    "package_id": package_id,
                    "order_id": order_id,
                    "line_no": line_no,
                    "waybill_id": waybill.id if waybill else None,
                    "printer_id": config.id,
                    "template_version_id": _version_for(
                        config, assigned.get(package_id, version.id), before, template
                    ),
                    "state": "queued",
                    "attempts": 0,
                    "reprint": bool(reprint and before and before.waybill_number == waybill.number),
                    "reprint_reason": reason if reprint else "",
                    "reprint_of_id": before.item_id if before else None,
                    "last_error": "",
                    "language": config.language,
                    "device_ref": "",
                }
            )
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
                session,
                actor,
                job.id,
                reason,
                [(p, prior[p].waybill_number, waybill_of[p].number) for p in package_ids],
            )
        audit.record(
            session,
            "print.job_create",
            actor=actor,
            target_type="print_job",
            target_id=job.id,
            after={
                "kind": kind,
                "items": len(rows),
                "printers": [c.name for c in configs],
                "template": f"{spec.name}@{spec.version}",
                "reprint": reprint,
                "refused": len(refused),
            },
            detail=reason,
        )
        return CreatedJob(
            job.id,
            kind,
            len(rows),
            [c.name for c in configs],
            f"{spec.name}@{spec.version}",
            refused,
            warnings=warnings,
        )


def _units(
    session: Session, kind: str, package_ids: list[int], first_orders: dict[int | None, int]
) -> list[tuple[int | None, int | None, int | None]]:
    """(package, order, goods line) of each item in print order: one pick list for the
    job; one product label per unit of each goods line (商品标签); else one per package."""
    if kind == "pick_list":
        return [(None, None, None)]
    if kind != "product_label":
        return [(p, first_orders.get(p), None) for p in package_ids]
    order = {p: n for n, p in enumerate(package_ids)}
    lines = []
    for start in range(0, len(package_ids), INSERT_CHUNK):
        lines += session.execute(
            select(
                PackageLine.package_id,
                PackageLine.order_id,
                PackageLine.line_no,
                PackageLine.quantity,
                PackageLine.id,
            ).where(PackageLine.package_id.in_(package_ids[start : start + INSERT_CHUNK]))
        ).all()
    lines.sort(key=lambda r: (order[r.package_id], r.id))
    total = sum(r.quantity for r in lines)
    if total > MAX_PRODUCT_LABELS:
        raise ValidationError(
            f"{total} product labels is more than one job makes ({MAX_PRODUCT_LABELS}); "
            "print fewer orders at a time",
            field="order_ids",
        )
    return [(r.package_id, r.order_id, r.line_no) for r in lines for _ in range(r.quantity)]


def _ciphertext_warning(session: Session, package_ids: list[int]) -> list[str]:
    """Labels orderhub renders for orders whose receiver only the platform can read
    carry the platform's masked copies; say so (its print component prints them whole)."""

    count = 0
    for start in range(0, len(package_ids), INSERT_CHUNK):
        count += len(
            set(
                session.scalars(
                    select(PackageLine.package_id)
                    .join(Order, Order.id == PackageLine.order_id)
                    .where(
                        PackageLine.package_id.in_(package_ids[start : start + INSERT_CHUNK]),
                        Order.receiver_is_platform_encrypted.is_(True),
                    )
                )
            )
        )
    if not count:
        return []
    return [
        f"{count} label(s) are for platform orders whose receiver is encrypted: a label "
        "printer gets the masked name, phone and address; print them on a "
        "pinduoduo-component printer for the full receiver"
    ]


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


def _assigned(
    session: Session, actor: Actor, kind: str, package_ids: list[int]
) -> dict[int | None, int]:
    """package id → the version of the template its orders were assigned (自动分配), for
    labels printed without a template named."""
    if kind != "label":
        return {}
    chosen = assigning.package_assignments(session, actor.org_id, package_ids)
    names = {p: a.template for p, a in chosen.items() if a.template}
    versions = {
        n: template_store.resolve(session, actor.org_id, n, kind).id for n in set(names.values())
    }
    return {p: versions[n] for p, n in names.items()}


def _first_orders(session: Session, package_ids: list[int]) -> dict[int | None, int]:

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
