"""A scripted double of the Pinduoduo router for transport-level tests, over real HTTP.

The sandbox gateway is the full double (orders, tokens, paging); this one answers exactly
the sequence a test scripts — a 500, then malformed JSON, then success — which fault
injection by configuration cannot pin down call by call. Like the real router it checks
every request's signature (answering 20004 when it is wrong), and it records the form
fields it received so tests can assert on what went over the wire.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from plugins.platforms.pinduoduo.sign import sign_params

SECRET = "scripted-secret"
CLIENT_ID = "scripted-client"


@dataclass
class Answer:
    body: bytes
    status: int = 200
    delay: float = 0.0
    content_type: str = "application/json;charset=UTF-8"


class ScriptedGateway:
    """Answers queued per API (`answer(api, …)`) or for any API (`answer(None, …)`)."""

    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.requests: list[dict[str, str]] = []
        self._queues: dict[str | None, deque[Answer]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}/api/router"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(
        self,
        api: str | None,
        body: object,
        *,
        status: int = 200,
        delay: float = 0.0,
        content_type: str = "application/json;charset=UTF-8",
    ) -> None:
        """Queue one answer; `body` is JSON-encoded unless it is already bytes/str."""
        if isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        with self._lock:
            self._queues[api].append(Answer(data, status, delay, content_type))

    def calls(self, api: str) -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("type") == api]

    def _next(self, fields: dict[str, str]) -> Answer:
        with self._lock:
            self.requests.append(fields)
            if fields.get("sign") != sign_params(fields, self.secret):
                return Answer(_error(20004, "签名sign校验失败"))
            for key in (fields.get("type"), None):
                if self._queues[key]:
                    return self._queues[key].popleft()
        return Answer(_error(50000, f"scripted gateway: nothing queued for {fields.get('type')}"))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode("utf-8"), keep_blank_values=True)
                answer = gateway._next({k: v[0] for k, v in form.items()})
                if answer.delay:
                    time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.content_type)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client gave up (a timeout test)
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _error(code: int, message: str, sub_msg: str = "") -> bytes:
    body = {
        "error_response": {
            "error_code": code,
            "error_msg": message,
            "sub_msg": sub_msg,
            "sub_code": None,
            "request_id": f"scripted-{code}",
        }
    }
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def error_body(code: int, message: str, sub_msg: str = "") -> dict:
    return json.loads(_error(code, message, sub_msg))
