"""Reading waybills, fetching print data again for a reprint, marking them printed, and
guessing a carrier from a tracking number."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.contracts.carrier import WaybillRef
from core.errors import Conflict, NotFound, ValidationError
from core.models import CarrierAccount, Order, Package, PackageLine, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES, WAYBILL_STATUSES
from core.waybills.carrier_accounts import require_any
from core.waybills.carrier_session import CarrierTarget, carrier_session
from core.waybills.requests import is_typed

LIST_MAX = 1000


@dataclass(frozen=True)
class WaybillInfo:
    id: int
    package_id: int
    account: str
    carrier_code: str
    number: str
    status: str
    warning: str
    allocated_at: datetime
    printed_at: datetime | None
    cancelled_at: datetime | None
    order_numbers: tuple[str, ...]


def list_waybills(
    app: App,
    actor: Actor,
    *,
    status: str | None = None,
    order_number: str | None = None,
    number: str | None = None,
    package_id: int | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[WaybillInfo]:
    """The org's waybills, newest first (`order.view` or `print.run`); `before_id` pages
    on (the last id of the page before)."""
    if status is not None and status not in WAYBILL_STATUSES:
        raise ValidationError(
            f"status must be one of {', '.join(WAYBILL_STATUSES)}, not {status!r}", field="status"
        )
    if not 1 <= limit <= LIST_MAX:
        raise ValidationError(f"limit must be 1 to {LIST_MAX}", field="limit")
    with app.tx() as session:
        require_any(session, actor, ("order.view", "print.run"))
        stmt = (
            select(Waybill, CarrierAccount.name)
            .join(CarrierAccount, CarrierAccount.id == Waybill.carrier_account_id)
            .where(Waybill.org_id == actor.org_id)
        )
        if status:
            stmt = stmt.where(Waybill.status == status)
        if number:
            stmt = stmt.where(Waybill.number == number.strip())
        if package_id is not None:
            stmt = stmt.where(Waybill.package_id == package_id)
        if before_id is not None:
            stmt = stmt.where(Waybill.id < before_id)
        if order_number:
            stmt = stmt.where(
                Waybill.package_id.in_(
                    select(PackageLine.package_id)
                    .join(Order, Order.id == PackageLine.order_id)
                    .where(
                        Order.org_id == actor.org_id,
                        Order.platform_order_no == order_number.strip(),
                    )
                )
            )
        rows = session.execute(stmt.order_by(Waybill.id.desc()).limit(limit)).all()
        orders = _order_numbers(session, {w.package_id for w, _ in rows})
        return [
            WaybillInfo(
                id=w.id,
                package_id=w.package_id,
                account=name,
                carrier_code=w.carrier_code,
                number=w.number,
                status=w.status,
                warning=w.number_warning,
                allocated_at=w.allocated_at,
                printed_at=w.printed_at,
                cancelled_at=w.cancelled_at,
                order_numbers=orders.get(w.package_id, ()),
            )
            for w, name in rows
        ]


def _order_numbers(session: Session, package_ids: set[int]) -> dict[int, tuple[str, ...]]:
    if not package_ids:
        return {}
    found: dict[int, list[str]] = defaultdict(list)
    rows = session.execute(
        select(PackageLine.package_id, Order.platform_order_no)
        .join(Order, Order.id == PackageLine.order_id)
        .where(PackageLine.package_id.in_(package_ids))
        .distinct()
        .order_by(PackageLine.package_id, Order.platform_order_no)
    )
    for package_id, number in rows:
        found[package_id].append(number)
    return {k: tuple(v) for k, v in found.items()}


def waybill_ids_by_number(app: App, actor: Actor, numbers: Iterable[str]) -> list[int]:
    """The newest waybill row of each number in the actor's org; unknown → `NotFound`."""
    wanted = [n.strip() for n in numbers if n.strip()]
    with app.tx() as session:
        require_any(session, actor, ("order.view", "print.run"))
        ids = []
        for number in wanted:
            found = session.scalars(
                select(Waybill.id)
                .where(Waybill.org_id == actor.org_id, Waybill.number == number)
                .order_by(Waybill.id.desc())
            ).first()
            if found is None:
                raise NotFound(f"no waybill with number {number}")
            ids.append(found)
        return ids


def reprint_data(app: App, actor: Actor, waybill_ids: Iterable[int]) -> dict[int, object]:
    """Print data for a reprint of the same waybills (`print.reprint`): fetched again from
    the carrier when it supports that (stored afresh), else as stored."""
    ids = list(dict.fromkeys(int(i) for i in waybill_ids))
    with app.tx() as session:
        authz.require(session, actor, "print.reprint")
        rows = list(
            session.scalars(
                select(Waybill).where(Waybill.id.in_(ids), Waybill.org_id == actor.org_id)
            )
        )
        missing = set(ids) - {w.id for w in rows}
        if missing:
            raise NotFound(f"no waybill with id {min(missing)}")
        for row in rows:
            if row.status not in PRINTABLE_WAYBILL_STATUSES:
                raise Conflict(f"waybill {row.number} is {row.status}; it cannot be printed")
        by_account: dict[int, list[Waybill]] = defaultdict(list)
        for row in rows:
            if not is_typed(row.request_id):  # a typed number: no carrier has print data
                by_account[row.carrier_account_id].append(row)
        targets = {
            account_id: CarrierTarget.of(session, session.get(CarrierAccount, account_id))
            for account_id in by_account
        }
    data: dict[int, object] = {w.id: w.print_data for w in rows}
    fresh: dict[int, str] = {}
    routing: dict[int, dict[str, str]] = {}
    for account_id, waybills in by_account.items():
        with carrier_session(app, targets[account_id]) as calls:
            if not calls.cls.SUPPORTS_REPRINT_QUERY:
                continue
            size = calls.cls.MAX_BATCH
            for start in range(0, len(waybills), size):
                part = waybills[start : start + size]
                refs = [WaybillRef(w.carrier_code, w.number) for w in part]
                answer = calls.call(lambda c, refs=refs: c.query_waybills(refs))
                by_number = {a.number: a for a in answer}
                for w in part:
                    if w.number in by_number and by_number[w.number].print_data:
                        fresh[w.id] = by_number[w.number].print_data
                    if w.number in by_number and by_number[w.number].routing:
                        routing[w.id] = by_number[w.number].routing.to_dict()  # type: ignore[union-attr]
    if fresh:
        with app.tx() as session:
            for waybill_id, print_data in fresh.items():
                row = session.get(Waybill, waybill_id)
                row.print_data = print_data  # type: ignore[union-attr]
                row.routing = routing.get(waybill_id) or row.routing  # type: ignore[union-attr]
            audit.record(
                session,
                "waybill.reprint_data",
                actor=actor,
                target_type="waybill",
                target_id=",".join(str(i) for i in sorted(fresh))[:64],
            )
        data.update(fresh)
    return data


def mark_printed(session: Session, waybill_id: int) -> None:
    """In the print job's transaction: the waybill (and its package) count as printed.
    A waybill that is being cancelled or was cancelled is a `Conflict`: never print it."""
    moved = session.execute(
        update(Waybill)
        .where(Waybill.id == waybill_id, Waybill.status.in_(PRINTABLE_WAYBILL_STATUSES))
        .values(status="printed", printed_at=clock.now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if moved != 1:
        row = session.get(Waybill, waybill_id)
        state = row.status if row is not None else "unknown"
        raise Conflict(f"waybill {waybill_id} is {state}; it cannot be printed")
    package_id = session.scalar(select(Waybill.package_id).where(Waybill.id == waybill_id))
    session.execute(
        update(Package)
        .where(Package.id == package_id, Package.status == "waybill_allocated")
        .values(status="printed")
        .execution_options(synchronize_session=False)
    )


def guess_carriers(app: App, number: str) -> list[str]:
    """Carrier codes whose tracking-number pattern (in any loaded carrier plugin) matches
    `number`: a guess for display, never a verdict."""
    text = number.strip().upper()
    codes: set[str] = set()
    for cls in app.plugins.carriers().values():
        for code, pattern in cls.TRACKING_NUMBER_PATTERNS.items():
            if re.fullmatch(pattern, text):
                codes.add(code)
    return sorted(codes)
