"""Tracking numbers typed by hand (回填单号): one package, one number, one carrier account.

For parcels whose waybill did not come from orderhub's allocation: a pre-printed roll, a
courier's own app, a number read off the phone. `set_tracking_number` (`ship.confirm`)
stores it as a `Waybill` row so printing and ship-back treat it like an allocated one:

- status `allocated`, `print_data` None (no carrier gave print data: a label printed from
  orderhub is rendered by its own template with the number), `carrier` and
  `carrier_code` those of the account, `number_warning` the pattern warning, and
  `request_id` `typed:<package id>` (`core.waybills.requests.is_typed`), so cancelling it
  recycles it in orderhub without asking any carrier, and a reprint does not ask the
  carrier for print data it never had;
- the package moves `new → waybill_allocated` (a printed package stays printed) and takes
  the account as its carrier account;
- one `package.tracking_set` audit event per package.

Refused: a package on hold (with its reason), cancelled, verified or shipped; an order on
hold, closed or refunding; a number active on another package (named, with its orders);
a package that already has a waybill drawn from a carrier, or a typed one whose label was
printed (cancel it first: `orderhub waybill cancel`). A typed, unprinted number is
replaced by the new one (a typo corrected), the old one recycled.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, ValidationError
from core.models import CarrierAccount, Order, Package, PackageLine, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.orders import packages as packing
from core.orders.status import blocking_reason
from core.shipping import numbers, targets
from core.waybills.carrier_accounts import account_row
from core.waybills.requests import TYPED_PREFIX, is_typed

PERMISSION = "ship.confirm"
#: Package statuses that may take a typed number.
TYPABLE = ("new", "waybill_allocated", "printed")
WAYBILLS = Waybill.__table__


@dataclass(frozen=True)
class TrackingResult:
    """`set` (stored), `kept` (the package already had this number) or `replaced` (an
    earlier typed number, `replaced`, was recycled for this one)."""

    package_id: int
    order_numbers: tuple[str, ...]
    number: str
    carrier_code: str
    account: str
    outcome: str
    warning: str = ""
    replaced: str = ""


def set_tracking_number(
    app: App,
    actor: Actor,
    number: str,
    carrier_account: int | str,
    *,
    order_number: str | None = None,
    package_id: int | None = None,
) -> TrackingResult:
    """Give a package (by id, or its order's one live package) a number typed by hand."""
    named = targets.target(order_number, package_id)
    typed = numbers.checked(number)
    first = _attempt(app, actor, named, carrier_account, typed)
    if isinstance(first, TrackingResult):
        return first
    packing.ensure_packages(app, actor, [first])  # an order never packed: its default package
    again = _attempt(app, actor, named, carrier_account, typed)
    if not isinstance(again, TrackingResult):
        raise Conflict(f"{named.label()} has no package to put the number on")
    return again


def _attempt(
    app: App, actor: Actor, named: targets.Target, carrier_account: int | str, number: str
) -> TrackingResult | int:
    """The result, or the id of the named order when it has no package yet."""
    with app.tx() as session:
        authz.require(session, actor, PERMISSION)
        take_write_turn(session)
        account = usable_account(session, actor, carrier_account)
        found = targets.resolve(session, actor.org_id, named, lock=True)
        if found.package is None:
            assert found.order_id is not None
            return found.order_id
        return assign(app, session, actor, found.package, account, number)


def usable_account(session: Session, actor: Actor, ref: int | str) -> CarrierAccount:
    row = account_row(session, actor, ref)
    if not row.enabled:
        raise ValidationError(f"carrier account {row.name!r} is disabled", field="carrier_account")
    return row


def take_write_turn(session: Session) -> None:
    """SQLite: take the write lock before reading, so a check and its write see the same
    state (PostgreSQL locks the package row instead)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE packages SET id = id WHERE 1 = 0"))


def blocking_columns(package_id: int) -> Select:  # type: ignore[type-arg]
    """What `blocking_reason` reads of each order of a package (no receiver, no payload)."""
    return select(
        Order.platform_order_no,
        Order.on_hold,
        Order.hold_reason,
        Order.hub_status,
        Order.refund_status,
    ).where(Order.id.in_(select(PackageLine.order_id).where(PackageLine.package_id == package_id)))


def refusal(session: Session, package: Package) -> str:
    """Why this package may not take a typed number now ('' when it may)."""
    if package.status not in TYPABLE:
        reason = f": {package.hold_reason}" if package.hold_reason else ""
        return f"package {package.id} is {package.status}{reason}"
    for order in session.execute(blocking_columns(package.id)):
        problem = blocking_reason(order)  # type: ignore[arg-type]
        if problem:
            return f"package {package.id}: {problem}"
    return ""


def assign(
    app: App, session: Session, actor: Actor, package: Package, account: CarrierAccount, number: str
) -> TrackingResult:
    """In the caller's transaction: store `number` on `package` (checks included)."""
    problem = refusal(session, package)
    if problem:
        raise Conflict(problem, package_id=package.id)
    taken = numbers.holders(session, actor.org_id, number, besides=package.id)
    if taken:
        raise Conflict(
            f"{number} is already the tracking number of {taken[0].describe()}",
            package_id=taken[0].package_id,
            field="number",
        )
    orders = numbers.order_numbers(session, {package.id}).get(package.id, ())
    code = account.wp_code
    current = session.scalars(
        select(Waybill).where(
            Waybill.package_id == package.id, Waybill.status.in_(ACTIVE_WAYBILL_STATUSES)
        )
    ).one_or_none()
    result = dict(package_id=package.id, order_numbers=orders, number=number, account=account.name)
    if current is not None and current.number == number:
        return TrackingResult(**result, carrier_code=current.carrier_code, outcome="kept")
    replaced = ""
    if current is not None:
        if not is_typed(current.request_id) or current.status != "allocated":
            how = "typed and printed" if is_typed(current.request_id) else "drawn from a carrier"
            raise Conflict(
                f"package {package.id} already has waybill {current.number} ({how}); cancel "
                f"it first (orderhub waybill cancel {current.number})",
                package_id=package.id,
            )
        _recycle(session, current, f"replaced by {number}, typed by {actor.label}")
        replaced = current.number
    warning = numbers.pattern_warning(app, account.carrier, code, number)
    _insert(session, actor, package, account, number, warning)
    before = {"status": package.status, "number": replaced or None}
    package.carrier_account_id = account.id
    if package.status == "new":
        package.status = "waybill_allocated"
    audit.record(
        session,
        "package.tracking_set",
        actor=actor,
        target_type="package",
        target_id=package.id,
        before=before,
        after={
            "status": package.status,
            "number": number,
            "carrier_code": code,
            "account": account.name,
            "orders": list(orders[:20]),
        },
        detail=warning,
    )
    session.flush()
    outcome = "replaced" if replaced else "set"
    return TrackingResult(
        **result, carrier_code=code, outcome=outcome, warning=warning, replaced=replaced
    )


def _recycle(session: Session, waybill: Waybill, reason: str) -> None:
    session.execute(
        update(Waybill)
        .where(Waybill.id == waybill.id, Waybill.status == "allocated")
        .values(status="recycled", cancelled_at=clock.now(), cancel_reason=reason[:2000])
        .execution_options(synchronize_session=False)
    )


def _insert(
    session: Session,
    actor: Actor,
    package: Package,
    account: CarrierAccount,
    number: str,
    warning: str,
) -> None:
    """INSERT … ON CONFLICT DO NOTHING: the partial unique indexes decide a race with an
    allocation or another operator typing the same number."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    row = session.execute(
        module.insert(WAYBILLS)
        .on_conflict_do_nothing()
        .values(
            org_id=actor.org_id,
            package_id=package.id,
            carrier_account_id=account.id,
            carrier=account.carrier,
            carrier_code=account.wp_code,
            number=number,
            parent_number="",
            request_id=f"{TYPED_PREFIX}{package.id}",
            status="allocated",
            print_data=None,
            routing=None,
            number_warning=warning[:255],
            allocated_at=clock.now(),
            allocated_by=actor.user_id,
            cancel_reason="",
        )
        .returning(WAYBILLS.c.id)
    ).first()
    if row is None:
        raise Conflict(
            f"{number} could not be stored on package {package.id}: the package or the "
            "number was given a waybill a moment ago; look again and retry",
            package_id=package.id,
        )
