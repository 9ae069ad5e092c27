"""The pack station (扫描验货): scan a waybill, then every item, and the package is verified.

`open_station(app, actor)` (`ship.confirm`) gives a `PackStation`; `scan(code)` answers
each scan with a `PackAnswer`. Scanning a waybill number loads its package's lines;
scanning an item's code counts it; when every line is complete the package becomes
`verified` (one `package.verify` audit event, in a transaction that checks the package
and its orders once more).

Refused loudly, before any item: a waybill that was cancelled or recycled (its label must
not leave), a package on hold (拦截, with its reason — e.g. a refund that arrived after
printing), cancelled, already verified or shipped, and a package whose orders are on
hold, closed or refunding (the hold may not have reached the package yet). Refused with
the item and the counts: a code that is not in the package, and one more of an item than
the package holds. Scanning another waybill while a package is half-scanned leaves that
package as it was (not verified; nothing was written) and says so.

Items are the package's merchant SKUs, scanned by their barcodes, when the org keeps a
catalogue; otherwise the codes their product labels carry (`core.shipping.pack_items`).

Speed: a waybill scan is two indexed queries (`ix_waybills_org_number` with the package
by primary key; the package's lines by `package_lines`' unique index with their orders
and order lines by primary key and `(order_id, line_no)`). An item scan is answered from
memory, unless it is not an item (one waybill look-up) or completes the package (the
verify transaction). Permissions are checked when the station opens and in every write.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Order, OrderLine, Package, PackageLine, Shop, Waybill
from core.models.packages import ACTIVE_WAYBILL_STATUSES
from core.orders.status import blocking_reason
from core.shipping.numbers import normalise
from core.shipping.pack_items import Item, package_items
from core.shipping.tracking import blocking_columns

PERMISSION = "ship.confirm"
VERIFIABLE = ("waybill_allocated", "printed")
MAX_CODE = 100


@dataclass(frozen=True)
class PackAnswer:
    """The answer to one scan. `kind`: package (loaded, scan its items) · item (counted)
    · verified (the last item: package verified) · hold (拦截: on hold, do not ship) ·
    refused (the waybill or package cannot be verified) · wrong_item · excess · unknown
    (neither a waybill nor an item). `loud` marks the answers the operator must not miss.
    `abandoned` is the half-scanned package left for this one."""

    ok: bool
    kind: str
    message: str
    package_id: int | None = None
    waybill: str = ""
    order_numbers: tuple[str, ...] = ()
    items: tuple[Item, ...] = ()
    loud: bool = False
    abandoned: int | None = None


@dataclass(frozen=True)
class StationState:
    """A half-scanned package as a stateless front end keeps it between scans: its
    waybill number and the counts scanned so far, by item code."""

    waybill: str
    scanned: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class StationScan:
    """`scan_once`'s answer, and the station to send with the next scan (None: empty)."""

    answer: PackAnswer
    station: StationState | None


@dataclass
class _Current:
    package_id: int
    waybill: str
    order_numbers: tuple[str, ...]
    items: dict[str, Item]
    aliases: dict[str, str] = field(default_factory=dict)

    def answer(self, ok: bool, kind: str, message: str, loud: bool = False) -> PackAnswer:
        return PackAnswer(
            ok,
            kind,
            message,
            self.package_id,
            self.waybill,
            self.order_numbers,
            tuple(self.items.values()),
            loud,
        )

    def progress(self) -> str:
        done = sum(i.scanned for i in self.items.values())
        total = sum(i.expected for i in self.items.values())
        return f"{done}/{total}"


class PackStation:
    """One operator's station: at most one package on it at a time."""

    def __init__(self, app: App, actor: Actor) -> None:
        self.app = app
        self.actor = actor
        self.current: _Current | None = None
        self.verified = 0

    def scan(self, code: str) -> PackAnswer:
        text = normalise(code)
        if not text or len(text) > MAX_CODE:
            return PackAnswer(False, "unknown", "✗ 无法识别 / unreadable scan")
        current = self.current
        if current is not None:
            key = current.aliases.get(text)
            if key is not None:
                return self._count(current, key)
            if text == current.waybill:
                return current.answer(
                    False,
                    "package",
                    f"= 正在验此包裹 {current.progress()} / already on the station",
                )
        with self.app.tx() as session:
            found = _waybill(session, self.actor.org_id, text)
            if found is None:
                if current is None:
                    return PackAnswer(
                        False, "unknown", f"✗ 查无此快递单 {text} / no such waybill: scan a label"
                    )
                return _wrong_item(current, text)
            answer = self._load(session, found, text)
        if current is not None:
            left = current.package_id
            note = f"（包裹 {left} 未验完 {current.progress()}，已放弃 / left unverified）"
            answer = replace(answer, message=f"{answer.message} {note}", abandoned=left)
        return answer

    def state(self) -> StationState | None:
        """What is on the station now, as a stateless front end carries it to the next
        scan (`resume`); None when no package is half-scanned."""
        current = self.current
        if current is None:
            return None
        counts = {i.code: i.scanned for i in current.items.values() if i.scanned}
        return StationState(current.waybill, counts)

    def resume(self, state: StationState) -> PackAnswer | None:
        """Put the package of `state.waybill` back on the station with its counts, as they
        were after the previous scan. None when it is back; otherwise the answer its
        waybill gets now — put on hold, cancelled or verified since — and the station is
        empty. Counts that are not the package's items, or more than it holds, or that
        complete it (the last item verifies, so that scan happened already) are refused:
        they are not what this station answered."""
        self.current = None
        answer = self.scan(state.waybill)
        current = self.current
        if current is None:
            return answer
        for code, count in state.scanned.items():
            key = current.aliases.get(normalise(code))
            item = current.items.get(key) if key is not None else None
            if item is None or isinstance(count, bool) or count < 0:
                self.current = None
                raise ValidationError(
                    f"station: {code!r} is not an item of package {current.package_id} "
                    "(send the counts the previous answer gave)",
                    field="station",
                )
            if item.scanned + count > item.expected:
                self.current = None
                raise ValidationError(
                    f"station: package {current.package_id} holds {item.expected} of "
                    f"{item.code}, not {item.scanned + count}",
                    field="station",
                )
            current.items[key] = replace(item, scanned=item.scanned + count)  # type: ignore[index]
        if all(i.done for i in current.items.values()):
            self.current = None
            raise ValidationError(
                f"station: every item of package {current.package_id} is counted already; "
                "scan its waybill to see its state",
                field="station",
            )
        return None

    def abandon(self) -> int | None:
        """Take the half-scanned package off the station (nothing is written)."""
        left = self.current.package_id if self.current else None
        self.current = None
        return left

    # ---------------------------------------------------------------- a waybill

    def _load(self, session: Session, found: tuple, number: str) -> PackAnswer:  # type: ignore[type-arg]
        self.current = None
        waybill_status, package_id, status, hold_reason = found
        base = PackAnswer(False, "refused", "", package_id, number, loud=True)
        if waybill_status not in ACTIVE_WAYBILL_STATUSES:
            return replace(
                base,
                message=f"✗ 此单号已作废 {number}，请勿发货 / waybill {waybill_status}: "
                "do not ship",
            )
        if status == "on_hold":
            reason = hold_reason or "on hold"
            return replace(
                base,
                kind="hold",
                message=f"⛔ 已拦截，请勿发货 / ON HOLD — {reason} (包裹 {package_id})",
            )
        if status not in VERIFIABLE:
            said = {"verified": "已验货 / already verified", "cancelled": "包裹已取消 / cancelled"}
            said |= {"shipped": "已发货 / already shipped", "synced": "已发货 / already shipped"}
            why = said.get(status, f"包裹 {status}")
            more = f" ({hold_reason})" if hold_reason else ""
            return replace(
                base, loud=status != "verified", message=f"✗ {why}{more} (包裹 {package_id})"
            )
        lines = _lines(session, package_id)
        orders = tuple(sorted({row.platform_order_no for row in lines}))
        for row in lines:
            problem = blocking_reason(row)  # type: ignore[arg-type]
            if problem:
                return replace(
                    base,
                    kind="hold",
                    order_numbers=orders,
                    message=f"⛔ 已拦截，请勿发货 / ON HOLD — {problem}",
                )
        found = package_items(session, self.actor.org_id, lines)
        if found.problem:
            return replace(base, order_numbers=orders, message=f"✗ {found.problem}")
        current = _Current(package_id, number, orders, found.items, found.aliases)
        self.current = current
        listing = ", ".join(f"{i.code}×{i.expected}" for i in current.items.values())
        return current.answer(
            True,
            "package",
            f"→ 包裹 {package_id} [{', '.join(orders[:3])}] 请扫商品 / scan items: {listing}",
        )

    # ---------------------------------------------------------------- an item

    def _count(self, current: _Current, key: str) -> PackAnswer:
        item = current.items[key]
        if item.done:
            return current.answer(
                False,
                "excess",
                f"✗ 多了 / too many: {item.code} {item.title} — 应 {item.expected}，已扫 "
                f"{item.scanned} / expected {item.expected}, scanned {item.scanned}",
                loud=True,
            )
        item = replace(item, scanned=item.scanned + 1)
        current.items[key] = item
        if not all(i.done for i in current.items.values()):
            return current.answer(
                True,
                "item",
                f"✓ {item.code} {item.scanned}/{item.expected} · 共 {current.progress()}",
            )
        return self._verify(current)

    def _verify(self, current: _Current) -> PackAnswer:
        counts = {i.code: i.scanned for i in current.items.values()}
        with self.app.tx() as session:
            authz.require(session, self.actor, PERMISSION)
            problem = _still_blocked(session, current.package_id)
            if problem:
                self.current = None
                return current.answer(
                    False, "hold", f"⛔ 已拦截，请勿发货 / ON HOLD — {problem}", True
                )
            moved = session.execute(
                update(Package)
                .where(
                    Package.id == current.package_id,
                    Package.org_id == self.actor.org_id,
                    Package.status.in_(VERIFIABLE),
                )
                .values(status="verified", updated_at=clock.now())
                .execution_options(synchronize_session=False)
            ).rowcount
            if moved != 1:
                row = session.get(Package, current.package_id)
                self.current = None
                status = row.status if row is not None else "gone"
                reason = f" — {row.hold_reason}" if row is not None and row.hold_reason else ""
                kind = "hold" if status == "on_hold" else "refused"
                return current.answer(
                    False, kind, f"⛔ 包裹 {status}{reason}，请勿发货 / not verified", True
                )
            audit.record(
                session,
                "package.verify",
                actor=self.actor,
                target_type="package",
                target_id=current.package_id,
                before={"status": "scanning"},
                after={"status": "verified", "waybill": current.waybill, "items": counts},
            )
        self.current = None
        self.verified += 1
        return current.answer(
            True, "verified", f"✅ 验货完成 / verified: 包裹 {current.package_id} {current.waybill}"
        )


def open_station(app: App, actor: Actor) -> PackStation:
    """A pack station for `actor` (`ship.confirm`)."""
    with app.tx() as session:
        authz.require(session, actor, PERMISSION)
    return PackStation(app, actor)


def scan_once(
    app: App, actor: Actor, code: str, station: StationState | None = None
) -> StationScan:
    """One scan at a station that lives in the front end, not here (the HTTP API): the
    station is opened (`ship.confirm`), the package of `station` put back with its counts
    (`PackStation.resume`), and `code` scanned. The answer carries the station to send
    with the next scan. When the package cannot go back on the station (put on hold
    meanwhile …) that is the answer, and `code` is not scanned: the operator must see it.
    """
    pack = open_station(app, actor)
    if station is not None:
        refused = pack.resume(station)
        if refused is not None:
            return StationScan(refused, None)
    answer = pack.scan(code)
    return StationScan(answer, pack.state())


# ---------------------------------------------------------------- queries


def _waybill(session: Session, org_id: int, number: str) -> tuple | None:  # type: ignore[type-arg]
    """(waybill status, package id, package status, hold reason) of the number's waybill:
    an active one if any, else the newest."""
    active_first = case((Waybill.status.in_(ACTIVE_WAYBILL_STATUSES), 0), else_=1)
    row = session.execute(
        select(Waybill.status, Waybill.package_id, Package.status, Package.hold_reason)
        .join(Package, Package.id == Waybill.package_id)
        .where(Waybill.org_id == org_id, Waybill.number == number)
        .order_by(active_first, Waybill.id.desc())
        .limit(1)
    ).first()
    return tuple(row) if row is not None else None


def _lines(session: Session, package_id: int) -> list:  # type: ignore[type-arg]
    return list(
        session.execute(
            select(
                PackageLine.quantity,
                PackageLine.line_no,
                Order.platform_order_no,
                Order.on_hold,
                Order.hold_reason,
                Order.hub_status,
                Order.refund_status,
                Shop.platform,
                OrderLine.outer_id,
                OrderLine.outer_goods_id,
                OrderLine.platform_sku_id,
                OrderLine.title,
                OrderLine.spec,
            )
            .join(Order, Order.id == PackageLine.order_id)
            .join(Shop, Shop.id == Order.shop_id)
            .outerjoin(
                OrderLine,
                and_(
                    OrderLine.order_id == PackageLine.order_id,
                    OrderLine.line_no == PackageLine.line_no,
                ),
            )
            .where(PackageLine.package_id == package_id)
            .order_by(PackageLine.id)
        ).all()
    )


def _still_blocked(session: Session, package_id: int) -> str:
    for order in session.execute(blocking_columns(package_id)):
        problem = blocking_reason(order)  # type: ignore[arg-type]
        if problem:
            return problem
    return ""


def _wrong_item(current: _Current, code: str) -> PackAnswer:
    wanted = ", ".join(
        f"{i.code} {i.scanned}/{i.expected}" for i in current.items.values() if not i.done
    )
    return current.answer(
        False,
        "wrong_item",
        f"✗ 不是本包裹的商品 / not in package {current.package_id}: {code} — 还需 / still "
        f"needed: {wanted}",
        loud=True,
    )
