"""A shop's platform calls made with its access token, refreshed once when it expired.

Ship-back (`core.shipback.drain`) and printing (`core.printing.interception`) both ask the
platform about orders right before acting on them; this is the one place that holds the
token, retries a call once after a refresh (or takes the token another process refreshed),
and asks for live statuses in the platform's batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.app import App
from core.contracts.platform import OrderStatusInfo, SalesPlatform
from core.errors import AuthenticationFailed
from core.shops.tokens import access_token_for, refresh_tokens

#: Orders per status call (Pinduoduo's `pdd.order.status.get` takes up to 100).
STATUS_BATCH = 100
TOKEN_EXPIRED = "token_expired"


class ShopCalls:
    """One shop's platform calls with its token."""

    def __init__(self, app: App, shop_id: int, platform: SalesPlatform) -> None:
        self.app, self.shop_id, self.platform = app, shop_id, platform
        self.token = access_token_for(app, shop_id)

    def call(self, call: Callable[[str], Any]) -> Any:
        """`call(token)`; on an expired token, refresh it and call once more."""
        used = self.token
        try:
            return call(used)
        except AuthenticationFailed as exc:
            if getattr(exc, "code", "") != TOKEN_EXPIRED:
                raise
            shop = refresh_tokens(self.app, self.shop_id, stale_token=used)
            self.token = (shop.credentials or {}).get("access_token", "")
            return call(self.token)

    def statuses(self, numbers: list[str]) -> dict[str, OrderStatusInfo]:
        """Live status by order number ({} when the platform has no status check)."""
        if not getattr(self.platform, "SUPPORTS_STATUS_CHECK", False):
            return {}
        found: dict[str, OrderStatusInfo] = {}
        for start in range(0, len(numbers), STATUS_BATCH):
            chunk = numbers[start : start + STATUS_BATCH]
            infos = self.call(
                lambda token, chunk=chunk: self.platform.fetch_order_statuses(token, chunk)
            )
            found.update({i.order_number: i for i in infos})
        return found
