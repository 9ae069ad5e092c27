"""Data that crosses the plugin boundary in more than one contract.

Small frozen dataclasses, checked on construction, so a plugin that builds a wrong value
fails where it builds it, not three layers later. Units everywhere: money in integer fen
(分, never float yuan), times timezone-aware UTC, weights in grams, sizes in millimetres.
Plugins never see ORM rows; core maps these to and from its model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeVar

from core.errors import ValidationError

E = TypeVar("E", bound=StrEnum)

#: The largest amount an order carries: 10**12 yuan, far inside the BIGINT columns fen are
#: stored in. The same bound as `core.money.MAX_FEN` (a sibling layer, so not imported;
#: tests/test_money.py holds the two equal). Totals a plugin works out (lines × pieces)
#: can pass it even when every amount it read was within it.
MAX_FEN = 10**14


def utc(value: datetime, field_name: str) -> datetime:
    """`value` as aware UTC; a naive datetime is a bug in the plugin, so it is refused."""
    if type(value) is datetime and value.tzinfo is UTC:
        return value  # already UTC: what astimezone(UTC) would return, for less
    if not isinstance(value, datetime):
        raise ValidationError(f"{field_name} must be a datetime, not {value!r}", field=field_name)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{field_name} must be timezone-aware (UTC), got naive {value.isoformat()}",
            field=field_name,
        )
    return value.astimezone(UTC)


def fen(value: int, field_name: str) -> int:
    """Check an amount in integer fen (分): an int, not a float or bool, never negative,
    at most `MAX_FEN`."""
    if type(value) is int and 0 <= value <= MAX_FEN:
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{field_name} must be an integer amount in fen, not {value!r}", field=field_name
        )
    if value < 0:
        raise ValidationError(f"{field_name} must not be negative, got {value}", field=field_name)
    if value > MAX_FEN:
        raise ValidationError(
            f"{field_name} must be at most {MAX_FEN} fen (10**12 yuan), got "
            + (str(value) if value.bit_length() < 200 else "a very long integer"),
            field=field_name,
        )
    return value


def required_text(value: str, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{field_name} must be a non-empty string", field=field_name)
    return value


def enum_value(enum: type[E], value: Any, field_name: str) -> E:
    """`value` as a member of `enum`; an unknown value names the allowed ones."""
    if type(value) is enum:
        return value  # a member already (the enum's own lookup is a slow Python call)
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationError(
            f"{field_name} must be one of {allowed}, not {value!r}", field=field_name
        ) from None


def language_problems(languages: object) -> list[str]:
    """Why a `LANGUAGES` declaration is unusable (empty list when it is fine)."""
    if not isinstance(languages, frozenset | set) or not languages:
        return [f"LANGUAGES must be a non-empty frozenset of strings, not {languages!r}"]
    bad = [x for x in languages if not isinstance(x, str) or not x or x != x.lower()]
    return [f"LANGUAGES holds invalid entries {bad!r}; use lower-case names"] if bad else []


def frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)  # normalising inside a frozen dataclass


class DocumentLanguage(StrEnum):
    """Document languages core knows. Plugins may use other strings (a platform's
    print-component payload, e.g. "pdd-print"), as long as renderer and driver agree."""

    PDF = "pdf"
    PNG = "png"
    TSPL = "tspl"
    ZPL = "zpl"
    ESCPOS = "escpos"


class OrderStatus(StrEnum):
    """A platform order's status, mapped by the platform plugin onto this small set."""

    AWAITING_SHIPMENT = "awaiting_shipment"  # paid, not yet shipped (待发货)
    SHIPPED = "shipped"  # handed to the carrier (已发货待签收)
    DELIVERED = "delivered"  # received by the buyer (已签收)
    CANCELLED = "cancelled"  # closed without shipping
    UNKNOWN = "unknown"  # the platform said something we cannot map (e.g. PDD's 0 异常)


class RefundStatus(StrEnum):
    """After-sale state of an order; anything but NONE stops printing and shipping rules."""

    NONE = "none"  # no after-sale, or it was closed (无售后或售后关闭)
    IN_PROGRESS = "in_progress"  # after-sale or refund under way (售后处理中 / 退款中)
    REFUNDED = "refunded"  # refund succeeded (退款成功)
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Contact:
    """A person and address: a receiver, or a sender printed on a waybill.

    `address` is the street detail without province/city/district. When `encrypted` is
    True, `name`, `phone` and `address` are the platform's ciphertext (opaque to orderhub,
    see pinduoduo.md §4) and the `*_masked` fields hold what may be shown on screens.
    """

    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
    town: str = ""
    encrypted: bool = False
    name_masked: str = ""
    phone_masked: str = ""
    address_masked: str = ""


@dataclass(frozen=True)
class PlatformOrderLine:
    """One goods line of a platform order, as the platform snapshot it at purchase."""

    sku_id: str
    title: str
    quantity: int
    unit_price_fen: int
    goods_id: str = ""
    outer_id: str = ""  # merchant SKU code (商家编码), what SKU mappings match on
    spec: str = ""  # "颜色:红,尺码:L" as the platform shows it

    def __post_init__(self) -> None:
        quantity, price = self.quantity, self.unit_price_fen
        if type(quantity) is int and quantity > 0 and type(price) is int and 0 <= price <= MAX_FEN:
            return  # the usual line, in one test; the checks below name what is wrong
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError(f"quantity must be an int, not {self.quantity!r}")
        if self.quantity <= 0:
            raise ValidationError(f"quantity must be positive, got {self.quantity}")
        fen(self.unit_price_fen, "unit_price_fen")


@dataclass(frozen=True)
class PlatformOrder:
    """An order as a platform (or an import file) describes it, mapped to core units.

    `updated_at` is the platform's own update time: core uses it to make sure an update
    never goes backwards, so a plugin must pass the platform's value, never "now".
    `raw` keeps the original payload for support and for re-mapping after a bug fix.
    `raw_personal` says whether `raw` may hold buyer personal data in clear: core then
    encrypts it at rest. A plugin whose payloads carry only masked copies and platform
    ciphertext sets it False, and core stores the payload compressed, without a second
    encryption (the default, True, is the safe one).
    """

    order_number: str
    status: OrderStatus
    refund_status: RefundStatus
    created_at: datetime
    updated_at: datetime
    receiver: Contact
    lines: tuple[PlatformOrderLine, ...]
    goods_fen: int
    paid_fen: int
    discount_fen: int = 0
    postage_fen: int = 0
    paid_at: datetime | None = None
    ship_by: datetime | None = None  # promised ship-by time (承诺发货时间)
    platform_status: str = ""  # the platform's own status text/code, for display
    buyer_memo: str = ""
    seller_remark: str = ""
    remark_flag: str = ""  # seller flag colour: red, yellow, green, blue, purple or ""
    tags: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    raw_personal: bool = field(default=True, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self._well_formed():
            self._check_and_normalise()
        _set(self, "raw", frozen_mapping(self.raw))

    def _well_formed(self) -> bool:
        """True when every check below would pass and change nothing (the usual order, as
        a platform plugin builds it): one test instead of a dozen calls per order."""
        number, paid_at, ship_by = self.order_number, self.paid_at, self.ship_by
        created, updated = self.created_at, self.updated_at
        goods, paid, discount, postage = (
            self.goods_fen,
            self.paid_fen,
            self.discount_fen,
            self.postage_fen,
        )
        return bool(
            type(number) is str
            and number.strip()
            and type(self.status) is OrderStatus
            and type(self.refund_status) is RefundStatus
            and type(created) is datetime
            and created.tzinfo is UTC
            and type(updated) is datetime
            and updated.tzinfo is UTC
            and (paid_at is None or (type(paid_at) is datetime and paid_at.tzinfo is UTC))
            and (ship_by is None or (type(ship_by) is datetime and ship_by.tzinfo is UTC))
            and type(goods) is int  # `fen`'s test, inline
            and 0 <= goods <= MAX_FEN
            and type(paid) is int
            and 0 <= paid <= MAX_FEN
            and type(discount) is int
            and 0 <= discount <= MAX_FEN
            and type(postage) is int
            and 0 <= postage <= MAX_FEN
            and type(self.lines) is tuple
            and type(self.tags) is tuple
        )

    def _check_and_normalise(self) -> None:
        """Every field checked in turn: the first bad one is named; enum values, times and
        sequences are normalised to members, aware UTC and tuples."""
        required_text(self.order_number, "order_number")
        _set(self, "status", enum_value(OrderStatus, self.status, "status"))
        _set(self, "refund_status", enum_value(RefundStatus, self.refund_status, "refund_status"))
        for name in ("created_at", "updated_at"):
            _set(self, name, utc(getattr(self, name), name))
        for name in ("paid_at", "ship_by"):
            if getattr(self, name) is not None:
                _set(self, name, utc(getattr(self, name), name))
        for name in ("goods_fen", "paid_fen", "discount_fen", "postage_fen"):
            fen(getattr(self, name), name)
        _set(self, "lines", tuple(self.lines))
        _set(self, "tags", tuple(self.tags))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (orders cross process boundaries in a parallel sync): the frozen
        `raw` mapping does not pickle, so it travels as a dict and is frozen again."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["raw"] = dict(self.raw)
        return (_platform_order, (values,))


def _platform_order(values: dict[str, Any]) -> PlatformOrder:
    return PlatformOrder(**values)


#: The longest `UnreadableOrder.reason` kept; a longer one is cut (it goes into an alert).
MAX_REASON = 500


@dataclass(frozen=True)
class UnreadableOrder:
    """An order a platform served but its plugin could not map (a price with three
    decimals, a field of an unknown shape): handed to core in `OrderPage.unreadable` so
    one bad order does not stop the shop's sync. Core quarantines it (the raw payload,
    sealed at rest, since an unreadable payload may hold buyer data in any field), raises
    an alert naming it, and clears it once the order is read and stored.

    `reason` is the mapping's one-line error; it must not quote buyer data.
    """

    order_number: str
    reason: str
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        number = required_text(self.order_number, "order_number").strip()
        _set(self, "order_number", number)
        reason = " ".join(str(self.reason).split()) or "unreadable"
        _set(self, "reason", reason[:MAX_REASON])
        if not isinstance(self.raw, Mapping):
            raise ValidationError(f"raw must be a mapping, not {type(self.raw).__name__}")
        _set(self, "raw", frozen_mapping(self.raw))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (reader processes hand these over), as for `PlatformOrder`."""
        return (UnreadableOrder, (self.order_number, self.reason, dict(self.raw)))


@dataclass(frozen=True)
class AlertInfo:
    """An alert core has stored (what the `alert_raised` hook receives)."""

    id: int
    org_id: int | None
    kind: str
    severity: str  # info | warning | critical
    message: str
    created_at: datetime
