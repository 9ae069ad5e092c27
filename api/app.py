"""`create_app(settings)`: the Starlette application of the HTTP API.

The core `App` is opened in the lifespan (`core.startup.open_app`) and closed on shutdown.
Every request runs the same steps, in `_endpoint`: size limit (413), rate limit per
bearer token (429 with `Retry-After`), authentication to a core `Actor` (401), decoding
and validation of query and body with msgspec (422 naming the field), the handler (a call
to a core service), and the response encoded by msgspec. Every error is problem+json
(`api.problems`). CORS is off: no CORS middleware is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

import msgspec
from starlette.applications import Starlette
from starlette.concurrency import iterate_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from api import idempotency, problems
from api.contract import (
    Call,
    Encoded,
    EventStream,
    Operation,
    Raw,
    Registry,
    decode_body,
    decode_path,
    decode_query,
    encode_json,
    openapi,
)
from api.ratelimit import RateLimiter
from api.routes import REGISTRY
from core import __version__
from core.accounts import auth
from core.config import Settings
from core.errors import AuthenticationFailed, OrderhubError
from core.startup import open_app

JSON = "application/json"


class _TooLarge(Exception):
    pass


def create_app(settings: Settings, registry: Registry = REGISTRY) -> Starlette:
    """The API over a core App opened from `settings` when the server starts."""
    limiter = RateLimiter(settings.api.rate_per_minute, settings.api.burst)
    document = openapi(registry, title="orderhub", version=__version__)
    state: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        core = open_app(settings, sqlite_mmap_mib=settings.api.sqlite_mmap_mib)
        state["core"] = core
        # Handlers run in a pool of `api.threads` threads, the others wait their turn in its
        # queue; an event stream's pulls do not count (a long stream must not hold a
        # request's place). The executor's hand-off (a C queue, one wake-up) costs less CPU
        # than anyio's worker threads under a capacity limiter (≈ 8 % of a search request,
        # bench/README.md).
        state["threads"] = ThreadPoolExecutor(settings.api.threads, "orderhub-api")
        app.state.core = core
        try:
            yield
        finally:
            state["threads"].shutdown(wait=True)
            core.close()

    routes = [
        Route(
            op.path, _endpoint(op, state, limiter, settings.api.max_body_bytes), methods=[op.method]
        )
        for op in registry.operations
    ]
    encoded = msgspec.json.encode(document)
    routes.append(
        Route("/v1/openapi.json", lambda r: Response(encoded, media_type=JSON), methods=["GET"])
    )
    application = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_problem},
    )
    application.state.openapi = document
    return application


async def _http_problem(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    code = {404: "no_such_route", 405: "method_not_allowed"}.get(status, "http_error")
    return problems.problem(status, code, f"{request.method} {request.url.path}: {exc}")


def _endpoint(op: Operation, state: dict[str, Any], limiter: RateLimiter, max_body: int):
    async def endpoint(request: Request) -> Response:
        try:
            token = _bearer(request)
            key = (
                "t:" + hashlib.sha256(token.encode()).hexdigest()
                if token
                else "a:" + _client(request)
            )
            wait = limiter.take(key)
            if wait:
                return problems.problem(
                    429,
                    "rate_limited",
                    f"too many requests; retry after {wait} s",
                    headers={"Retry-After": str(wait)},
                )
            raw = await _read_body(request, max_body) if op.request is not None else b""
            result = await asyncio.get_running_loop().run_in_executor(
                state["threads"],
                functools.partial(_run, op, state["core"], request, token, raw),
            )
        except _TooLarge:
            return problems.problem(
                413, "body_too_large", f"the request body is over {max_body} bytes"
            )
        except OrderhubError as error:
            return problems.from_core(error)
        except Exception as error:
            return problems.unexpected(error)
        return _response(op, result)

    endpoint.__name__ = op.operation_id
    return endpoint


def _response(op: Operation, result: Any) -> Response:
    """The HTTP answer for what a handler returned (see `api.contract`)."""
    if isinstance(result, Raw):
        headers = {}
        if result.filename:
            headers["Content-Disposition"] = _attachment(result.filename)
        return Response(
            result.content, status_code=op.status, media_type=result.media_type, headers=headers
        )
    if isinstance(result, EventStream):
        return StreamingResponse(
            _server_sent(result),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **result.headers},
        )
    encoded = result if isinstance(result, Encoded) else encode_json(op, result)
    headers = dict(encoded.headers)
    if encoded.content is None:
        return Response(status_code=encoded.status, headers=headers)
    return Response(encoded.content, status_code=encoded.status, media_type=JSON, headers=headers)


def _attachment(filename: str) -> str:
    """`Content-Disposition` for a download; a non-ASCII name also as RFC 6266 `filename*`
    (headers are Latin-1: the name itself would not fit)."""
    plain = filename.encode("ascii", "replace").decode().replace('"', "_").replace("\\", "_")
    if plain == filename:
        return f'attachment; filename="{plain}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


async def _server_sent(stream: EventStream) -> AsyncIterator[bytes]:
    """`event:`/`data:` frames; the events are pulled in the thread pool (core is sync)."""
    async for event in iterate_in_threadpool(stream.events):
        if event is None:
            yield b": keep-alive\n\n"
            continue
        name, data = event
        yield b"event: " + name.encode() + b"\ndata: " + msgspec.json.encode(data) + b"\n\n"


def _run(op: Operation, core: Any, request: Request, token: str | None, raw: bytes) -> Any:
    actor = None
    if op.authenticated:
        if not token:
            raise AuthenticationFailed("send `Authorization: Bearer TOKEN` (log in first)")
        actor = auth.authenticate(core, token)
    call = Call(
        app=core,
        actor=actor,
        path=decode_path(dict(request.path_params)),
        query=decode_query(op, dict(request.query_params)),
        body=decode_body(op, raw),
        client=_client(request),
        headers={k.lower(): v for k, v in request.headers.items()},
    )
    if op.idempotent:
        return idempotency.handle(op, call, request.method, request.url.path, raw)
    return op.handler(call)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def from_environment() -> Starlette:
    """The factory `orderhub serve --workers N` gives uvicorn: each worker process loads the
    settings itself (`ORDERHUB_CONFIG` and the environment)."""
    from core.config import load_settings

    return create_app(load_settings())
