"""The built-in `webhook` notifier: POSTs each notification as JSON, signed, with retries.

Settings (`[notifiers.webhook]`): `url` (required), `secret` (required: the HMAC key the
receiver shares), `timeout_seconds` (10), `attempts` (4), `backoff_seconds` (0.5,
doubled after each attempt).

Signature: `X-Orderhub-Timestamp` is the Unix time of the attempt and
`X-Orderhub-Signature` is `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + body).
The receiver recomputes it over the raw body and refuses stale timestamps (say, more
than five minutes old), which stops a captured request being replayed.

Retries: a connection error, a timeout, a 5xx or a 429 (after its `Retry-After`, capped)
is tried again up to `attempts` times in all; any other 4xx is a permanent failure (the
receiver refuses this request; sending it again will not help). The secret is never
logged or put in an error, and the URL is shown masked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Any

import httpx

from core.clock import now
from core.contracts.notifier import Notification, Notifier
from core.errors import ConfigurationError, ExternalError
from core.hookspecs import hookimpl
from core.masking import mask_dsn

log = logging.getLogger("orderhub.notify.webhook")

SIGNATURE_HEADER = "X-Orderhub-Signature"
TIMESTAMP_HEADER = "X-Orderhub-Timestamp"
MAX_RETRY_AFTER = 30.0


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, timestamp + "." + body): what receivers check."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def payload(notification: Notification) -> dict[str, Any]:
    """The JSON the webhook receives."""
    return {
        "kind": notification.kind,
        "org_id": notification.org_id,
        "recipient": notification.recipient,
        "subject": notification.subject,
        "body": notification.body,
        "alerts": [
            {
                "id": a.id,
                "org_id": a.org_id,
                "kind": a.kind,
                "severity": a.severity,
                "message": a.message,
                "created_at": a.created_at.isoformat(),
            }
            for a in notification.alerts
        ],
        "sent_at": now().isoformat(),
    }


class WebhookNotifier(Notifier):
    """Signed JSON to one URL (a chat bridge, a paging service, your own endpoint)."""

    name = "webhook"
    SUPPORTS_DIRECT_DELIVERY = False  # it reaches a system, which may or may not pass it on

    def send(self, notification: Notification) -> None:
        url, secret = self._required("url"), self._required("secret")
        timeout = self._number("timeout_seconds", 10.0, 0.1, 300)
        attempts = int(self._number("attempts", 4, 1, 10))
        backoff = self._number("backoff_seconds", 0.5, 0, 60)
        body = json.dumps(payload(notification), ensure_ascii=False).encode()
        shown = mask_dsn(url)
        problem = ""
        with httpx.Client(timeout=timeout) as client:
            for attempt in range(1, attempts + 1):
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    TIMESTAMP_HEADER: timestamp,
                    SIGNATURE_HEADER: signature(secret, timestamp, body),
                }
                wait = backoff * 2 ** (attempt - 1)
                try:
                    response = client.post(url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    problem = f"{type(exc).__name__}"
                else:
                    if response.status_code < 300:
                        return
                    problem = f"HTTP {response.status_code}"
                    if response.status_code != 429 and response.status_code < 500:
                        raise ExternalError(
                            f"webhook {shown} refused the {notification.kind} notification: "
                            f"{problem}",
                            retryable=False,
                        )
                    wait = max(wait, _retry_after(response))
                if attempt < attempts:
                    log.warning(
                        "webhook %s: %s (attempt %d of %d); again in %.1f s",
                        shown,
                        problem,
                        attempt,
                        attempts,
                        wait,
                    )
                    time.sleep(wait)
        raise ExternalError(
            f"webhook {shown} failed {attempts} time(s), last: {problem}", retryable=True
        )

    def _required(self, key: str) -> str:
        value = self.settings.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigurationError(
                f"webhook notifier: set {key} in [notifiers.webhook] "
                f"(or ORDERHUB_NOTIFIERS__WEBHOOK__{key.upper()})"
            )
        return value.strip()

    def _number(self, key: str, default: float, low: float, high: float) -> float:
        raw = self.settings.get(key, default)
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = float("nan")
        if not low <= value <= high:
            raise ConfigurationError(
                f"webhook notifier: {key} must be a number from {low:g} to {high:g}, not {raw!r}"
            )
        return value


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(MAX_RETRY_AFTER, max(0.0, float(response.headers.get("Retry-After", 0))))
    except ValueError:
        return 0.0


@hookimpl
def register_notifiers() -> list[type[Notifier]]:
    return [WebhookNotifier]
