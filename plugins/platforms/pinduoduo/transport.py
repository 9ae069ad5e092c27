"""The gateway client: common parameters, signing, form encoding, timeouts, retries.

Only this module does HTTP. Every call is a form-encoded POST to the router with the
common parameters of pinduoduo.md §1.2, the business parameters rendered by `stringify`
(so the signed text is the sent text) and `sign`. The answer is either
`{"error_response": …}`, turned into a typed error by `errors.error_from_response`, or
`{"<success key>": {…}}`, whose key comes from `SUCCESS_KEYS` because the gateway does not
derive it from `type` consistently.

Retryable failures (rate limited, degraded, HTTP 5xx, timeouts, connection errors,
malformed JSON) are retried up to `max_attempts` times with exponential back-off and
jitter, each attempt freshly timestamped and signed and first cleared by the rate
limiter. Secrets and tokens never reach a log line or an error message.
"""

from __future__ import annotations

import logging
import random
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import orjson

from core import clock
from core.errors import ExternalError, OrderhubError
from plugins.platforms.pinduoduo.errors import error_from_response
from plugins.platforms.pinduoduo.ratelimit import limiter_for, shop_key
from plugins.platforms.pinduoduo.settings import PinduoduoSettings
from plugins.platforms.pinduoduo.sign import SIGN_PARAM, sign_params, stringify

log = logging.getLogger("orderhub.pinduoduo")

#: API name → key of its success envelope (pinduoduo.md §1.4).
SUCCESS_KEYS: Mapping[str, str] = {
    "pdd.pop.auth.token.create": "pop_auth_token_create_response",
    "pdd.pop.auth.token.refresh": "pop_auth_token_refresh_response",
    "pdd.order.number.list.increment.get": "order_sn_increment_get_response",
    "pdd.order.list.get": "order_list_get_response",
    "pdd.order.information.get": "order_info_get_response",
    "pdd.order.status.get": "order_status_get_response",
    "pdd.time.get": "time_get_response",
    "pdd.open.decrypt.batch": "open_decrypt_batch_response",
    "pdd.open.decrypt.mask.batch": "open_decrypt_mask_batch_response",
    "pdd.logistics.companies.get": "logistics_companies_get_response",
    "pdd.logistics.online.send": "logistics_online_send_response",
    "pdd.goods.quantity.update": "goods_quantity_update_response",
    "pdd.waybill.search": "pdd_waybill_search_response",
    "pdd.waybill.get": "pdd_waybill_get_response",
    "pdd.waybill.cancel": "pdd_waybill_cancel_response",
    "pdd.waybill.query.by.waybillcode": "pdd_waybill_query_by_waybillcode_response",
    "pdd.cloudprint.stdtemplates.get": "pdd_cloudprint_stdtemplates_get_response",
    "pdd.cloudprint.customares.get": "pdd_cloudprint_customares_get_response",
}
COMMON_PARAMS = frozenset(
    {"type", "client_id", "access_token", "timestamp", "data_type", "version", SIGN_PARAM}
)
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def parse_json(content: bytes) -> object:
    """A gateway answer as Python objects: orjson, about 4x the standard library on
    200 KB order pages. Numbers with a fraction become floats, as with `json`, whose
    shortest repr money parsing reads back exactly (`core.money.yuan_to_fen`)."""
    return orjson.loads(content)


class Limiter(Protocol):
    """What the transport needs from a rate limiter (see `ratelimit.RateLimiter`)."""

    def acquire(self, api: str, shop: str | None) -> float: ...


class GatewayTransport:
    """Signed calls to one gateway with one app's credentials.

    `http` (an `httpx.Client`), `sleep` and `rng` are injectable so tests can talk to the
    sandbox over real HTTP with tiny back-off; by default the transport owns an httpx
    client with the configured timeouts and closes it in `close()`.
    """

    def __init__(
        self,
        settings: PinduoduoSettings,
        limiter: Limiter,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.limiter = limiter
        self._owns_http = http is None
        self.http = http or httpx.Client(
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            headers={"Accept": "application/json"},
            # Like curl and Go: no Nagle delay between a request's head and its body.
            transport=httpx.HTTPTransport(
                socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
            ),
        )
        self._sleep = sleep
        self._rng = rng or random.Random()
        # Parsed once, not on every call (httpx parses a str URL per request).
        self._url: httpx.URL | str
        try:
            self._url = httpx.URL(settings.gateway_url)
        except httpx.InvalidURL:
            self._url = settings.gateway_url  # post() refuses it as it always did

    def close(self) -> None:
        if self._owns_http:
            self.http.close()

    # ------------------------------------------------------------------ requests

    def signed_params(
        self, api: str, params: Mapping[str, object], access_token: str | None
    ) -> dict[str, str]:
        """The exact form fields of one attempt: common + business parameters + `sign`.

        `None` business values are left out (the gateway's handling of empty parameters
        is undocumented); everything else goes through `stringify`.
        """
        clash = COMMON_PARAMS.intersection(params)
        if clash:
            raise ValueError(f"business parameters may not set {sorted(clash)}")
        fields = {
            "type": api,
            "client_id": self.settings.client_id,
            "timestamp": str(int(clock.now().timestamp())),
            "data_type": "JSON",
            "version": "V1",
        }
        if access_token:
            fields["access_token"] = access_token
        fields.update({k: stringify(v) for k, v in params.items() if v is not None})
        fields[SIGN_PARAM] = sign_params(fields, self.settings.client_secret)
        return fields

    def call(
        self,
        api: str,
        params: Mapping[str, object] | None = None,
        *,
        access_token: str | None = None,
        order_number: str | None = None,
    ) -> Mapping[str, Any]:
        """The success body of `api` (the object under its success key).

        Raises the typed errors of `errors.error_from_response`, or `ExternalError` for
        transport failures; retryable ones are retried first. `order_number` names the
        order in error messages when the call is about one order.
        """
        if api not in SUCCESS_KEYS:
            raise ValueError(f"unknown Pinduoduo API {api!r}: add its success key to SUCCESS_KEYS")
        params = params or {}
        shop = shop_key(access_token)
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            self.limiter.acquire(api, shop)
            try:
                return self._attempt(api, params, access_token, order_number)
            except ExternalError as exc:
                if not exc.retryable or attempt == attempts:
                    exc.details.setdefault("attempts", attempt)
                    raise
                delay = self.backoff(attempt)
                log.info(
                    "pinduoduo %s attempt %d/%d failed (%s); retrying in %.2f s",
                    api,
                    attempt,
                    attempts,
                    exc.message,
                    delay,
                )
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based): full range jitter over
        the upper half of an exponential step, so concurrent workers spread out."""
        step = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return step * (0.5 + 0.5 * self._rng.random())

    def _attempt(
        self,
        api: str,
        params: Mapping[str, object],
        access_token: str | None,
        order_number: str | None,
    ) -> Mapping[str, Any]:
        fields = self.signed_params(api, params, access_token)
        # The form encoded here, as httpx's `data=` would (urlencode of text values), but
        # without its per-call encoder: together with the parsed URL ≈ 0.2 ms a call.
        body = urlencode(fields).encode()
        started = time.perf_counter()
        try:
            response = self.http.post(self._url, content=body, headers=FORM_HEADERS)
        except httpx.TimeoutException as exc:
            raise self._transport_error(api, f"timed out ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise self._transport_error(
                api, f"could not be reached ({type(exc).__name__})"
            ) from None
        elapsed = time.perf_counter() - started
        log.debug("pinduoduo %s -> HTTP %d in %.3f s", api, response.status_code, elapsed)
        body = self._json(api, response)
        if isinstance(body, Mapping) and isinstance(body.get("error_response"), Mapping):
            raise error_from_response(api, body["error_response"], order_number=order_number)
        if response.status_code >= 500 or response.status_code == 429:
            raise self._transport_error(api, f"answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ExternalError(
                f"Pinduoduo {api} answered HTTP {response.status_code}",
                retryable=False,
                api=api,
                http_status=response.status_code,
            )
        key = SUCCESS_KEYS[api]
        if not isinstance(body, Mapping) or not isinstance(body.get(key), Mapping):
            found = sorted(body)[:5] if isinstance(body, Mapping) else type(body).__name__
            raise self._transport_error(api, f"answered without {key} (got {found})")
        return body[key]

    def _json(self, api: str, response: httpx.Response) -> object:
        try:
            return parse_json(response.content)
        except (ValueError, UnicodeDecodeError):
            status = response.status_code
            if 400 <= status < 500 and status != 429:
                raise ExternalError(
                    f"Pinduoduo {api} answered HTTP {status}",
                    retryable=False,
                    api=api,
                    http_status=status,
                ) from None
            # No snippet of the body: a broken token answer would leak part of a token.
            raise self._transport_error(
                api, f"answered HTTP {status} with malformed JSON ({len(response.content)} bytes)"
            ) from None

    def _transport_error(self, api: str, what: str) -> OrderhubError:
        return ExternalError(f"Pinduoduo gateway: {api} {what}", retryable=True, api=api)


def app_transport(
    settings: PinduoduoSettings,
    *,
    limiter: Limiter | None = None,
    http: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> GatewayTransport:
    """The transport of a plugin instance (the platform, the waybill carrier): the app's
    process-wide limiter unless `limiter` is given; `http` and `sleep` as for the class."""
    return GatewayTransport(settings, limiter or limiter_for(settings), http=http, sleep=sleep)
