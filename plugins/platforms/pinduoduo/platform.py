"""`PinduoduoPlatform`: the `SalesPlatform` contract over the signed gateway.

This class only decides *which* calls to make and how to read their answers: signing,
retries and rate limits live in `transport`/`ratelimit`, payload reading in `mapping`,
OAuth in `oauth`. Pointing `gateway_url`/`auth_url` at the sandbox is all a test needs.

Every method that takes `access_token` raises `errors.TokenExpired` (an
`AuthenticationFailed` with code "token_expired") when the gateway says the token
expired (10019): core's sync engine then refreshes the shop's token and retries.
Any other `AuthenticationFailed` means the merchant must authorise again.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import httpx

from core import clock
from core.contracts import (
    DecryptedValue,
    EncryptedValue,
    LogisticsCompany,
    OrderPage,
    OrderStatus,
    OrderStatusInfo,
    OrderWindow,
    PlatformOrder,
    QuantityUpdate,
    RefundStatus,
    SalesPlatform,
    ShipmentConfirmation,
    TokenGrant,
    UnreadableOrder,
)
from core.contracts.base import NO_SETTINGS, PluginServices
from core.errors import Conflict, ExternalError, NotFound, ValidationError
from plugins.platforms.pinduoduo import mapping, oauth, quantity, small_answers
from plugins.platforms.pinduoduo.errors import is_order_not_found
from plugins.platforms.pinduoduo.ratelimit import limiter_for
from plugins.platforms.pinduoduo.settings import PinduoduoSettings
from plugins.platforms.pinduoduo.transport import Limiter, app_transport

INCREMENT = "pdd.order.number.list.increment.get"
DETAIL = "pdd.order.information.get"
STATUS = "pdd.order.status.get"
TIME = "pdd.time.get"
COMPANIES = "pdd.logistics.companies.get"
SEND = "pdd.logistics.online.send"
DECRYPT = "pdd.open.decrypt.batch"

#: `pdd.order.number.list.increment.get` filters: every status, every refund state, lottery
#: orders included, so a refund or cancellation reaches core like any other update.
ALL_ORDER_STATUSES, ALL_REFUND_STATUSES, ALL_LUCKY_FLAGS = 5, 5, 0
BATCH = 100  # page size, status and decrypt batch sizes (pinduoduo.md §8)


class PinduoduoPlatform(SalesPlatform):
    """Pinduoduo (拼多多) shops through the open platform gateway.

    Settings: see `settings.PinduoduoSettings` (`client_id`, `client_secret`,
    `gateway_url`, `auth_url`, timeouts, retries, rate limits). `http`, `limiter` and
    `sleep` are for tests and benchmarks; core passes only `(settings, services)`.
    """

    name: ClassVar[str] = "pinduoduo"
    PAGE_SIZE: ClassVar[int] = BATCH
    SUPPORTS_STATUS_CHECK: ClassVar[bool] = True
    SUPPORTS_DECRYPT: ClassVar[bool] = True
    SUPPORTS_SERVER_TIME: ClassVar[bool] = True
    SUPPORTS_QUANTITY_PUSH: ClassVar[bool] = True

    def __init__(
        self,
        settings: Mapping[str, Any] = NO_SETTINGS,
        services: PluginServices | None = None,
        *,
        http: httpx.Client | None = None,
        limiter: Limiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(settings, services)
        self.config = PinduoduoSettings.from_mapping(self.settings)
        self.transport = app_transport(self.config, limiter=limiter, http=http, sleep=sleep)

    def share_rate_limits(self, share: float) -> None:
        """One of several processes reading for one sync pass: each keeps `share` of the
        published limits (pinduoduo.md §8), so together they stay within them."""
        if 0 < share < 1:
            self.transport.limiter = limiter_for(self.config, share)

    def close(self) -> None:
        """Close the HTTP connections this instance opened."""
        self.transport.close()

    def __enter__(self) -> PinduoduoPlatform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- authorisation

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        """`auth_url` with response_type=code, client_id, redirect_uri, state, view=web."""
        return oauth.authorize_url(self.config.auth_url, self.config.client_id, redirect_uri, state)

    def exchange_code(self, code: str, redirect_uri: str) -> TokenGrant:
        """`pdd.pop.auth.token.create`. Pinduoduo does not take `redirect_uri` here (it
        was checked when the code was issued); a used or expired code raises
        `AuthenticationFailed`."""
        return oauth.create_token(self.transport, code, clock.now())

    def refresh_token(self, refresh_token: str) -> TokenGrant:
        """`pdd.pop.auth.token.refresh`; a refused refresh token raises
        `AuthenticationFailed` (never `TokenExpired`: the merchant must authorise again)."""
        return oauth.refresh_token(self.transport, refresh_token, clock.now())

    # ---------------------------------------------------------------- orders

    def fetch_orders(
        self,
        access_token: str,
        window: OrderWindow,
        page: int,
        *,
        with_total: bool | None = None,
    ) -> OrderPage:
        """One page (100 orders) of `pdd.order.number.list.increment.get` for `window`.

        Paging as the notes advise, with core choosing the order: by default page 1 is
        asked with `use_has_next=false`, so its `OrderPage.total` is the window's order
        count (`page_count(total)` gives the last page), and other pages with
        `use_has_next=true` (no count, cheaper). `with_total` forces either form.
        `has_next` is computed from the total when known, else taken from the gateway.

        The window is sent as whole Unix seconds, both ends rounded down: Pinduoduo's
        update times are whole seconds, so nothing in `[start, end)` is lost, and the
        next window starts where this one ended (an order on the boundary may appear in
        both, which core's upsert absorbs). Windows longer than 30 minutes raise
        `ValidationError` before any call. An order the mapping refuses goes into
        `OrderPage.unreadable` with the mapping's error (naming the order and field) and
        its payload; one without an order number still fails the page, since nothing
        could name it again. Raises `TokenExpired` on 10019.
        """
        if page < 1:
            raise ValidationError(f"pages are numbered from 1, got {page}", field="page")
        if window.duration > self.MAX_WINDOW:
            raise ValidationError(
                f"Pinduoduo order windows may span at most "
                f"{int(self.MAX_WINDOW.total_seconds() // 60)} minutes; "
                f"{window.start.isoformat()} – {window.end.isoformat()} spans {window.duration}",
                field="window",
            )
        start, end = math.floor(window.start.timestamp()), math.floor(window.end.timestamp())
        end = max(end, start + 1)  # a sub-second window still needs start < end
        with_total = page == 1 if with_total is None else with_total
        body = self.transport.call(
            INCREMENT,
            {
                "start_updated_at": start,
                "end_updated_at": end,
                "order_status": ALL_ORDER_STATUSES,
                "refund_status": ALL_REFUND_STATUSES,
                "is_lucky_flag": ALL_LUCKY_FLAGS,
                "page": page,
                "page_size": self.PAGE_SIZE,
                "use_has_next": not with_total,
            },
            access_token=access_token,
        )
        orders = body.get("order_sn_list") or []
        if not isinstance(orders, list):
            raise ExternalError(
                f"Pinduoduo {INCREMENT}: order_sn_list is not a list", retryable=False
            )
        total = _count(body.get("total_count")) if with_total else None
        if total is not None:
            has_next = page * self.PAGE_SIZE < total
        elif isinstance(body.get("has_next"), bool):
            has_next = body["has_next"]
        else:
            has_next = len(orders) >= self.PAGE_SIZE
        try:
            mapped = tuple([mapping.order_from_payload(order) for order in orders])
        except ValidationError:  # rare: map the page again one order at a time
            return _page_with_unreadable(orders, page=page, has_next=has_next, total=total)
        return OrderPage(orders=mapped, page=page, has_next=has_next, total=total)

    @classmethod
    def page_count(cls, total: int) -> int:
        """How many pages a window with `total` orders has (0 for an empty window)."""
        return math.ceil(total / cls.PAGE_SIZE)

    def order_detail(self, access_token: str, order_number: str) -> PlatformOrder:
        """`pdd.order.information.get`; "订单不属于当前店铺或订单不存在" → `NotFound`.
        Raises `TokenExpired` on 10019."""
        return mapping.order_from_payload(self._order_info(access_token, order_number))

    def _order_info(self, access_token: str, order_number: str) -> Mapping[str, Any]:
        try:
            body = self.transport.call(
                DETAIL,
                {"order_sn": order_number},
                access_token=access_token,
                order_number=order_number,
            )
        except ExternalError as exc:
            if not exc.retryable and is_order_not_found(exc):
                raise NotFound(
                    f"Pinduoduo order {order_number} does not exist or is not this shop's",
                    order_number=order_number,
                    request_id=exc.details.get("request_id", ""),
                ) from None
            raise
        info = body.get("order_info")
        if not isinstance(info, Mapping):
            raise NotFound(
                f"Pinduoduo returned no order_info for order {order_number}",
                order_number=order_number,
            )
        return info

    def fetch_order_statuses(
        self, access_token: str, order_numbers: Sequence[str]
    ) -> list[OrderStatusInfo]:
        """`pdd.order.status.get` in batches of 100, answers in the order asked (numbers
        the platform does not answer for are left out). Status or refund status 0 (异常)
        → UNKNOWN. Raises `TokenExpired` on 10019."""
        wanted = list(dict.fromkeys(order_numbers))
        found: dict[str, OrderStatusInfo] = {}
        for chunk in _chunks(wanted, BATCH):
            body = self.transport.call(
                STATUS, {"order_sns": ",".join(chunk)}, access_token=access_token
            )
            for item in body.get("order_status_list") or []:
                if isinstance(item, Mapping):
                    info = small_answers.status_info_from_payload(item)
                    found[info.order_number] = info
        return [found[number] for number in wanted if number in found]

    def server_time(self) -> datetime:
        """`pdd.time.get` (Beijing time text) as aware UTC; an app-level call."""
        body = self.transport.call(TIME)
        value = mapping.beijing_time(body.get("time"), "time", "-")
        if value is None:
            raise ExternalError(f"Pinduoduo {TIME} answered without a time", retryable=True)
        return value

    def decrypt(self, access_token: str, values: Sequence[EncryptedValue]) -> list[DecryptedValue]:
        """`pdd.open.decrypt.batch`, ≤ 100 values per call, one answer per value in
        order; a per-item failure is `DecryptedValue.error`, not an exception. Only works
        inside 多多云 on the real platform. Raises `TokenExpired` on 10019."""
        answers: dict[tuple[str, str], DecryptedValue] = {}
        pairs = [(v.tag, v.ciphertext) for v in values]
        for chunk in _chunks(list(dict.fromkeys(pairs)), BATCH):
            body = self.transport.call(
                DECRYPT,
                {"data_list": small_answers.decrypt_request(chunk)},
                access_token=access_token,
            )
            for item in body.get("data_decrypt_list") or []:
                if isinstance(item, Mapping):
                    answer = small_answers.decrypted_from_payload(item)
                    answers[(answer.tag, answer.ciphertext)] = answer
        missing = "Pinduoduo returned no answer for this value"
        return [answers.get(pair) or DecryptedValue(*pair, error=missing) for pair in pairs]

    # ---------------------------------------------------------------- shipping

    def logistics_companies(self, access_token: str) -> list[LogisticsCompany]:
        """`pdd.logistics.companies.get` (app-level: sent without the token; core caches
        the list, the API allows 1200 calls per 10 s for the whole app)."""
        body = self.transport.call(COMPANIES)
        items = body.get("logistics_companies") or []
        return [
            small_answers.logistics_company_from_payload(i) for i in items if isinstance(i, Mapping)
        ]

    def confirm_shipment(self, access_token: str, shipment: ShipmentConfirmation) -> None:
        """`pdd.logistics.online.send` (redelivery_type 1 first shipment, 2 change).

        Idempotent: when the gateway refuses, the order is read back; already carrying
        this tracking number → success (a retried or repeated confirmation). A state that
        forbids the shipment (shipped with another number, in after-sale, refunded,
        cancelled, not 成交, under risk review, on hold; for a change: not 已发货待签收) →
        `Conflict` carrying the gateway's reason. Other refusals (unknown carrier, bad
        tracking number) stay a non-retryable `ExternalError` naming the order; an order
        that is not this shop's → `NotFound`; throttling and outages stay retryable.
        Raises `TokenExpired` on 10019.
        """
        number = shipment.order_number
        params = {
            "order_sn": number,
            "logistics_id": shipment.logistics_company_id,
            "tracking_number": shipment.tracking_number,
            "redelivery_type": 2 if shipment.redelivery else 1,
        }
        try:
            body = self.transport.call(SEND, params, access_token=access_token, order_number=number)
        except ExternalError as exc:
            if exc.retryable:
                raise
            self._settle_refused_shipment(access_token, shipment, exc)
            return
        if body.get("is_success") not in (True, "true", 1):
            refusal = ExternalError(
                f"Pinduoduo {SEND} failed for order {number}: is_success is "
                f"{body.get('is_success')!r}",
                retryable=False,
                order_number=number,
            )
            self._settle_refused_shipment(access_token, shipment, refusal)

    def update_quantity(self, access_token: str, update: QuantityUpdate) -> None:
        """`pdd.goods.quantity.update` with update_type 1 (full); see `quantity`."""
        quantity.update_quantity(self.transport, access_token, update)

    def _settle_refused_shipment(
        self, access_token: str, shipment: ShipmentConfirmation, refusal: ExternalError
    ) -> None:
        """Read the order back to tell a repeat (success) from a state conflict from a
        plain refusal (bad carrier or tracking number: re-raised as it came)."""
        number = shipment.order_number
        info = self._order_info(access_token, number)
        if shipment.tracking_number.strip() in _tracking_numbers(info):
            return
        order = mapping.order_from_payload(info)
        blocker = _shipping_blocker(order, info, redelivery=shipment.redelivery)
        if blocker:
            action = "change the shipment of" if shipment.redelivery else "ship"
            raise Conflict(
                f"Pinduoduo will not {action} order {number} ({blocker}): {refusal.message}",
                platform_status=order.platform_status,
                **{**refusal.details, "order_number": number},
            )
        raise refusal


def _page_with_unreadable(
    payloads: list[Any], *, page: int, has_next: bool, total: int | None
) -> OrderPage:
    """The page with each order the mapping refuses set aside as an `UnreadableOrder`."""
    mapped: list[PlatformOrder] = []
    unreadable: list[UnreadableOrder] = []
    for payload in payloads:
        try:
            mapped.append(mapping.order_from_payload(payload))
        except ValidationError as exc:
            number = mapping.order_number_of(payload)  # none: the page is broken, raise
            unreadable.append(UnreadableOrder(number, exc.message, dict(payload)))
    return OrderPage(
        orders=tuple(mapped), page=page, has_next=has_next, total=total, unreadable=unreadable
    )


def _shipping_blocker(order: PlatformOrder, info: Mapping[str, Any], *, redelivery: bool) -> str:
    """Why the order's state forbids this shipment ("" when the state allows it)."""
    if redelivery:
        return "" if order.status is OrderStatus.SHIPPED else order.platform_status
    if order.status is not OrderStatus.AWAITING_SHIPMENT:
        return order.platform_status
    if order.refund_status is not RefundStatus.NONE:
        return order.platform_status
    if str(info.get("confirm_status", 1)) != "1":
        return "未成交"
    if mapping.RISK_CONTROL_TAG in order.tags:
        return "风控审核中"
    if "ship_hold" in order.tags:
        return "暂停发货"
    return ""


def _tracking_numbers(info: Mapping[str, Any]) -> set[str]:
    """Every tracking number the order already carries (main and extra deliveries)."""
    numbers = {str(info.get("tracking_number") or "").strip()}
    for list_name in ("extra_delivery_list", "resend_delivery_list"):
        for entry in info.get(list_name) or []:
            if isinstance(entry, Mapping):
                numbers.add(str(entry.get("tracking_number") or "").strip())
    numbers.discard("")
    return numbers


def _count(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
