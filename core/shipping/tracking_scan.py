"""The tracking-number scanner loop's state: scan what names the parcel, then its number.

A barcode scanner is a keyboard that types a burst of characters and Enter, so the loop
is fed one line at a time (`TrackingScanner.feed`) and answers each with one short line,
Chinese then English. The first scan names the package (an order number, `P<id>`, or a
package id — `core.shipping.targets.scanned`); the second is the tracking number, stored
with `set_tracking_number` on the session's carrier account. A number that fails keeps
the package waiting for another try — unless what was scanned names another package of
the org, which then takes its place (the operator moved on to the next parcel).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import OrderhubError
from core.shipping import numbers, targets
from core.shipping.tracking import PERMISSION, TrackingResult, set_tracking_number, usable_account


@dataclass(frozen=True)
class ScanFeedback:
    """One answer: `ok`, `kind` (`package`: waiting for its number; `stored`; `kept`;
    `error`) and the line to show."""

    ok: bool
    kind: str
    message: str
    result: TrackingResult | None = None


class TrackingScanner:
    """One operator's scanning session on one carrier account (`open_tracking_scanner`)."""

    def __init__(self, app: App, actor: Actor, account: str) -> None:
        self.app = app
        self.actor = actor
        self.account = account
        self.pending: targets.Target | None = None
        self.stored = 0
        self.failed = 0

    def feed(self, line: str) -> ScanFeedback:
        text = line.strip()
        if self.pending is None:
            return self._name(text)
        return self._number(text)

    def _name(self, text: str) -> ScanFeedback:
        try:
            named, package_id, orders = self._look_up(text)
        except OrderhubError as exc:
            self.failed += 1
            return ScanFeedback(False, "error", f"✗ 找不到包裹 / {exc}")
        self.pending = named
        where = f"包裹 {package_id}" if package_id else "订单（尚未打包）"
        shown = ", ".join(orders[:3]) or named.order_number
        return ScanFeedback(
            True,
            "package",
            f"→ {where} [{shown}]：请扫快递单号 / scan the tracking number",
        )

    def _look_up(self, text: str) -> tuple[targets.Target, int | None, tuple[str, ...]]:
        with self.app.tx() as session:
            authz.require(session, self.actor, PERMISSION)
            named = targets.scanned(session, self.actor.org_id, text)
            found = targets.resolve(session, self.actor.org_id, named)
            if found.package is None:
                return named, None, (named.order_number,)
            orders = numbers.order_numbers(session, {found.package.id})
            return named, found.package.id, orders.get(found.package.id, ())

    def _number(self, text: str) -> ScanFeedback:
        named = self.pending
        assert named is not None
        try:
            result = set_tracking_number(
                self.app,
                self.actor,
                text,
                self.account,
                order_number=named.order_number or None,
                package_id=named.package_id,
            )
        except OrderhubError as exc:
            moved = self._moved_on(text)
            if moved is not None:
                return moved
            self.failed += 1
            return ScanFeedback(
                False, "error", f"✗ 未保存 / not stored: {exc} — 请重扫单号 / scan the number again"
            )
        self.pending = None
        if result.outcome == "kept":
            message = f"= 包裹 {result.package_id} 已是 {result.number} / already set"
            return ScanFeedback(True, "kept", message, result)
        self.stored += 1
        warn = f"  ⚠ {result.warning}" if result.warning else ""
        return ScanFeedback(
            True,
            "stored",
            f"✓ 包裹 {result.package_id} ← {result.carrier_code} {result.number} / stored{warn}",
            result,
        )

    def _moved_on(self, text: str) -> ScanFeedback | None:
        """When the failed number is another parcel's identifier, that parcel is next."""
        try:
            named, _, _ = self._look_up(text)
        except OrderhubError:
            return None
        if named == self.pending:
            return None
        self.failed += 1
        self.pending = None
        answer = self._name(text)
        note = "（上一个包裹未回填 / the previous parcel got no number）"
        return ScanFeedback(answer.ok, answer.kind, f"{answer.message} {note}")


def open_tracking_scanner(app: App, actor: Actor, carrier_account: int | str) -> TrackingScanner:
    """A scanning session (`ship.confirm`) storing numbers on `carrier_account`."""
    with app.tx() as session:
        authz.require(session, actor, PERMISSION)
        account = usable_account(session, actor, carrier_account)
        return TrackingScanner(app, actor, account.name)
