"""确认发货: confirming packages shipped, and writing their outbox rows in the same breath.

A package may be confirmed when it has an active waybill (its tracking number), its
carrier account knows the platform's logistics id, it is not on hold, none of its orders
is on hold, refunding, refunded or closed, and — when the org requires it — it was
verified at the pack station. In one transaction the confirmable packages become
`shipped`, their orders `shipped` (hub status), and each order gets its outbox row: the
drain (`core.shipback.drain`) tells the platform later, exactly once per order.

- A merged package confirms each of its orders with the package's number.
- A split order is confirmed with its first package's number; the numbers of its other
  packages, confirmed with it or later, are added to the row's `extra_numbers`.

Packages that cannot be confirmed are refused one by one, with the reason, while the rest
are confirmed; a package id, waybill number or order number that is not the org's fails
the whole call (`NotFound`); named orders that have no package are listed as `unpacked`.
Needs `ship.confirm`; one audit event per call names the packages.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import NotFound, ValidationError
from core.models import CarrierAccount, Order, Package, PackageLine, ShipmentOutbox, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.orders import status as order_status
from core.shipback import policy
from core.stock import reservations

#: Packages one call confirms at most (a selection, or what a rule selects).
MAX_PACKAGES = 10_000
CHUNK = 500
CONFIRMABLE = ("waybill_allocated", "printed", "verified")
ALREADY = ("shipped", "synced")
#: What `confirm_ready` selects: verified packages, or printed and verified ones.
READY_STATUSES = {"verified": ("verified",), "printed": ("printed", "verified")}
PACKAGES, ORDERS = Package.__table__, Order.__table__


@dataclass
class ConfirmResult:
    """What a confirmation did, by package id."""

    confirmed: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # already shipped
    refused: dict[int, str] = field(default_factory=dict)  # package id → why
    outbox_rows: int = 0  # orders queued for the platform
    extra_numbers: int = 0  # numbers added to a split order's row
    unpacked: list[str] = field(default_factory=list)  # orders named that have no package


def confirm_packages(
    app: App,
    actor: Actor,
    *,
    package_ids: Iterable[int] = (),
    waybill_numbers: Iterable[str] = (),
    order_numbers: Iterable[str] = (),
) -> ConfirmResult:
    """Confirm the named packages (by id, by their active waybill's number, or every
    live package of the named orders — a desk filter's selection)."""
    ids = _ids(package_ids)
    numbers = _texts(waybill_numbers)
    orders = _texts(order_numbers)
    if not ids and not numbers and not orders:
        raise ValidationError(
            "name at least one package, waybill number or order", field="packages"
        )
    if len(ids) + len(numbers) + len(orders) > MAX_PACKAGES:
        raise ValidationError(f"confirm at most {MAX_PACKAGES} packages at once", field="packages")
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
        open_write_transaction(session)
        of_orders, unpacked = _by_order(session, actor.org_id, orders)
        ids = list(dict.fromkeys([*ids, *_by_number(session, actor.org_id, numbers), *of_orders]))
        result = _confirm(app, session, actor, ids) if ids else ConfirmResult()
        result.unpacked = unpacked
        return result


def confirm_ready(
    app: App,
    actor: Actor,
    *,
    status: str = "verified",
    shop_id: int | None = None,
    carrier_account_id: int | None = None,
    limit: int = MAX_PACKAGES,
) -> ConfirmResult:
    """Confirm every package of the org that is `verified` (or, with status "printed",
    printed or verified), optionally only one shop's or one carrier account's, oldest
    first, at most `limit`."""
    if status not in READY_STATUSES:
        raise ValidationError(
            f"status must be one of {', '.join(READY_STATUSES)}, not {status!r}", field="status"
        )
    if not 1 <= limit <= MAX_PACKAGES:
        raise ValidationError(f"limit must be 1–{MAX_PACKAGES}, not {limit}", field="limit")
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
        open_write_transaction(session)
        query = select(PACKAGES.c.id).where(
            PACKAGES.c.org_id == actor.org_id, PACKAGES.c.status.in_(READY_STATUSES[status])
        )
        if shop_id is not None:
            query = query.where(PACKAGES.c.shop_id == shop_id)
        if carrier_account_id is not None:
            query = query.where(PACKAGES.c.carrier_account_id == carrier_account_id)
        ids = list(session.scalars(query.order_by(PACKAGES.c.id).limit(limit)))
        return _confirm(app, session, actor, ids)


def _ids(package_ids: Iterable[int]) -> list[int]:
    try:
        return list(dict.fromkeys(int(i) for i in package_ids))
    except (TypeError, ValueError):
        raise ValidationError("package ids must be whole numbers", field="packages") from None


def _texts(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _by_order(session: Session, org_id: int, numbers: Sequence[str]) -> tuple[list[int], list[str]]:
    """(ids of the live packages of these orders, the orders that have none); an order
    that is not the org's fails the call."""
    known: set[str] = set()
    packages: dict[str, list[int]] = {}
    for start in range(0, len(numbers), CHUNK):
        chunk = numbers[start : start + CHUNK]
        known.update(
            session.scalars(
                select(Order.platform_order_no).where(
                    Order.org_id == org_id, Order.platform_order_no.in_(chunk)
                )
            )
        )
        rows = session.execute(
            select(Order.platform_order_no, PackageLine.package_id)
            .join(PackageLine, PackageLine.order_id == Order.id)
            .join(Package, Package.id == PackageLine.package_id)
            .where(
                Order.org_id == org_id,
                Order.platform_order_no.in_(chunk),
                Package.status != "cancelled",
            )
            .distinct()
        )
        for number, package_id in rows:
            packages.setdefault(number, []).append(package_id)
    missing = [n for n in numbers if n not in known]
    if missing:
        raise NotFound(f"no order numbered {', '.join(missing[:10])}", orders=missing)
    ids = [p for n in numbers for p in sorted(packages.get(n, ()))]
    return list(dict.fromkeys(ids)), [n for n in numbers if n not in packages]


def _by_number(session: Session, org_id: int, numbers: Sequence[str]) -> list[int]:
    found: dict[str, int] = {}
    for start in range(0, len(numbers), CHUNK):
        rows = session.execute(
            select(Waybill.number, Waybill.package_id).where(
                Waybill.org_id == org_id,
                Waybill.number.in_(numbers[start : start + CHUNK]),
                Waybill.status.in_(PRINTABLE_WAYBILL_STATUSES),
            )
        )
        found.update({number: package_id for number, package_id in rows})
    missing = [n for n in numbers if n not in found]
    if missing:
        raise NotFound(f"no active waybill numbered {', '.join(missing[:10])}", waybills=missing)
    return [found[n] for n in numbers]


@dataclass
class _Package:
    id: int
    status: str
    hold_reason: str
    order_ids: list[int] = field(default_factory=list)
    number: str = ""
    account_id: int | None = None


def _confirm(app: App, session: Session, actor: Actor, ids: list[int]) -> ConfirmResult:
    result = ConfirmResult()
    if not ids:
        return result
    packages = _load_packages(session, actor.org_id, ids)
    orders = _load_orders(session, [o for p in packages.values() for o in p.order_ids])
    accounts = _load_accounts(session, {p.account_id for p in packages.values()})
    verified_only = policy.verification_required(app, session, actor.org_id)
    chosen: list[_Package] = []
    for package_id in ids:
        package = packages[package_id]
        why = _refusal(package, orders, accounts, verified_only)
        if why == "already shipped":
            result.unchanged.append(package_id)
        elif why:
            result.refused[package_id] = why
        else:
            chosen.append(package)
    if not chosen:
        return result
    now = clock.now()
    _write_outbox(session, actor, chosen, orders, accounts, result)
    package_ids = [p.id for p in chosen]
    order_ids = sorted({o for p in chosen for o in p.order_ids})
    for start in range(0, len(package_ids), CHUNK):
        session.execute(
            update(PACKAGES)
            .where(PACKAGES.c.id.in_(package_ids[start : start + CHUNK]))
            .values(status="shipped", updated_at=now)
        )
    for start in range(0, len(order_ids), CHUNK):
        session.execute(
            update(ORDERS)
            .where(
                ORDERS.c.id.in_(order_ids[start : start + CHUNK]),
                ORDERS.c.hub_status.in_(order_status.WORKFLOW),
            )
            .values(hub_status=order_status.SHIPPED, shipped_at=now, version=ORDERS.c.version + 1)
        )
    reservations.reconcile(session, actor.org_id, order_ids, actor.label)  # deduct
    result.confirmed = package_ids
    audit.record(
        session,
        "ship.confirm",
        actor=actor,
        target_type="package",
        target_id=package_ids[0],
        after={
            "count": len(package_ids),
            "package_ids": package_ids[:200],
            "orders": len(order_ids),
            "outbox_rows": result.outbox_rows,
        },
        detail=f"{len(package_ids)} package(s) confirmed shipped",
    )
    return result


def _load_packages(session: Session, org_id: int, ids: list[int]) -> dict[int, _Package]:
    """The packages (locked on PostgreSQL, so two confirmations of one package take
    turns), their orders and active waybills; ids not the org's raise `NotFound`."""
    postgres = session.get_bind().dialect.name == "postgresql"
    found: dict[int, _Package] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = sorted(ids[start : start + CHUNK])
        query = select(PACKAGES.c.id, PACKAGES.c.status, PACKAGES.c.hold_reason).where(
            PACKAGES.c.org_id == org_id, PACKAGES.c.id.in_(chunk)
        )
        if postgres:
            query = query.order_by(PACKAGES.c.id).with_for_update()
        for row in session.execute(query):
            found[row.id] = _Package(row.id, row.status, row.hold_reason)
        lines = select(PackageLine.package_id, PackageLine.order_id).where(
            PackageLine.package_id.in_(chunk)
        )
        for package_id, order_id in session.execute(lines.distinct()):
            if package_id in found and order_id not in found[package_id].order_ids:
                found[package_id].order_ids.append(order_id)
        waybills = select(Waybill.package_id, Waybill.number, Waybill.carrier_account_id).where(
            Waybill.package_id.in_(chunk), Waybill.status.in_(PRINTABLE_WAYBILL_STATUSES)
        )
        for package_id, number, account_id in session.execute(waybills):
            if package_id in found:
                found[package_id].number, found[package_id].account_id = number, account_id
    missing = [i for i in ids if i not in found]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10])
        raise NotFound(f"no package with id {shown}", packages=missing)
    return found


def _load_orders(session: Session, ids: list[int]) -> dict[int, dict]:
    wanted = sorted(set(ids))
    out: dict[int, dict] = {}
    columns = (
        ORDERS.c.id,
        ORDERS.c.shop_id,
        ORDERS.c.platform_order_no,
        ORDERS.c.hub_status,
        ORDERS.c.refund_status,
        ORDERS.c.on_hold,
        ORDERS.c.hold_reason,
    )
    for start in range(0, len(wanted), CHUNK):
        rows = session.execute(
            select(*columns).where(ORDERS.c.id.in_(wanted[start : start + CHUNK]))
        )
        out.update({row.id: row._asdict() for row in rows})
    return out


def _load_accounts(session: Session, ids: set[int | None]) -> dict[int, tuple[str, str]]:
    wanted = [i for i in ids if i is not None]
    rows = session.execute(
        select(CarrierAccount.id, CarrierAccount.name, CarrierAccount.logistics_company_id).where(
            CarrierAccount.id.in_(wanted)
        )
    )
    return {row.id: (row.name, row.logistics_company_id) for row in rows}


def _refusal(
    package: _Package,
    orders: dict[int, dict],
    accounts: dict[int, tuple[str, str]],
    verified_only: bool,
) -> str:
    """Why this package may not be confirmed now ('' when it may)."""
    pid = package.id
    if package.status in ALREADY:
        return "already shipped"
    if package.status == "on_hold":
        why = f": {package.hold_reason}" if package.hold_reason else ""
        return f"package {pid} is on hold{why}"
    if package.status not in CONFIRMABLE:
        return f"package {pid} is {package.status}: only packages with a waybill can ship"
    if verified_only and package.status != "verified":
        return f"package {pid} is not verified at the pack station (verification is required)"
    if not package.number:
        return f"package {pid} has no tracking number (no active waybill)"
    name, logistics_id = accounts.get(package.account_id or 0, ("?", ""))
    if not logistics_id:
        return (
            f"package {pid}: carrier account {name} has no platform logistics id; "
            "set the account's logistics_company_id"
        )
    if not package.order_ids:
        return f"package {pid} has no orders"
    for order_id in package.order_ids:
        order = orders[order_id]
        number = order["platform_order_no"]
        if order["on_hold"]:
            why = f" ({order['hold_reason']})" if order["hold_reason"] else ""
            return f"package {pid}: order {number} is on hold{why}"
        if order["refund_status"] in order_status.BLOCKING_REFUNDS:
            refund = order["refund_status"].replace("_", " ")
            return f"package {pid}: order {number} has a refund {refund}"
        if order["hub_status"] in (order_status.CANCELLED, order_status.REFUNDED):
            return f"package {pid}: order {number} is {order['hub_status']}"
    return ""


def _write_outbox(
    session: Session,
    actor: Actor,
    chosen: list[_Package],
    orders: dict[int, dict],
    accounts: dict[int, tuple[str, str]],
    result: ConfirmResult,
) -> None:
    """One row per order: new orders get one (first package by id carries the order), a
    split order's row gains the other packages' numbers as extra numbers."""
    order_ids = sorted({o for p in chosen for o in p.order_ids})
    existing: dict[int, ShipmentOutbox] = {}
    for start in range(0, len(order_ids), CHUNK):
        rows = session.scalars(
            select(ShipmentOutbox).where(
                ShipmentOutbox.order_id.in_(order_ids[start : start + CHUNK])
            )
        )
        existing.update({row.order_id: row for row in rows})
    now = clock.now()
    fresh: dict[int, dict[str, object]] = {}  # order id → the new row's values
    for package in sorted(chosen, key=lambda p: p.id):
        for order_id in package.order_ids:
            row = existing.get(order_id)
            if row is not None:
                if package.number != row.tracking_number and package.number not in (
                    row.extra_numbers or []
                ):
                    row.extra_numbers = [*(row.extra_numbers or []), package.number]
                    result.extra_numbers += 1
                continue
            new = fresh.get(order_id)
            if new is not None:  # a split order's second package in the same call
                extra = new["extra_numbers"]
                assert isinstance(extra, list)
                if package.number != new["tracking_number"] and package.number not in extra:
                    extra.append(package.number)
                    result.extra_numbers += 1
                continue
            order = orders[order_id]
            fresh[order_id] = {
                "org_id": actor.org_id,
                "shop_id": order["shop_id"],
                "order_id": order_id,
                "order_number": order["platform_order_no"],
                "package_id": package.id,
                "carrier_account_id": package.account_id,
                "logistics_company_id": accounts[package.account_id or 0][1],
                "tracking_number": package.number,
                "extra_numbers": [],
                "state": "pending",
                "outcome": "",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": "",
                "last_error_class": "",
                "created_by": actor.user_id,
                "created_at": now,
                "updated_at": now,
            }
    session.flush()  # the extra numbers of existing rows
    # Core executemany, not ORM objects: 10,000 rows in one pipelined statement.
    new_rows = list(fresh.values())
    if new_rows:
        session.execute(insert(ShipmentOutbox.__table__), new_rows)
    result.outbox_rows = len(new_rows)
