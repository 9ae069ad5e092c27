"""What a platform's answer means for an outbox row: done, held, needs a person, or retry.

The classes (`ShipmentOutbox.last_error_class`):

- refund — live status after-sale, refunding or refunded → held + critical alert;
- closed — live status cancelled → held + critical alert;
- already_shipped — live status shipped/received, or the send met the order shipped →
  done (never retried);
- invalid — the platform refused what we sent (tracking number, logistics id, a
  parameter) → needs_person + warning;
- not_found — the platform does not know the order as this shop's → needs_person;
- blocked — shippable later only by a person (risk review, 暂停发货, not 成交) →
  needs_person;
- transient — rate limits, outages, timeouts, lost answers, shop tokens → pending again
  after an exponential back-off with jitter.

A plugin's errors arrive typed (`core.errors`): retryable `ExternalError` is transient,
`Conflict` means the order's state forbids the shipment (a fresh status look tells which
class), `NotFound` is not_found, other refusals are invalid. Shop-wide problems (an
expired authorisation, the app's configuration) are transient for the row: the shop's own
alert asks a person, and the rows go as soon as it is fixed.
"""

from __future__ import annotations

import random
from datetime import timedelta

from core import clock
from core.config import ShipbackSettings
from core.contracts.platform import OrderStatusInfo
from core.contracts.types import OrderStatus, RefundStatus
from core.errors import AuthenticationFailed, Conflict, ExternalError, NotFound, OrderhubError
from core.shipback.outbox import Claimed, Outcome

MAX_ERROR = 1000
_rng = random.Random()


def before_sending(row: Claimed, info: OrderStatusInfo | None) -> Outcome | None:
    """The outcome the live status decides on its own (hold, unknown order), or None to
    send. A shipped or received order is sent too: the platform's answer to the repeat
    is what proves the tracking number (the plugin's `confirm_shipment` is idempotent)."""
    if info is None:
        return None
    number = row.order_number
    if info.refund_status in (RefundStatus.IN_PROGRESS, RefundStatus.REFUNDED):
        return held(row, "refund", info)
    if info.status is OrderStatus.CANCELLED:
        return held(row, "closed", info)
    if info.status is OrderStatus.UNKNOWN:
        return needs_person(
            row, "not_found", f"the platform reports order {number} as unknown (异常)"
        )
    return None


def held(row: Claimed, error_class: str, info: OrderStatusInfo) -> Outcome:
    number = row.order_number
    if info.refund_status is RefundStatus.REFUNDED:
        why = "退款成功"
    elif info.refund_status is RefundStatus.IN_PROGRESS:
        why = "售后/退款中"
    else:
        why = "订单已关闭"
    reason = f"已拦截，请勿发货：{why} / held at ship-back: order {number} is {info.status.value}"
    if info.refund_status is not RefundStatus.NONE:
        reason += f", refund {info.refund_status.value}"
    return Outcome(row, "held", error=reason, error_class=error_class, hold_reason=reason)


def needs_person(row: Claimed, error_class: str, message: str) -> Outcome:
    return Outcome(row, "needs_person", error=message[:MAX_ERROR], error_class=error_class)


def sent(row: Claimed, *, already_shipped: bool) -> Outcome:
    return Outcome(row, "done", outcome="already_shipped" if already_shipped else "sent")


def after_conflict(row: Claimed, exc: Conflict, info: OrderStatusInfo | None) -> Outcome:
    """The platform refused because of the order's state; `info` is a fresh look at it."""
    if info is not None and info.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        note = f"already shipped on the platform (not with {row.tracking_number}?): {exc.message}"
        return Outcome(
            row,
            "done",
            outcome="already_shipped",
            error=note[:MAX_ERROR],
            error_class="already_shipped",
        )
    if info is not None:
        decided = before_sending(row, info)
        if decided is not None:
            return decided
    return needs_person(row, "blocked", exc.message)


def failure(row: Claimed, exc: Exception, settings: ShipbackSettings) -> Outcome:
    """Any other failure of the send or of the status look."""
    if isinstance(exc, NotFound):
        return needs_person(row, "not_found", exc.message)
    if isinstance(exc, AuthenticationFailed):
        return retry(row, exc.message, settings)
    if isinstance(exc, ExternalError):
        if exc.retryable or exc.details.get("kind") == "configuration":
            return retry(row, exc.message, settings)
        return needs_person(row, "invalid", exc.message)
    if isinstance(exc, OrderhubError):
        return needs_person(row, "invalid", exc.message)
    return retry(row, f"{type(exc).__name__}: {exc}", settings)


def retry(row: Claimed, message: str, settings: ShipbackSettings) -> Outcome:
    """Transient: due again after an exponential back-off with jitter (the row's
    `attempts` counts this try), so rows of an outage spread out when it ends."""
    at = clock.now() + timedelta(seconds=backoff(row.attempts, settings))
    return Outcome(row, "pending", error=message[:MAX_ERROR], error_class="transient", retry_at=at)


def backoff(attempts: int, settings: ShipbackSettings) -> float:
    """Seconds before the next try after `attempts` tries: a random time in [d/2, d],
    d = min(max, base * 2**(attempts-1))."""
    step = min(
        float(settings.retry_max_seconds),
        settings.retry_base_seconds * 2.0 ** max(0, min(attempts - 1, 30)),
    )
    return step * (0.5 + 0.5 * _rng.random())
