"""A synchronous httpx client over `httpx.ASGITransport`, for tests of the API in process.

httpx's ASGI transport is asynchronous; the tests (and core) are synchronous. The app runs
on an event loop in a thread of its own, where its lifespan is entered (the core App opens
and closes, as under uvicorn); each request is handed to that loop and its answer read
whole. What the tests get is a plain `httpx.Client`, so they read like any client of the
API.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import httpx
from starlette.applications import Starlette

BASE_URL = "http://testserver"


class _LoopThread:
    """An event loop running in a daemon thread; `run(coro)` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class _SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Starlette, loop: _LoopThread) -> None:
        self.inner = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        self.loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=body
        )

        async def send() -> tuple[int, httpx.Headers, bytes]:
            response = await self.inner.handle_async_request(forwarded)
            content = await response.aread()
            return response.status_code, response.headers, content

        status, headers, content = self.loop.run(send())
        return httpx.Response(status, headers=headers, content=content, request=request)


@contextlib.contextmanager
def asgi_client(app: Starlette) -> Iterator[httpx.Client]:
    """An httpx.Client over `app` with its lifespan entered for the client's lifetime."""
    loop = _LoopThread()
    lifespan = app.router.lifespan_context(app)
    loop.run(lifespan.__aenter__())
    try:
        with httpx.Client(transport=_SyncASGITransport(app, loop), base_url=BASE_URL) as client:
            client.app = app  # type: ignore[attr-defined]  # tests look at the routes
            yield client
    finally:
        try:
            loop.run(lifespan.__aexit__(None, None, None))
        finally:
            loop.stop()
