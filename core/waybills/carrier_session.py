"""Carrier plugin instances for carrier accounts: which class, which settings, and a
retry after refreshing an expired shop token.

Settings a carrier instance receives (the contract between core and carrier plugins):

- the account's `settings` (plain options) and decrypted `credentials` (direct APIs);
- `platform`: the platform app's settings (`[platforms.NAME]`), when the account has one;
- `access_token` and `shop_id` (the platform shop id, PDD `owner_id`), when it has a shop;
- `typed_numbers`: request id → number typed or scanned by the operator (manual carriers).

A call that fails with an expired shop token (`AuthenticationFailed` with code
`token_expired`) is retried once after refreshing the token, as the sync engine does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from core.app import App
from core.contracts.carrier import Carrier
from core.errors import AuthenticationFailed, ValidationError
from core.models import CarrierAccount, Shop
from core.shops.tokens import access_token_for, refresh_tokens

T = TypeVar("T")


def carrier_class(app: App, name: str) -> type[Carrier]:
    classes = app.plugins.carriers()
    cls = classes.get(name)
    if cls is None:
        known = ", ".join(sorted(classes)) or "none"
        raise ValidationError(
            f"unknown carrier plugin {name!r}; loaded carriers: {known} (see `orderhub plugins`)",
            field="carrier",
        )
    return cls


# ---------------------------------------------------------------- carrier instances


@dataclass(frozen=True)
class CarrierTarget:
    """What is needed to build a carrier instance: plugin, platform, shop, own settings."""

    carrier: str
    platform: str = ""
    shop_id: int | None = None
    platform_shop_id: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)
    credentials: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, row: CarrierAccount) -> CarrierTarget:
        shop = session.get(Shop, row.shop_id) if row.shop_id else None
        return cls(
            carrier=row.carrier,
            platform=row.platform,
            shop_id=row.shop_id,
            platform_shop_id=shop.platform_shop_id if shop else "",
            settings=dict(row.settings or {}),
            credentials=dict(row.credentials or {}),
        )


class CarrierSession:
    """A carrier instance for one target, rebuilt with a fresh token when the shop's
    token expired mid-call (`call` retries once). Close it to release connections."""

    def __init__(
        self, app: App, target: CarrierTarget, extra: Mapping[str, Any] | None = None
    ) -> None:
        self.app, self.target, self.extra = app, target, dict(extra or {})
        self.cls = carrier_class(app, target.carrier)
        self._instance: Carrier | None = None
        self._token = ""

    def _build(self) -> Carrier:
        values: dict[str, Any] = {**self.target.settings, **self.target.credentials}
        if self.target.platform:
            values["platform"] = dict(self.app.settings.platform_settings(self.target.platform))
        if self.target.shop_id is not None:
            self._token = access_token_for(self.app, self.target.shop_id)
            values["access_token"] = self._token
            values["shop_id"] = self.target.platform_shop_id
        values.update(self.extra)
        return self.cls(values, self.app.plugins.services)

    @property
    def instance(self) -> Carrier:
        if self._instance is None:
            self._instance = self._build()
        return self._instance

    def call(self, fn: Callable[[Carrier], T]) -> T:
        try:
            return fn(self.instance)
        except AuthenticationFailed as exc:
            if exc.code != "token_expired" or self.target.shop_id is None:
                raise
            refresh_tokens(self.app, self.target.shop_id, stale_token=self._token)
            self.close()
            return fn(self.instance)

    def close(self) -> None:
        instance, self._instance = self._instance, None
        close = getattr(instance, "close", None)
        if callable(close):
            close()


@contextmanager
def carrier_session(
    app: App, target: CarrierTarget, extra: Mapping[str, Any] | None = None
) -> Iterator[CarrierSession]:
    session = CarrierSession(app, target, extra)
    try:
        yield session
    finally:
        session.close()
