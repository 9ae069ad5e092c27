"""Print jobs as a client asks for them: orders by number, a desk query or package ids
(`create_print_job`), and reprints of what an earlier job printed (`reprint_job`).

Both resolve what the client named to order ids and hand over to `core.printing.jobs.
create_job`, which packs, draws waybills and queues the job; the HTTP API calls these, the
CLI and the TUI pick orders themselves and call `create_job` directly.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, ValidationError
from core.models import Package, PackageLine, PrintJob, PrintJobItem
from core.orders import packages
from core.printing import reprint as reprints
from core.printing import selection
from core.printing.jobs import INSERT_CHUNK, CreatedJob, create_job


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
