"""ASGI app factories that fail, for `tests/api/test_serve_processes.py`: each is loaded
by name in a spawned `cli.serve_processes` process, so they live in a module."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette


def cannot_start() -> Starlette:
    """Its start-up fails (as a core App that cannot open would)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("this app cannot start")
        yield  # pragma: no cover

    return Starlette(lifespan=lifespan)


def ends_soon() -> Starlette:
    """Starts, then its process ends a moment later (a crash after start)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        asyncio.get_running_loop().call_later(0.3, os._exit, 7)
        yield

    return Starlette(lifespan=lifespan)
