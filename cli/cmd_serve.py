"""`orderhub serve` — the HTTP API (`api.app`) under uvicorn.

It listens on 127.0.0.1 by default and speaks plain HTTP: put a reverse proxy with TLS in
front (nginx, Caddy) before binding another address. `--workers N` runs N processes; each
opens its own core App and holds its own rate-limit buckets.

uvicorn runs with httptools and uvloop when they are installed (its `auto` choice; h11 and
asyncio otherwise), without its access log unless `--access-log` is given (one log line
per request costs more than routing it), and with a listen backlog of 2048.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys

from cli.common import settings_from
from core.config import Settings

LOOPBACK_NAMES = {"localhost", "ip6-localhost"}
MAX_WORKERS = 64  # processes of one `serve`; more machines scale further (docs/api.md)
BACKLOG = 2048  # pending connections the kernel queues per listening socket


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="run the HTTP API (plain HTTP; put TLS termination in front)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8080, help="port (8080)")
    parser.add_argument("--workers", type=_workers, default=1, help="processes (1)")
    parser.add_argument(
        "--access-log", action="store_true", help="log every request (off: it costs CPU)"
    )
    parser.set_defaults(handler=_serve)


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {text[:40]!r}")
    return int(text)


def _workers(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"workers are 1 to {MAX_WORKERS}, not {text[:40]!r}")
    return int(text)


def uvicorn_options(
    host: str, port: int, workers: int, log_level: str, *, access_log: bool = False
) -> dict[str, object]:
    """uvicorn's settings for `serve` (bench/api_bench.py runs its bare Starlette app
    under the same ones, to compare like with like)."""
    return {
        "host": host,
        "port": port,
        "workers": workers,
        "log_level": log_level.lower(),
        "access_log": access_log,
        "http": "auto",  # httptools when installed, else h11
        "loop": "auto",  # uvloop when installed, else asyncio
        "backlog": BACKLOG,
    }


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _serve(args: argparse.Namespace) -> int:
    # Imported here: uvicorn and the API are not needed by any other command.
    import uvicorn

    from api.app import create_app

    settings = settings_from(args)  # fails here, before binding, on a bad config
    _check_database(settings)  # and here on a database that is missing or refuses us
    if not is_loopback(args.host):
        print(
            f"warning: serving plain HTTP on {args.host}: put TLS termination (a reverse "
            "proxy) in front; bearer tokens must not cross a network in clear",
            file=sys.stderr,
        )
    options = uvicorn_options(
        args.host,
        args.port,
        args.workers,
        settings.log_level,
        access_log=getattr(args, "access_log", False),
    )
    if args.workers > 1:
        if getattr(args, "config", None):
            os.environ["ORDERHUB_CONFIG"] = args.config
        return serve_factory("api.app:from_environment", options)
    options.pop("workers")
    uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
    return 0


def _check_database(settings: Settings) -> None:
    """Connect once before listening: a missing SQLite file or a PostgreSQL server that
    refuses us is one line from the CLI here, not a traceback from each process's start-up
    (plugins are not loaded: each process does that itself)."""
    from core.startup import open_app

    app = open_app(settings, load_plugins=False)
    try:
        with app.engine.connect():
            pass
    finally:
        app.close()


def serve_factory(factory: str, options: dict[str, object]) -> int:
    """Serve the ASGI app factory `factory` ("module:function", loaded in each process) with
    uvicorn `options`; several processes each accept on their own socket where the kernel
    balances them (`cli.serve_processes`), else on uvicorn's shared one. The exit status."""
    import uvicorn

    from cli import serve_processes

    workers = int(options["workers"])  # type: ignore[call-overload]
    if workers > 1 and serve_processes.balances_connections():
        return serve_processes.run(factory, options, workers)
    uvicorn.run(factory, factory=True, **options)  # type: ignore[arg-type]
    return 0
