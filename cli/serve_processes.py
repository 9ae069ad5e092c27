"""Several API processes on one port, each accepting on its own socket (`SO_REUSEPORT`).

uvicorn's `--workers` shares one listening socket among its processes, and the process
that wakes first accepts every connection waiting: a client opening its keep-alive
connections at once had all of them on one process while the other sat idle (16 out of
16 in bench/api_bench.py, a third of the CPUs unused). Here, on Linux, each process binds
its own socket to the port with `SO_REUSEPORT` and the kernel spreads new connections
across the sockets by their addresses' hash, as nginx's `reuseport` does. Elsewhere
(`SO_REUSEPORT` does not balance there) `serve` keeps uvicorn's shared socket.

The supervisor refuses a port something already listens on (joining another server's
group would silently split its traffic), starts the processes, starts another when one
ends, stops everything when one fails while starting (a bad setting would fail the same
way again) or when processes keep ending (more than 5 a minute), and on SIGTERM or
SIGINT stops them gracefully.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from typing import Any

#: uvicorn's exit status for a process that could not start (its `STARTUP_FAILURE`).
STARTUP_FAILURE = 3
#: How long a stopping process may finish its requests before it is killed.
STOP_GRACE_S = 30.0
#: More processes than this ending within a minute is a crash loop: stop instead.
MAX_ENDINGS_PER_MINUTE = 5
_POLL_S = 0.5

logger = logging.getLogger("uvicorn.error")


def balances_connections() -> bool:
    """Whether this system spreads connections across `SO_REUSEPORT` sockets (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def listening_socket(host: str, port: int, backlog: int, *, reuse_port: bool) -> socket.socket:
    """A socket listening on `host:port` (an IPv6 host when it has a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that
    # say so, and with Nagle on, answers wait for delayed ACKs (≈ 40 ms each).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    return sock


def port_is_free(host: str, port: int) -> str | None:
    """None when nothing listens on `host:port`, else why not. The check binds without
    `SO_REUSEPORT`, which fails beside any listener, a reuse-port group included."""
    try:
        listening_socket(host, port, 1, reuse_port=False).close()
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def run(app: str, options: dict[str, Any], workers: int) -> int:
    """Serve the ASGI factory `app` ("module:function") in `workers` processes with
    uvicorn `options` (host, port, backlog, …) until SIGTERM or SIGINT; the exit status."""
    import uvicorn

    options = {k: v for k, v in options.items() if k != "workers"}
    uvicorn.Config(app, factory=True, **options)  # configures uvicorn's logging here too
    host, port = str(options["host"]), int(options["port"])
    problem = port_is_free(host, port)
    if problem:
        logger.error(problem)
        return 1
    stop: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda number, _: stop.append(number))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    context = multiprocessing.get_context("spawn")
    processes = [_start(context, app, options) for _ in range(workers)]
    logger.info("serving on %s:%d in %d processes, one socket each", host, port, workers)
    status = 0
    endings: list[float] = []
    try:
        while not stop:
            time.sleep(_POLL_S)
            for index, process in enumerate(processes):
                if process.exitcode is None:
                    continue
                now = time.monotonic()
                endings = [t for t in endings if now - t < 60] + [now]
                if process.exitcode == STARTUP_FAILURE or len(endings) > MAX_ENDINGS_PER_MINUTE:
                    why = (
                        "failed to start"
                        if process.exitcode == STARTUP_FAILURE
                        else (f"ended: {len(endings)} processes ended within a minute")
                    )
                    logger.error("API process [%s] %s; stopping (see above)", process.pid, why)
                    status = 1
                    stop.append(0)
                    break
                logger.warning(
                    "API process [%s] ended (exit status %s); starting another",
                    process.pid,
                    process.exitcode,
                )
                processes[index] = _start(context, app, options)
    finally:
        _stop_all(processes)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status


def _start(context: Any, app: str, options: dict[str, Any]) -> Any:
    process = context.Process(target=_serve_one, args=(app, options), name="orderhub-api")
    process.start()
    return process


def _serve_one(app: str, options: dict[str, Any]) -> None:
    """One API process: its own socket in the port's reuse-port group, then uvicorn."""
    import uvicorn

    config = uvicorn.Config(app, factory=True, **options)
    try:
        sock = listening_socket(config.host, config.port, config.backlog, reuse_port=True)
    except OSError as exc:
        logger.error("cannot listen on %s:%d: %s", config.host, config.port, exc)
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(config).run(sockets=[sock])


def _stop_all(processes: list[Any]) -> None:
    """SIGTERM to each (uvicorn finishes the requests in hand), then kill what is left."""
    for process in processes:
        if process.exitcode is None and process.pid is not None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_S
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.exitcode is None:
            logger.error("API process [%s] did not stop in time; killing it", process.pid)
            process.kill()
            process.join()
