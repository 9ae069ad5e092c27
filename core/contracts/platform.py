"""`SalesPlatform`: a marketplace that sells (Pinduoduo …) — authorise shops, pull orders,
confirm shipments, and optionally take the stock quantities core pushes.

Instances are built with the platform app's settings (client id, secret, gateway URL);
per-shop credentials travel as the `access_token` argument, because OAuth runs before any
shop exists and tokens rotate. A remote plugin keeps pure mapping (payload ↔ these types)
apart from its client (signing, retries, rate limits). Remote failures raise
`core.errors.ExternalError` with `retryable=True` for rate limits, timeouts and gateway
errors, False for everything a retry cannot fix; an expired or revoked token raises
`core.errors.AuthenticationFailed`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, ClassVar

from core.contracts.base import Contract
from core.contracts.types import (
    OrderStatus,
    PlatformOrder,
    RefundStatus,
    UnreadableOrder,
    enum_value,
    required_text,
    utc,
)
from core.errors import ValidationError


@dataclass(frozen=True)
class TokenGrant:
    """What an authorisation or refresh returns. `shop_id` is the platform's stable shop
    identity (Pinduoduo `owner_id`) that a Shop is bound to; tokens never appear in repr."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    shop_id: str
    shop_name: str = ""
    refresh_expires_at: datetime | None = None
    scopes: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"TokenGrant(shop_id={self.shop_id!r}, shop_name={self.shop_name!r}, "
            f"expires_at={self.expires_at.isoformat()}, access_token='****')"
        )

    def __post_init__(self) -> None:
        required_text(self.access_token, "access_token")
        required_text(self.shop_id, "shop_id")
        object.__setattr__(self, "expires_at", utc(self.expires_at, "expires_at"))
        if self.refresh_expires_at is not None:
            value = utc(self.refresh_expires_at, "refresh_expires_at")
            object.__setattr__(self, "refresh_expires_at", value)
        object.__setattr__(self, "scopes", tuple(self.scopes))


@dataclass(frozen=True)
class OrderWindow:
    """A half-open window `[start, end)` of platform *update* times, aware UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", utc(self.start, "start"))
        object.__setattr__(self, "end", utc(self.end, "end"))
        if self.end <= self.start:
            raise ValidationError(
                f"order window ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})",
                field="end",
            )

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def split(self, longest: timedelta) -> tuple[OrderWindow, ...]:
        """Consecutive windows no longer than `longest` that cover this one exactly."""
        if longest <= timedelta(0):
            raise ValidationError(f"window length must be positive, got {longest}")
        parts: list[OrderWindow] = []
        start = self.start
        while start < self.end:
            end = min(start + longest, self.end)
            parts.append(OrderWindow(start, end))
            start = end
        return tuple(parts)


@dataclass(frozen=True)
class OrderPage:
    """One page of a window. `total` is the window's order count when the platform says.

    `unreadable` holds the page's orders the plugin could not map (see `UnreadableOrder`):
    they count in `total` and in the page's place like any other, so paging is unchanged.
    """

    orders: tuple[PlatformOrder, ...]
    page: int
    has_next: bool
    total: int | None = None
    unreadable: tuple[UnreadableOrder, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(self.orders))
        object.__setattr__(self, "unreadable", tuple(self.unreadable))
        if self.page < 1:
            raise ValidationError(f"pages are numbered from 1, got {self.page}", field="page")


@dataclass(frozen=True)
class OrderStatusInfo:
    """A cheap status answer for one order (the pre-print/pre-ship refund check)."""

    order_number: str
    status: OrderStatus
    refund_status: RefundStatus

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", enum_value(OrderStatus, self.status, "status"))
        refund = enum_value(RefundStatus, self.refund_status, "refund_status")
        object.__setattr__(self, "refund_status", refund)


@dataclass(frozen=True)
class LogisticsCompany:
    """A carrier as the platform names it. `id` is what `confirm_shipment` needs; `code`
    matches the waybill service's carrier code (`wp_code`, e.g. "YTO")."""

    id: str
    code: str
    name: str
    available: bool = True


@dataclass(frozen=True)
class ShipmentConfirmation:
    """Tell the platform an order left with this carrier and tracking number.
    `redelivery` is True when changing the tracking number of an already shipped order."""

    order_number: str
    logistics_company_id: str
    tracking_number: str
    redelivery: bool = False

    def __post_init__(self) -> None:
        for name in ("order_number", "logistics_company_id", "tracking_number"):
            required_text(getattr(self, name), name)


@dataclass(frozen=True)
class EncryptedValue:
    """A ciphertext to decrypt; `tag` ties it to its order (Pinduoduo's `data_tag`)."""

    tag: str
    ciphertext: str


@dataclass(frozen=True)
class DecryptedValue:
    """The answer for one `EncryptedValue`: `plaintext`, or `error` saying why not."""

    tag: str
    ciphertext: str
    plaintext: str = ""
    error: str = ""


@dataclass(frozen=True)
class QuantityUpdate:
    """Set the stock of one platform SKU to `quantity` (a full update, never a delta):
    what core has available for it. `goods_id` and `sku_id` are the platform's ids as
    order lines carry them; `outer_id` is the SKU's merchant code, when known."""

    goods_id: str
    sku_id: str
    quantity: int
    outer_id: str = ""

    def __post_init__(self) -> None:
        required_text(self.goods_id, "goods_id")
        required_text(self.sku_id, "sku_id")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValidationError(f"quantity must be a whole number, not {self.quantity!r}")
        if self.quantity < 0:
            raise ValidationError(
                f"quantity must be 0 or more, not {self.quantity}", field="quantity"
            )


class SalesPlatform(Contract, ABC):
    """A sales platform. `name` is the platform code stored on each Shop ("pinduoduo")."""

    kind: ClassVar[str] = "platform"
    #: Longest update-time window one `fetch_orders` call accepts (Pinduoduo: 30 minutes).
    MAX_WINDOW: ClassVar[timedelta] = timedelta(minutes=30)
    #: How far behind the platform's "now" a window must end so no late write is missed.
    MIN_LAG: ClassVar[timedelta] = timedelta(minutes=3)
    SUPPORTS_STATUS_CHECK: ClassVar[bool] = False
    SUPPORTS_DECRYPT: ClassVar[bool] = False
    SUPPORTS_SERVER_TIME: ClassVar[bool] = False
    SUPPORTS_QUANTITY_PUSH: ClassVar[bool] = False
    OPTIONAL_OPERATIONS: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "SUPPORTS_STATUS_CHECK": "fetch_order_statuses",
            "SUPPORTS_DECRYPT": "decrypt",
            "SUPPORTS_SERVER_TIME": "server_time",
            "SUPPORTS_QUANTITY_PUSH": "update_quantity",
        }
    )

    @classmethod
    def capabilities(cls) -> dict[str, Any]:
        """Flags plus the window rules the sync engine must respect, in seconds."""
        return {
            **super().capabilities(),
            "max_window_seconds": int(cls.MAX_WINDOW.total_seconds()),
            "min_lag_seconds": int(cls.MIN_LAG.total_seconds()),
        }

    @classmethod
    def _declaration_problems(cls) -> list[str]:
        problems = []
        window, lag = cls.MAX_WINDOW, cls.MIN_LAG
        if not isinstance(window, timedelta) or window <= timedelta(0):
            problems.append(f"MAX_WINDOW must be a positive timedelta, not {window!r}")
        if not isinstance(lag, timedelta) or lag < timedelta(0):
            problems.append(f"MIN_LAG must be a timedelta >= 0, not {lag!r}")
        return problems

    # ---------------------------------------------------------------- authorisation

    @abstractmethod
    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """The page where a merchant grants orderhub access; the platform redirects to
        `redirect_uri` with a code and the opaque `state` (CSRF protection) unchanged."""

    @abstractmethod
    def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        """Trade the one-time authorisation `code` for tokens; a used or expired code raises
        `AuthenticationFailed`."""

    @abstractmethod
    def refresh_token(self, refresh_token: str) -> TokenGrant:
        """A fresh grant from a refresh token; raises `AuthenticationFailed` when the
        merchant must authorise again."""

    # ---------------------------------------------------------------- orders

    @abstractmethod
    def fetch_orders(self, access_token: str, window: OrderWindow, page: int) -> OrderPage:
        """Orders whose platform update time falls in `window` (never longer than
        `MAX_WINDOW`), page `page` counting from 1. Every order, whatever its status, so a
        refund or cancellation reaches core; core asks for pages until `has_next` is False.
        An order the plugin cannot map goes into `OrderPage.unreadable`, not an exception,
        so the rest of the window is stored (core quarantines it)."""

    @abstractmethod
    def order_detail(self, access_token: str, order_number: str) -> PlatformOrder:
        """One order, fresh from the platform; `NotFound` if it is not this shop's."""

    def fetch_order_statuses(
        self, access_token: str, order_numbers: Sequence[str]
    ) -> list[OrderStatusInfo]:
        """Current status and refund status of several orders, cheaper than details (used
        right before printing and shipping). Optional: `SUPPORTS_STATUS_CHECK`."""
        self.not_supported("order status checks")

    def decrypt(self, access_token: str, values: Sequence[EncryptedValue]) -> list[DecryptedValue]:
        """Plaintext for buyer ciphertext where the platform allows it (quota-limited, and
        for Pinduoduo only inside its cloud), one answer per value in order. Optional:
        `SUPPORTS_DECRYPT`."""
        self.not_supported("decrypting buyer data")

    def server_time(self) -> datetime:
        """The platform's clock (aware UTC) to calibrate `MIN_LAG` against. Optional:
        `SUPPORTS_SERVER_TIME`."""
        self.not_supported("reading the platform clock")

    def share_rate_limits(self, share: float) -> None:
        """This instance is one of several processes reading for one sync pass (`share` =
        1 / their number): a plugin that limits its call rate client-side scales its
        limits by `share`, so that together they stay within the platform's published
        limits. The default does nothing (no client-side limits to scale)."""

    # ---------------------------------------------------------------- shipping

    @abstractmethod
    def logistics_companies(self, access_token: str) -> list[LogisticsCompany]:
        """Carriers the platform accepts in `confirm_shipment` (core caches the list)."""

    @abstractmethod
    def confirm_shipment(self, access_token: str, shipment: ShipmentConfirmation) -> None:
        """Mark the order shipped on the platform. Must be idempotent: if the platform says
        the order already shipped with this tracking number, return normally; an order the
        platform refuses to ship (refunding, cancelled) raises `Conflict`."""

    # ---------------------------------------------------------------- stock

    def update_quantity(self, access_token: str, update: QuantityUpdate) -> None:
        """Set one platform SKU's stock to `update.quantity` (a full update). Optional:
        `SUPPORTS_QUANTITY_PUSH`; core pushes only when the org turned the push on, and
        skips platforms without it. Limit the call rate client-side (per shop): core
        calls it once per changed SKU. An unknown goods or SKU raises a non-retryable
        `ExternalError`; throttling and outages a retryable one (core tries again at
        its next pass)."""
        self.not_supported("pushing stock quantities")
