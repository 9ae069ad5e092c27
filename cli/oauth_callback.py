"""A one-shot loopback HTTP listener for the OAuth redirect (as `gcloud auth login` does).

It binds 127.0.0.1 on a free port, so the redirect URI is `http://127.0.0.1:PORT/callback`
(RFC 8252 §7.3: loopback redirects for native apps). Only a request whose `state` is the
one this run issued is handled; anything else gets a 400 and the listener keeps waiting, so
a stray or hostile local request cannot end or hijack the binding. The handler finishes
the binding *before* answering, so the browser page says whether it worked.

`follow_consent_page` is the other end, for `--follow` against the sandbox: it fetches the
authorisation URL and follows its redirects into the listener, as a browser would.
"""

from __future__ import annotations

import hmac
import html
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx

from core.errors import AuthenticationFailed, ExternalError

CALLBACK_PATH = "/callback"


@dataclass
class CallbackOutcome:
    """What the redirect brought: the binding's result, or the error to report."""

    result: object = None
    error: BaseException | None = None


class CallbackListener:
    """Serve requests in a background thread until one valid callback has been handled.

    `on_callback(code, state)` runs in the listener thread and returns `(result, text)`:
    `result` becomes `outcome.result`, `text` is shown to the merchant. An exception it
    raises is shown on the page and kept in `outcome.error`.
    """

    def __init__(
        self,
        on_callback: Callable[[str, str], tuple[object, str]],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._expected_state = ""
        self._on_callback = on_callback
        self.outcome = CallbackOutcome()
        self.done = threading.Event()
        self._server = HTTPServer((host, port), self._handler_class())
        self._server.timeout = 0.2
        self._thread = threading.Thread(target=self._serve, name="oauth-callback", daemon=True)
        self._stopped = threading.Event()

    @property
    def redirect_uri(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{CALLBACK_PATH}"

    def start(self, expected_state: str) -> None:
        """Begin serving; only callbacks carrying `expected_state` are handled."""
        self._expected_state = expected_state
        self._thread.start()

    def wait(self, timeout: float) -> bool:
        """True when a callback was handled within `timeout` seconds."""
        return self.done.wait(timeout)

    def close(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._server.server_close()

    def _serve(self) -> None:
        while not self._stopped.is_set() and not self.done.is_set():
            self._server.handle_request()

    def _handle(self, query: str) -> tuple[int, str]:
        """(HTTP status, page text) for one request to the callback path."""
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        state = params.get("state", "")
        if not self._expected_state or not hmac.compare_digest(
            state.encode(), self._expected_state.encode()
        ):
            return 400, "This request does not belong to the binding in progress; ignored."
        if params.get("error"):
            reason = params.get("error_description") or params["error"]
            self.outcome.error = AuthenticationFailed(f"the platform reported: {reason}")
            self.done.set()
            return 400, f"Authorisation was not granted: {reason}"
        try:
            result, text = self._on_callback(params.get("code", ""), state)
        except Exception as exc:  # shown to the merchant and re-raised by the CLI
            self.outcome.error = exc
            self.done.set()
            return 400, f"Binding failed: {exc}"
        self.outcome.result = result
        self.done.set()
        return 200, text

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != CALLBACK_PATH:
                    self._reply(404, "Not found.")
                    return
                status, text = listener._handle(parts.query)
                self._reply(status, text)

            def _reply(self, status: int, text: str) -> None:
                body = (
                    "<!doctype html><meta charset=utf-8><title>orderhub</title>"
                    f"<p>{html.escape(text)}</p><p>You can close this window.</p>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the query holds the one-time code."""

        return Handler


def follow_consent_page(url: str, listener: CallbackListener, sandbox_shop: str | None) -> None:
    """Fetch the authorisation URL and follow redirects into our own listener.

    The sandbox's consent page approves at once when the URL names a shop (`owner_id`);
    without `--sandbox-shop` it lists its demo shops, and the first approval link on the
    same host is followed. Nothing here would get past the real platform's login.
    """
    if sandbox_shop:
        url = f"{url}&{urlencode({'owner_id': sandbox_shop})}"
    try:
        with httpx.Client(follow_redirects=True, timeout=30) as client:
            response = client.get(url)
            link = None if listener.done.is_set() else _approval_link(url, response)
            if link is not None:
                response = client.get(link)
    except httpx.HTTPError as exc:
        raise ExternalError(
            f"--follow could not fetch the authorisation page: {exc}", retryable=True
        ) from exc
    if not listener.done.is_set():
        raise ExternalError(
            f"--follow: the authorisation page did not redirect back (it answered "
            f"{response.status_code} at {response.url}); --follow only works against the "
            "sandbox's auto-approve page — open the URL in a browser instead",
            retryable=False,
        )


def _approval_link(url: str, response: httpx.Response) -> str | None:
    """The first link on the same host that approves for a shop (`owner_id=`), if any."""
    origin = urlsplit(url)
    for href in re.findall(r'href="([^"]+)"', response.text):
        target = urlsplit(urljoin(str(response.url), html.unescape(href)))
        same_host = (target.scheme, target.netloc) == (origin.scheme, origin.netloc)
        if same_host and "owner_id" in parse_qs(target.query):
            return target.geturl()
    return None
