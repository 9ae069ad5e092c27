"""`PinduoduoWaybill`: Pinduoduo's e-waybill service (拼多多电子面单) as a `Carrier`.

It reuses the Pinduoduo platform plugin's client — settings, signing, transport with
retries and rate limits, and the gateway error table — so the waybill calls behave like
every other Pinduoduo call, and pointing `[platforms.pinduoduo] gateway_url` at the
sandbox is again the only difference between a test and production.

Instance settings (core passes them, see `core.waybills.carrier_accounts`): `platform` (the
`[platforms.pinduoduo]` app settings), `access_token` and `shop_id` (the shop's
`owner_id`, sent as `user_id`); optional `need_encrypt` (default true).

Pinduoduo answers a `pdd.waybill.get` with one error for the whole call when any of its
requests is bad. The contract wants one result per request, so a batch refused that way
(a non-retryable business error) is asked again one request at a time: the bad one gets
its error, the others their numbers. Retrying is safe because the request id is the
`object_id`, and Pinduoduo returns the same waybill for an `object_id` it has issued.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.carrier import (
    Carrier,
    Waybill,
    WaybillRef,
    WaybillRequest,
    WaybillResult,
    WaybillSubscription,
)
from core.errors import ConfigurationError, ExternalError, ValidationError
from plugins.carriers.manual.patterns import COMMUNITY_PATTERNS
from plugins.carriers.pinduoduo_waybill import mapping
from plugins.platforms.pinduoduo.settings import PinduoduoSettings
from plugins.platforms.pinduoduo.transport import Limiter, app_transport

SEARCH = "pdd.waybill.search"
GET = "pdd.waybill.get"
CANCEL = "pdd.waybill.cancel"
QUERY = "pdd.waybill.query.by.waybillcode"
TEMPLATES = "pdd.cloudprint.stdtemplates.get"


class PinduoduoWaybill(Carrier):
    """E-waybills from the shop's Pinduoduo waybill subscriptions (wp_code YTO, ZTO, …)."""

    name: ClassVar[str] = "pinduoduo-waybill"
    MAX_BATCH: ClassVar[int] = 10
    TRACKING_NUMBER_PATTERNS: ClassVar[Mapping[str, str]] = COMMUNITY_PATTERNS
    SUPPORTS_CANCEL: ClassVar[bool] = True
    SUPPORTS_REPRINT_QUERY: ClassVar[bool] = True

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
        platform = self.settings.get("platform")
        if not isinstance(platform, Mapping) or not platform:
            raise ConfigurationError(
                "the pinduoduo-waybill carrier needs the Pinduoduo app settings "
                "([platforms.pinduoduo] client_id, client_secret, gateway_url)"
            )
        self.config = PinduoduoSettings.from_mapping(platform)
        self.access_token = str(self.settings.get("access_token") or "")
        self.user_id = str(self.settings.get("shop_id") or "")
        if not self.access_token or not self.user_id:
            raise ConfigurationError(
                "a pinduoduo-waybill account must belong to an authorised Pinduoduo shop "
                "(no access token or shop id was given)"
            )
        self.need_encrypt = str(self.settings.get("need_encrypt", True)).lower() != "false"
        self.transport = app_transport(self.config, limiter=limiter, http=http, sleep=sleep)
        self._templates: dict[str, list[dict[str, Any]]] | None = None

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> PinduoduoWaybill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, api: str, params: Mapping[str, object] | None = None) -> Mapping[str, Any]:
        return self.transport.call(api, params or {}, access_token=self.access_token)

    # ---------------------------------------------------------------- contract

    def subscriptions(self) -> list[WaybillSubscription]:
        """`pdd.waybill.search`: every subscribed carrier's branches, balances, addresses."""
        return mapping.subscriptions_from(self._call(SEARCH))

    def allocate(self, requests: Sequence[WaybillRequest]) -> list[WaybillResult]:
        """`pdd.waybill.get` for ≤ 10 requests of one carrier and sender."""
        if not requests:
            return []
        if len(requests) > self.MAX_BATCH:
            raise ValidationError(f"at most {self.MAX_BATCH} waybills per pdd.waybill.get call")
        first = requests[0]
        if any(r.carrier_code != first.carrier_code or r.sender != first.sender for r in requests):
            raise ValidationError("one pdd.waybill.get call takes one carrier and one sender")
        template = first.template or self.default_template(first.carrier_code)
        return self._allocate(list(requests), template)

    def _allocate(self, requests: list[WaybillRequest], template: str) -> list[WaybillResult]:
        try:
            payload = mapping.apply_request(
                requests, template, self.user_id, need_encrypt=self.need_encrypt
            )
        except ValidationError as exc:
            if len(requests) == 1:
                return [WaybillResult(requests[0].request_id, error=str(exc))]
            return [r for request in requests for r in self._allocate([request], template)]
        try:
            body = self._call(GET, {"param_waybill_cloud_print_apply_new_request": payload})
        except ExternalError as exc:
            if exc.retryable or exc.details.get("kind") == "configuration":
                raise
            if len(requests) == 1:
                return [WaybillResult(requests[0].request_id, error=str(exc))]
            return [r for request in requests for r in self._allocate([request], template)]
        return mapping.results_from_modules(requests, body)

    def cancel_waybill(self, waybill: WaybillRef) -> None:
        """`pdd.waybill.cancel`; cancelling an already cancelled waybill succeeds."""
        body = self._call(CANCEL, {"wp_code": waybill.carrier_code, "waybill_code": waybill.number})
        if body.get("cancel_result") not in (True, "true", 1):
            raise ExternalError(
                f"Pinduoduo did not cancel waybill {waybill.number} "
                f"(cancel_result {body.get('cancel_result')!r})",
                retryable=False,
            )

    def query_waybills(self, waybills: Sequence[WaybillRef]) -> list[Waybill]:
        """`pdd.waybill.query.by.waybillcode`, ≤ 10 per call: print data for a reprint."""
        found: list[Waybill] = []
        refs = list(waybills)
        for start in range(0, len(refs), self.MAX_BATCH):
            part = refs[start : start + self.MAX_BATCH]
            body = self._call(QUERY, {"param_list": mapping.query_params(part)})
            found += mapping.waybills_from_query(part, body)
        return found

    # ---------------------------------------------------------------- templates

    def standard_templates(self, wp_code: str = "") -> dict[str, list[dict[str, Any]]]:
        """`pdd.cloudprint.stdtemplates.get`: wp_code → standard templates (id, name,
        url, waybill_type). Fetched once per instance."""
        if self._templates is None:
            self._templates = mapping.standard_templates_from(self._call(TEMPLATES))
        if wp_code:
            return {wp_code: self._templates.get(wp_code, [])}
        return dict(self._templates)

    def default_template(self, wp_code: str) -> str:
        """The carrier's one-part standard template URL, for accounts that name none."""
        url = mapping.default_template(self.standard_templates(wp_code)[wp_code])
        if not url:
            raise ExternalError(
                f"Pinduoduo lists no standard template for {wp_code}; set the account's "
                "template URL",
                retryable=False,
                kind="configuration",
            )
        return url
