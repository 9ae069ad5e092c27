"""The shared ground of merging, splitting and unmerging: which packages an order is in,
whether they may still change, and how their lines are rewritten.

A package may change only while nothing has been drawn or printed for it: its orders
unshipped (待审/已审), not on hold, no refund under way, no active waybill, no label
queued or printed, no waybill being drawn right now (an allocation claim in force). The
first three are the operator's to fix (`ValidationError`); the others mean printing has
started on the package, so the change conflicts with it (`Conflict`, naming the waybill
to cancel or the job). Packages are read under row locks (PostgreSQL) or the write lock
(SQLite) taken by the caller, so a print claiming them waits for the change or the change
sees the claim — never a waybill drawn for lines that moved meanwhile.

A package emptied by a change is kept, `cancelled` with the reason in `hold_reason`: its
history (cancelled waybills, failed print items) still points at it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.errors import Conflict, ValidationError
from core.models import Order, Package, PackageLine, PrintJobItem, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.orders.status import AUDITED, PENDING, blocking_reason

REPACKABLE = (PENDING, AUDITED)
LABEL_STATES = ("queued", "sending", "uncertain", "done")
CHUNK = 500


@dataclass(frozen=True)
class PackedLine:
    order_number: str
    line_no: int
    quantity: int
    title: str = ""


@dataclass(frozen=True)
class PackageView:
    """A package as front ends show it (no ORM row)."""

    package_id: int
    status: str
    weight_g: int | None
    order_numbers: tuple[str, ...]
    lines: tuple[PackedLine, ...]


def live_packages(
    session: Session, order_ids: Iterable[int], *, locked: bool = True
) -> dict[int, list[Package]]:
    """order id → its packages that are not cancelled, fresh and (PostgreSQL) locked."""
    ids = sorted(set(order_ids))
    package_ids: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(PackageLine.order_id, PackageLine.package_id)
            .join(Package, Package.id == PackageLine.package_id)
            .where(
                PackageLine.order_id.in_(ids[start : start + CHUNK]),
                Package.status != "cancelled",
            )
        ).all()
        pairs += [(o, p) for o, p in rows]
        package_ids.update(p for _, p in rows)
    packages = lock_packages(session, package_ids, locked=locked)
    found: dict[int, list[Package]] = defaultdict(list)
    for order_id, package_id in sorted(set(pairs), key=lambda pair: pair[1]):
        package = packages.get(package_id)
        if package is not None and package.status != "cancelled":
            found[order_id].append(package)
    return dict(found)


def lock_packages(
    session: Session, package_ids: Iterable[int], *, locked: bool = True
) -> dict[int, Package]:
    """The packages, re-read under their row locks (PostgreSQL: a print claiming one waits
    for us, or we see its claim)."""
    ids = sorted(set(package_ids))
    found: dict[int, Package] = {}
    locking = locked and session.get_bind().dialect.name == "postgresql"
    for start in range(0, len(ids), CHUNK):
        stmt = (
            select(Package)
            .where(Package.id.in_(ids[start : start + CHUNK]))
            .order_by(Package.id)
            .execution_options(populate_existing=True)
        )
        if locking:
            stmt = stmt.with_for_update()
        found.update({p.id: p for p in session.scalars(stmt)})
    return found


def orders_in(session: Session, packages: Iterable[Package]) -> list[Order]:
    """Every order with a line in these packages, by id."""
    ids = sorted({line.order_id for p in packages for line in p.lines})
    found: list[Order] = []
    for start in range(0, len(ids), CHUNK):
        found += session.scalars(
            select(Order).where(Order.id.in_(ids[start : start + CHUNK])).order_by(Order.id)
        )
    return found


def check_repackable(
    session: Session, orders: Sequence[Order], packages: dict[int, list[Package]], doing: str
) -> None:
    """Raise when any order or package may not change (see the module docstring); the
    error lists every order with its reason (`refused`)."""
    problems: dict[str, str] = {}
    conflicts: dict[str, str] = {}
    for order in orders:
        reason = blocking_reason(order)
        if not reason and order.hub_status not in REPACKABLE:
            reason = f"order {order.platform_order_no} is {order.hub_status}"
        if reason:
            problems[order.platform_order_no] = reason
    all_packages = {p.id: p for ps in packages.values() for p in ps}
    waybills = _active_waybills(session, list(all_packages))
    labels = _labels(session, list(all_packages))
    now = clock.now()
    for order in orders:
        number = order.platform_order_no
        for package in packages.get(order.id, []):
            waybill = waybills.get(package.id)
            if waybill is not None:
                conflicts[number] = (
                    f"order {number} has waybill {waybill.number} on package {package.id}; "
                    f"cancel its waybill first: orderhub waybill cancel {waybill.number}"
                )
            elif package.id in labels:
                state, job_id = labels[package.id]
                conflicts[number] = (
                    f"the label of order {number} (package {package.id}) waits in print job "
                    f"{job_id}"
                    if state == "queued"
                    else f"the label of order {number} (package {package.id}) was printed in "
                    f"job {job_id}"
                )
            elif package.allocation_claim and _after(package.allocation_claim_until, now):
                conflicts[number] = (
                    f"a waybill is being drawn for order {number} (package {package.id}) right "
                    "now; try again when that print or allocation is done"
                )
            elif package.status == "on_hold":
                why = f" ({package.hold_reason})" if package.hold_reason else ""
                problems.setdefault(number, f"package {package.id} is on hold{why}")
    if conflicts:
        raise _refusal(Conflict, doing, {**conflicts, **problems})
    if problems:
        raise _refusal(ValidationError, doing, problems)


def refuse(doing: str, problems: dict[str, str]) -> ValidationError:
    return _refusal(ValidationError, doing, problems)


def _refusal(kind: type, doing: str, problems: dict[str, str]):  # type: ignore[no-untyped-def]
    listed = "; ".join(problems.values())
    return kind(
        f"cannot {doing}: {listed}",
        refused=[{"order": n, "reason": r} for n, r in problems.items()],
    )


def _after(until, now) -> bool:  # type: ignore[no-untyped-def]
    return until is not None and clock.as_utc(until) > now


def _active_waybills(session: Session, package_ids: list[int]) -> dict[int, Waybill]:
    found: dict[int, Waybill] = {}
    for start in range(0, len(package_ids), CHUNK):
        rows = session.scalars(
            select(Waybill).where(
                Waybill.package_id.in_(package_ids[start : start + CHUNK]),
                Waybill.status.in_(ACTIVE_WAYBILL_STATUSES),
            )
        )
        found.update({w.package_id: w for w in rows})
    return found


def _labels(session: Session, package_ids: list[int]) -> dict[int, tuple[str, int]]:
    """package id → (state, job id) of a label item queued or (maybe) printed."""
    found: dict[int, tuple[str, int]] = {}
    for start in range(0, len(package_ids), CHUNK):
        rows = session.execute(
            select(PrintJobItem.package_id, PrintJobItem.state, PrintJobItem.job_id)
            .where(
                PrintJobItem.package_id.in_(package_ids[start : start + CHUNK]),
                PrintJobItem.kind == "label",
                PrintJobItem.state.in_(LABEL_STATES),
            )
            .order_by(PrintJobItem.id)
        )
        for package_id, state, job_id in rows:
            if package_id not in found or state != "queued":
                found[package_id] = (state, job_id)
    return found


# ---------------------------------------------------------------- rewriting


def set_lines(session: Session, package: Package, lines: Sequence[tuple[int, int, int]]) -> None:
    """Replace the package's lines by (order id, line no, quantity) rows (old rows are
    deleted first: the unique key would refuse a new row equal to an old one)."""
    package.lines.clear()
    session.flush()
    package.lines.extend(
        PackageLine(org_id=package.org_id, order_id=o, line_no=n, quantity=q) for o, n, q in lines
    )


def new_package(session: Session, order: Order, user_id: int | None) -> Package:
    package = Package(
        org_id=order.org_id, shop_id=order.shop_id, status="new", created_by=user_id, lines=[]
    )
    session.add(package)
    session.flush()
    return package


def retire(session: Session, package: Package, reason: str) -> None:
    """Empty a package left without lines and mark it cancelled, saying why."""
    package.lines.clear()
    package.status = "cancelled"
    package.hold_reason = reason[:255]
    package.allocation_claim = None
    package.allocation_claim_until = None
    session.flush()


def whole_order(order: Order) -> list[tuple[int, int, int]]:
    return [(order.id, line.line_no, line.quantity) for line in order.lines]


def view_of(session: Session, packages: Sequence[Package]) -> list[PackageView]:
    """Front-end copies of these packages, their orders named by number."""
    orders = {o.id: o for o in orders_in(session, packages)}
    views = []
    for package in packages:
        lines = []
        for line in package.lines:
            order = orders[line.order_id]
            title = next((o.title for o in order.lines if o.line_no == line.line_no), "")
            lines.append(PackedLine(order.platform_order_no, line.line_no, line.quantity, title))
        numbers = tuple(dict.fromkeys(line.order_number for line in lines))
        views.append(
            PackageView(package.id, package.status, package.weight_g, numbers, tuple(lines))
        )
    return views
