"""The audit rules (审单规则): each a small function over one order's facts.

A rule returns the failures it finds as (code, message): the code is stable (stored in
`Order.exception_reasons`, filtered on by `exception:<code>`), the message is for people,
Chinese then English. Rules read only `OrderFacts` and the `Context` the engine built
with a few set-based queries (`core.auditing.engine`), so evaluating one order does no I/O.

Rules that need the receiver in clear (the address detail and phone checks) skip — they
neither pass nor fail — an order whose receiver is platform ciphertext (Pinduoduo): we
cannot read it, and the platform has checked it. Province, city and district are in clear
for every order and are always checked.

"SKU not mapped" (`unmapped_sku`) applies only to an org that keeps a catalogue: its
lines are resolved for the whole batch by `core.stock.mapping.components`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.auditing import regions
from core.auditing.settings import RuleSettings
from core.orders.receiver import phone_shape_ok

Failure = tuple[str, str]

REFUND = "refund_in_progress"
BUYER_MEMO = "buyer_memo"
SELLER_REMARK = "seller_remark"
ADDRESS_UNKNOWN_PROVINCE = "address_unknown_province"
ADDRESS_UNKNOWN_CITY = "address_unknown_city"
ADDRESS_UNKNOWN_DISTRICT = "address_unknown_district"
ADDRESS_EMPTY = "address_empty"
ADDRESS_REPEATED_PREFIX = "address_repeated_prefix"
PHONE_SHAPE = "phone_shape"
AMOUNT = "amount_out_of_range"
QUANTITY = "quantity_out_of_range"
DUPLICATE = "duplicate_order"
MERGEABLE = "mergeable"
UNMAPPED_SKU = "unmapped_sku"
#: Set by a person's 驳回 (core.auditing.decisions), cleared by approval; rules keep it.
REJECTED = "rejected"
FLAG_PREFIX = "flag_"
#: Every code the rules write; each check rewrites these (and every `flag_<colour>`).
RULE_CODES = (
    REFUND,
    BUYER_MEMO,
    SELLER_REMARK,
    ADDRESS_UNKNOWN_PROVINCE,
    ADDRESS_UNKNOWN_CITY,
    ADDRESS_UNKNOWN_DISTRICT,
    ADDRESS_EMPTY,
    ADDRESS_REPEATED_PREFIX,
    PHONE_SHAPE,
    AMOUNT,
    QUANTITY,
    DUPLICATE,
    MERGEABLE,
    UNMAPPED_SKU,
)
#: Every reason an order can wait in the exception queue for: the rules' and a rejection.
REASON_CODES = (*RULE_CODES, REJECTED)


@dataclass(frozen=True)
class OrderFacts:
    """What the rules see of one order (clear receiver fields only where we hold them)."""

    id: int
    shop_id: int
    number: str
    refund_status: str
    flag: str  # the effective flag: the local one when set, else the platform's
    buyer_memo: str
    seller_remark: str
    local_remark: str
    province: str
    city: str
    district: str
    address: str | None  # None when the receiver is platform ciphertext
    phone: str | None
    platform_encrypted: bool
    pay_amount_fen: int
    quantity: int
    paid_at: datetime | None


@dataclass
class Context:
    """What rules need beyond the order, computed for a whole batch at once."""

    settings: RuleSettings
    divisions: regions.Divisions = field(default_factory=regions.divisions)
    #: Order id → the other copy's shop and number, for orders with a duplicate.
    duplicates: dict[int, str] = field(default_factory=dict)
    #: Order id → order numbers of the same receiver it could be merged with.
    mergeable: dict[int, list[str]] = field(default_factory=dict)
    #: Order id → its lines' platform SKUs that map to no merchant SKU.
    unmapped: dict[int, list[str]] = field(default_factory=dict)


Rule = Callable[[OrderFacts, Context], list[Failure]]


def refund_in_progress(order: OrderFacts, ctx: Context) -> list[Failure]:
    if ctx.settings.refund_in_progress and order.refund_status in ("in_progress", "refunded"):
        return [(REFUND, "售后/退款中 / refund in progress")]
    return []


def stop_flag(order: OrderFacts, ctx: Context) -> list[Failure]:
    if order.flag and order.flag in ctx.settings.stop_flags:
        return [(FLAG_PREFIX + order.flag, f"商家旗帜 {order.flag} / seller flag {order.flag}")]
    return []


def buyer_memo(order: OrderFacts, ctx: Context) -> list[Failure]:
    if ctx.settings.buyer_memo and order.buyer_memo.strip():
        return [(BUYER_MEMO, "有买家留言 / buyer memo to read")]
    return []


def seller_remark(order: OrderFacts, ctx: Context) -> list[Failure]:
    if ctx.settings.seller_remark and (order.seller_remark.strip() or order.local_remark.strip()):
        return [(SELLER_REMARK, "有商家备注 / seller remark to read")]
    return []


def address(order: OrderFacts, ctx: Context) -> list[Failure]:
    """Province/city/district recognised (always: they are in clear); then, for receivers
    we hold in clear, a street detail that is present and does not repeat them."""
    if not ctx.settings.address:
        return []
    failures: list[Failure] = []
    verdict = ctx.divisions.check(order.province, order.city, order.district)
    if verdict == regions.UNKNOWN_PROVINCE:
        failures.append((ADDRESS_UNKNOWN_PROVINCE, "省份无法识别 / province not recognised"))
    elif verdict == regions.UNKNOWN_CITY:
        failures.append((ADDRESS_UNKNOWN_CITY, "城市无法识别 / city not recognised"))
    elif verdict == regions.UNKNOWN_DISTRICT:
        failures.append((ADDRESS_UNKNOWN_DISTRICT, "区县无法识别 / district not recognised"))
    if order.platform_encrypted:
        return failures
    detail = "".join((order.address or "").split())
    if not detail:
        failures.append((ADDRESS_EMPTY, "详细地址为空 / street address empty"))
    elif ctx.divisions.repeated_prefix(detail, order.province, order.city):
        failures.append(
            (ADDRESS_REPEATED_PREFIX, "详细地址重复省市 / street address repeats province/city")
        )
    return failures


def phone_shape(order: OrderFacts, ctx: Context) -> list[Failure]:
    """A mainland mobile or a landline with area code; skipped for platform ciphertext."""
    if not ctx.settings.phone or order.platform_encrypted:
        return []
    if phone_shape_ok(order.phone or ""):  # virtual numbers ("13800000000-1234") pass
        return []
    return [(PHONE_SHAPE, "手机号格式不对 / phone number malformed")]


def amount_range(order: OrderFacts, ctx: Context) -> list[Failure]:
    low, high = ctx.settings.amount_min_fen, ctx.settings.amount_max_fen
    amount = order.pay_amount_fen
    if (low is not None and amount < low) or (high is not None and amount > high):
        return [(AMOUNT, f"金额 {amount} 分超出范围 / amount {amount} fen out of range")]
    return []


def quantity_range(order: OrderFacts, ctx: Context) -> list[Failure]:
    low, high = ctx.settings.quantity_min, ctx.settings.quantity_max
    count = order.quantity
    if (low is not None and count < low) or (high is not None and count > high):
        return [(QUANTITY, f"件数 {count} 超出范围 / quantity {count} out of range")]
    return []


def duplicate_order(order: OrderFacts, ctx: Context) -> list[Failure]:
    other = ctx.duplicates.get(order.id) if ctx.settings.duplicate_order else None
    if other is None:
        return []
    return [(DUPLICATE, f"重复订单 {other} / duplicate of {other}")]


def mergeable(order: OrderFacts, ctx: Context) -> list[Failure]:
    others = ctx.mergeable.get(order.id) if ctx.settings.mergeable else None
    if not others:
        return []
    shown = ", ".join(others[:3]) + (" …" if len(others) > 3 else "")
    return [(MERGEABLE, f"同收件人可合单 {shown} / can merge with {shown}")]


def unmapped_sku(order: OrderFacts, ctx: Context) -> list[Failure]:
    skus = ctx.unmapped.get(order.id) if ctx.settings.unmapped_sku else None
    if not skus:
        return []
    shown = ", ".join(skus[:3]) + (" …" if len(skus) > 3 else "")
    return [(UNMAPPED_SKU, f"商品未对应 {shown} / SKU not mapped: {shown}")]


#: The rules that read only the order itself: they can run before it is stored
#: (`core.auditing.precheck`).
SINGLE_ORDER: tuple[Rule, ...] = (
    refund_in_progress,
    stop_flag,
    buyer_memo,
    seller_remark,
    address,
    phone_shape,
    amount_range,
    quantity_range,
)
RULES: tuple[Rule, ...] = (*SINGLE_ORDER, duplicate_order, mergeable, unmapped_sku)


def evaluate(order: OrderFacts, ctx: Context, among: tuple[Rule, ...] = RULES) -> list[Failure]:
    """Every failure of every rule (of `among`), in their order."""
    failures: list[Failure] = []
    for rule in among:
        failures += rule(order, ctx)
    return failures
