"""The webhook notifier against a real local HTTP server that checks the signature and
fails on demand."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core.contracts import AlertInfo, Notification
from core.errors import ConfigurationError, ExternalError
from plugins.notifiers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookNotifier

SECRET = "whsec-test-123"


class Receiver:
    """Records requests; answers `failures` with `status` first, then 204."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes, bool]] = []
        self.failures = 0
        self.status = 503
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: v for k, v in self.headers.items()}
                stamp = headers.get(TIMESTAMP_HEADER, "")
                mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
                valid = hmac.compare_digest(
                    headers.get(SIGNATURE_HEADER, ""), "sha256=" + mac.hexdigest()
                )
                receiver.requests.append((headers, body, valid))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(receiver.status)
                else:
                    self.send_response(204 if valid else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def alert_note() -> Notification:
    alert = AlertInfo(
        id=7,
        org_id=1,
        kind="order.refund_hold",
        severity="critical",
        message="订单 A1: 已拦截，请勿发货",
        created_at=datetime(2026, 11, 27, 2, 0, tzinfo=UTC),
    )
    return Notification(
        recipient="operators",
        subject="orderhub [acme] critical: order.refund_hold",
        body="[critical] order.refund_hold #7",
        org_id=1,
        kind="alert",
        alerts=(alert,),
    )


def notifier(url: str, **extra: object) -> WebhookNotifier:
    return WebhookNotifier({"url": url, "secret": SECRET, "backoff_seconds": 0.01, **extra})


def test_posts_signed_json(receiver: Receiver) -> None:
    notifier(receiver.url).send(alert_note())
    [(headers, body, valid)] = receiver.requests
    assert valid and headers["Content-Type"].startswith("application/json")
    data = json.loads(body)
    assert data["kind"] == "alert" and data["org_id"] == 1
    assert data["alerts"][0]["message"] == "订单 A1: 已拦截，请勿发货"
    assert data["alerts"][0]["created_at"] == "2026-11-27T02:00:00+00:00"


def test_retries_5xx_and_429_then_delivers(receiver: Receiver) -> None:
    receiver.failures = 2
    notifier(receiver.url).send(alert_note())
    assert len(receiver.requests) == 3 and all(v for _, _, v in receiver.requests)
    receiver.requests.clear()
    receiver.failures, receiver.status = 1, 429
    notifier(receiver.url).send(alert_note())
    assert len(receiver.requests) == 2


def test_gives_up_after_the_attempts_retryable(receiver: Receiver) -> None:
    receiver.failures = 10
    with pytest.raises(ExternalError, match="failed 3 time") as err:
        notifier(receiver.url, attempts=3).send(alert_note())
    assert err.value.retryable and len(receiver.requests) == 3
    assert SECRET not in str(err.value)


def test_a_4xx_is_permanent(receiver: Receiver) -> None:
    receiver.failures, receiver.status = 5, 400
    with pytest.raises(ExternalError, match="HTTP 400") as err:
        notifier(receiver.url).send(alert_note())
    assert not err.value.retryable and len(receiver.requests) == 1


def test_a_wrong_secret_is_refused_by_the_receiver(receiver: Receiver) -> None:
    wrong = WebhookNotifier({"url": receiver.url, "secret": "guess"})
    with pytest.raises(ExternalError, match="HTTP 401"):
        wrong.send(alert_note())


def test_connection_errors_are_retried(receiver: Receiver) -> None:
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    with pytest.raises(ExternalError, match="ConnectError") as err:
        notifier(url, attempts=2).send(alert_note())
    assert err.value.retryable


def test_missing_settings_name_the_key() -> None:
    with pytest.raises(ConfigurationError, match="set secret"):
        WebhookNotifier({"url": "http://127.0.0.1:9/x"}).send(alert_note())
    with pytest.raises(ConfigurationError, match="attempts must be"):
        notifier("http://127.0.0.1:9/x", attempts=99).send(alert_note())
