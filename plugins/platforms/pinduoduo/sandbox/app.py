"""The Starlette app: the gateway router, the consent page and the control endpoints.

Faults wrap the router: an HTTP error page or a throttling `error_response` replaces the
answer before anything is processed; a `timeout` processes the request and then holds
the answer back (`slow`: for a quarter of that, so it still arrives); `malformed`
processes it and cuts the answer in half.
"""

from __future__ import annotations

import asyncio
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from plugins.platforms.pinduoduo.sandbox.apis import APIS
from plugins.platforms.pinduoduo.sandbox.config import SandboxConfig
from plugins.platforms.pinduoduo.sandbox.control import ROUTES as CONTROL_ROUTES
from plugins.platforms.pinduoduo.sandbox.errors import THROTTLE_MESSAGES, ApiError
from plugins.platforms.pinduoduo.sandbox.faults import CODE_KINDS, HTTP_KINDS
from plugins.platforms.pinduoduo.sandbox.gateway import Gateway, parse_body
from plugins.platforms.pinduoduo.sandbox.oauth_page import authorize
from plugins.platforms.pinduoduo.sandbox.state import Sandbox

_HTTP_PAGES = {
    "500": "500 Internal Server Error",
    "502": "502 Bad Gateway",
    "503": "503 Service Temporarily Unavailable",
}


def create_sandbox_app(
    config: SandboxConfig | None = None, *, sandbox: Sandbox | None = None
) -> Starlette:
    """The sandbox gateway as an ASGI app; its state is `app.state.sandbox`."""
    if sandbox is None:
        sandbox = Sandbox(config or SandboxConfig())
    gateway = Gateway(sandbox, APIS)

    async def router(request: Request) -> Response:
        body = await request.body()
        content_type = request.headers.get("content-type", "")
        try:
            params = parse_body(content_type, body)
        except ApiError as error:
            return _json(error.body(sandbox.request_id()))
        api_type = params.get("type", "")
        fault = sandbox.faults.roll(api_type)
        if fault in HTTP_KINDS:
            page = _HTTP_PAGES[fault]
            return HTMLResponse(f"<html><body><h1>{page}</h1></body></html>", int(fault))
        if fault in CODE_KINDS:
            code = int(fault)
            return _json(ApiError(code, THROTTLE_MESSAGES[code]).body(sandbox.request_id()))
        _, answer = gateway.dispatch(params)
        if fault == "malformed":
            answer = answer[: max(1, len(answer) // 2)]
        elif fault == "timeout":
            await _hold(sandbox, sandbox.faults.spec.delay)
        elif fault == "slow":
            await _hold(sandbox, sandbox.faults.spec.delay / 4)
        return _json(answer)

    routes = [
        Route("/api/router", router, methods=["POST"]),
        Route("/service-market/auth", authorize, methods=["GET"]),
        *CONTROL_ROUTES,
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app


def _json(body: bytes) -> Response:
    # Always HTTP 200 with the envelope, as every SDK expects (pinduoduo.md §1.4).
    return Response(body, media_type="application/json; charset=utf-8")


async def _hold(sandbox: Sandbox, seconds: float) -> None:
    """Wait `seconds`, but stop early when the server shuts down."""
    deadline = time.monotonic() + seconds
    while not sandbox.stopping.is_set() and time.monotonic() < deadline:
        await asyncio.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
