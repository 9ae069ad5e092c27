"""The HTTP API under load: `GET /v1/orders?q=…` (first page) at 1,000,000 orders.

    .venv/bin/python bench/api_bench.py                          # SQLite, 2 workers, 20 s
    .venv/bin/python bench/api_bench.py --backend both           # SQLite and PostgreSQL
    .venv/bin/python bench/api_bench.py --concurrency 8 --seconds 30
    .venv/bin/python bench/api_bench.py --sections 200           # + where a request's time goes
    .venv/bin/python bench/api_bench.py --client httpx           # httpx as the load generator
    .venv/bin/python bench/api_bench.py --orders 3000 --seconds 3  # what a smoke run needs

Issue 15's target: `orderhub serve --workers 2` on this 2-CPU machine answers ≥ 500
requests/s with p99 ≤ 100 ms, load coming from a separate process. The server is the real
command (`orderhub serve --workers 2`, its default uvicorn settings); the load is one
separate process keeping `--concurrency` requests in flight on keep-alive connections —
plain asyncio streams by default (`--client raw`, ≈ 0.2 ms of CPU a request), or httpx's
`AsyncClient` (`--client httpx`, ≈ 3 ms a request: it saturates the CPUs itself) — which
cycles through `--variants` (500) seeded variants of the desk's typical filter (`status:pending
paid:A..B province:P tag:T`, a 7-day window, the first page of `--limit` rows), after a
`--warmup` it does not count. The database is the desk bench's (bench/desk_bench.py,
cached under /tmp/orderhub-desk-bench, built once: minutes), its admin's API token a fresh
one; the per-token rate limit is raised for the run (`ORDERHUB_API_RATE_PER_MINUTE`), as
a deployment with one busy integration would.

Printed beside it: the framework's ceiling — a bare Starlette app answering the same bytes
from one route under the same uvicorn settings and load (`bare_app`) — and the ratio;
the CPU seconds the server's processes and the load generator used in the measured
window (the generator shares the 2 CPUs: its share is what the server could not use);
the calibration loop and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

TARGET_RPS = 500
TARGET_P99_MS = 100
CACHE = Path("/tmp/orderhub-desk-bench")
BARE_BODY_ENV = "ORDERHUB_API_BENCH_BODY"  # the file the bare app answers with


# ---------------------------------------------------------------- the bare app


def bare_app():  # type: ignore[no-untyped-def]
    """A trivial Starlette app: one route answering fixed JSON bytes (the real endpoint's
    answer, so the transfer is the same): the framework's and server's own cost."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(os.environ[BARE_BODY_ENV]).read_bytes()

    async def orders(request):  # type: ignore[no-untyped-def]
        return Response(body, media_type="application/json")

    return Starlette(routes=[Route("/v1/orders", orders, methods=["GET"])])


# ---------------------------------------------------------------- the load generator


async def _load(spec: dict[str, Any]) -> dict[str, Any]:
    """`concurrency` workers, each on its own keep-alive connection, sending the URLs in
    turn; after `warmup` s, latencies and statuses are kept for `seconds` s."""
    concurrency, warmup, seconds = spec["concurrency"], spec["warmup"], spec["seconds"]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    state = {"measuring": False, "stop": False, "next": 0}
    send = _httpx_sender if spec["client"] == "httpx" else _raw_sender
    async with send(spec) as get:

        async def worker() -> None:
            async with get() as request:
                while not state["stop"]:
                    url = spec["urls"][state["next"] % len(spec["urls"])]
                    state["next"] += 1
                    started = time.perf_counter()
                    status = await request(url)
                    elapsed = time.perf_counter() - started
                    if state["measuring"] and not state["stop"]:
                        latencies.append(elapsed)
                        statuses[status] = statuses.get(status, 0) + 1

        tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        print("GO", flush=True)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        state["measuring"] = True
        await asyncio.sleep(seconds)
        state["stop"] = True
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        await asyncio.gather(*tasks)
    return {"latencies": latencies, "statuses": statuses, "wall_s": wall, "cpu_s": cpu}


@contextlib.asynccontextmanager
async def _httpx_sender(spec: dict[str, Any]):  # type: ignore[no-untyped-def]
    """httpx's AsyncClient, one pool of `concurrency` keep-alive connections."""
    import httpx

    n = spec["concurrency"]
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    headers = {"Authorization": f"Bearer {spec['token']}"}
    async with httpx.AsyncClient(
        base_url=spec["base"], limits=limits, headers=headers, timeout=30
    ) as client:

        @contextlib.asynccontextmanager
        async def connection():  # type: ignore[no-untyped-def]
            async def request(url: str) -> int:
                response = await client.get(url)
                return response.status_code

            yield request

        yield connection


@contextlib.asynccontextmanager
async def _raw_sender(spec: dict[str, Any]):  # type: ignore[no-untyped-def]
    """HTTP/1.1 GETs written and read on one keep-alive socket per worker with asyncio
    streams: a fraction of httpx's CPU per request, so more of the CPUs go to the server.
    It reads the status line, the headers and `Content-Length` bytes of body (the server
    answers every request with a length: no chunked encoding here)."""
    host, port = spec["base"].removeprefix("http://").split(":")
    head = f"Host: {host}:{port}\r\nAuthorization: Bearer {spec['token']}\r\n\r\n".encode()

    @contextlib.asynccontextmanager
    async def connection():  # type: ignore[no-untyped-def]
        reader, writer = await asyncio.open_connection(host, int(port))

        async def request(url: str) -> int:
            writer.write(b"GET " + url.encode() + b" HTTP/1.1\r\n" + head)
            header = await reader.readuntil(b"\r\n\r\n")
            status = int(header[9:12])
            at = header.lower().find(b"content-length:")
            if at < 0:
                raise RuntimeError(f"no Content-Length in {header[:200]!r}")
            length = int(header[at + 15 : header.find(b"\r\n", at)])
            await reader.readexactly(length)
            return status

        try:
            yield request
        finally:
            writer.close()

    yield connection


def loadgen_main(spec_file: str) -> int:
    spec = json.loads(Path(spec_file).read_text())
    result = asyncio.run(_load(spec))
    print("RESULT " + json.dumps(result), flush=True)
    return 0


# ---------------------------------------------------------------- processes and CPU


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(pid: int) -> list[int]:
    """The process and its descendants (uvicorn's supervisor and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, ()))
    return out


def _cpu_of(pids: list[int]) -> dict[int, float]:
    ticks = os.sysconf("SC_CLK_TCK")
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return out


def _cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu_of(pids).values())


def _database_backends(database: str | None) -> list[int]:
    """PostgreSQL's server processes serving `database` (`postgres: user db host …`)."""
    if not database:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"postgres:") and f" {database} ".encode() in command:
                found.append(int(entry.name))
    return found


def _wait_up(url: str, proc: subprocess.Popen, deadline_s: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + deadline_s
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if proc.poll() is not None:
                raise SystemExit(f"the server exited: {proc.communicate()[1]}") from None
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start in time") from None
            time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else 0.0


def run_load(
    command: list[str],
    env: dict[str, str],
    port: int,
    urls: list[str],
    token: str,
    args: argparse.Namespace,
    database: str | None = None,
) -> dict[str, Any]:
    """Start a server, load it from a separate process, stop it; the figures. On
    PostgreSQL (`database` named) the server's CPU includes its database backends'."""
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_up(f"{base}/v1/openapi.json", server)
        time.sleep(1.0)  # every worker up, not just the first
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
            json.dump(
                {
                    "base": base,
                    "urls": urls,
                    "token": token,
                    "client": args.client,
                    "concurrency": args.concurrency,
                    "warmup": args.warmup,
                    "seconds": args.seconds,
                },
                spec,
            )
        loadgen = subprocess.Popen(
            [sys.executable, __file__, "--loadgen", spec.name],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert loadgen.stdout is not None
        pids = _tree(server.pid)
        server_cpu0 = 0.0
        backends0: dict[int, float] = {}
        database_cpu = 0.0
        result: dict[str, Any] = {}
        for line in loadgen.stdout:
            if line.startswith("GO"):
                pids = _tree(server.pid)
                server_cpu0 = _cpu_seconds(pids)
                backends0 = _cpu_of(_database_backends(database))
            elif line.startswith("RESULT "):
                server_cpu = _cpu_seconds(pids) - server_cpu0
                backends = _cpu_of(_database_backends(database))
                database_cpu = sum(v - backends0.get(pid, 0.0) for pid, v in backends.items())
                result = json.loads(line[len("RESULT ") :])
        loadgen.wait()
        os.unlink(spec.name)
    finally:
        _stop(server)
    latencies = result["latencies"]
    wall = result["wall_s"]
    ok = result["statuses"].get("200", 0)
    done = max(len(latencies), 1)
    server_cpu += database_cpu
    used = server_cpu + result["cpu_s"]
    return {
        "server_cpu_ms": round(server_cpu / done * 1000, 2),
        "loadgen_cpu_ms": round(result["cpu_s"] / done * 1000, 2),
        "loadgen_share": round(result["cpu_s"] / used, 3) if used else 0.0,
        # What the CPUs would allow alone: CPUs / CPU seconds per request (server + client).
        "cpu_bound_rps": round((os.cpu_count() or 1) * done / used, 1) if used else 0.0,
        "requests": len(latencies),
        "non_200": {k: v for k, v in result["statuses"].items() if k != "200"},
        "rps": round(ok / wall, 1),
        "p50_ms": round(_percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(_percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 1),
        "server_cpu_s": round(server_cpu, 2),
        "loadgen_cpu_s": round(result["cpu_s"], 2),
        "wall_s": round(wall, 2),
        "server_processes": len(pids),
        "database_cpu_s": round(database_cpu, 2),
    }


# ---------------------------------------------------------------- the bench


def typical_queries(count: int, seed: int = 11) -> list[str]:
    """The desk bench's typical filter, `count` seeded variants."""
    import desk_bench
    import desk_bench_data as data

    from core import clock

    rng = random.Random(seed)
    out = []
    for _ in range(count):
        start = (data.NOW - timedelta(days=rng.randrange(7, data.DAYS))).astimezone(clock.SHANGHAI)
        end = start + timedelta(days=7)
        out.append(
            f"status:pending paid:{start.date()}..{end.date()} "
            f"province:{rng.choice(desk_bench.TOP_PROVINCES)} tag:{rng.choice(data.TAGS)}"
        )
    return out


def _token(url: str, key: str, cache: Path) -> tuple[str, Any]:
    """A fresh API token of the bench org's admin, and the settings it was made with (the
    cached database's indexes aligned with the model first)."""
    import desk_bench
    from sqlalchemy import select

    from core.accounts import auth
    from core.actor import Actor
    from core.models import Org, User
    from core.startup import open_app

    settings = desk_bench._settings(url, key, cache)
    app = open_app(settings)
    try:
        desk_bench.align_indexes(app.engine)  # the model's indexes, as the desk bench does
        with app.tx() as session:
            org_id = session.scalars(select(Org.id).where(Org.name == "bench")).one()
            user_id = session.scalars(
                select(User.id).where(User.org_id == org_id, User.username == "boss")
            ).one()
        admin = Actor(org_id=org_id, user_id=user_id, label="boss")
        return auth.create_api_token(app, admin, "api-bench", days=1).token, settings
    finally:
        app.close()


def _env(url: str, key: str, cache: Path) -> dict[str, str]:
    return dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(ROOT), str(HERE)]),
        ORDERHUB_CONFIG=str(cache / "absent.toml"),
        ORDERHUB_DATA_DIR=str(cache),
        ORDERHUB_DATABASE_URL=url,
        ORDERHUB_SECRET_KEY=key,
        ORDERHUB_PLUGINS_ONLY="orderhub",
        ORDERHUB_LOG_LEVEL="WARNING",
        # One client sends it all: its bucket must not be the limit measured.
        ORDERHUB_API_RATE_PER_MINUTE="1000000",
        ORDERHUB_API_BURST="100000",
    )


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    from urllib.parse import urlencode

    import desk_bench

    url, key, _samples = desk_bench.prepared_database(backend, args.orders, args.cache, False)
    token, settings = _token(url, key, args.cache)
    urls = [
        "/v1/orders?" + urlencode({"q": q, "limit": args.limit})
        for q in ([args.query] if args.query else typical_queries(args.variants))
    ]
    env = _env(url, key, args.cache)
    port = _free_port()
    serve = [
        sys.executable,
        "-c",
        "import sys; from cli.main import main; sys.exit(main())",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    figures: dict[str, Any] = {"backend": backend}
    sample = _sample_body(settings, token, urls[0])
    figures["page_rows"], figures["page_bytes"] = sample["rows"], len(sample["body"])
    if args.sections:
        figures["sections"] = sections(settings, token, urls, args.sections)
    database = None if backend == "sqlite" else url.rsplit("/", 1)[1]
    figures["api"] = run_load(serve, env, port, urls, token, args, database)
    if args.no_bare:
        return figures
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as body_file:
        body_file.write(sample["body"])
    bare = [
        sys.executable,
        "-c",
        "import sys; from cli.cmd_serve import serve_factory, uvicorn_options; "
        f"sys.exit(serve_factory('api_bench:bare_app', "
        f"uvicorn_options('127.0.0.1', {port}, {args.workers}, 'warning')))",
    ]
    figures["bare"] = run_load(bare, {**env, BARE_BODY_ENV: body_file.name}, port, urls, "x", args)
    os.unlink(body_file.name)
    figures["ratio_to_bare"] = round(figures["api"]["rps"] / figures["bare"]["rps"], 3)
    return figures


def _in_process(settings: Any, work):  # type: ignore[no-untyped-def]
    """`await work(client)` with an httpx client over the API app in this process (its
    lifespan run around it), on a fresh event loop; what `work` answers."""
    import httpx

    from api.app import create_app

    async def run():  # type: ignore[no-untyped-def]
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                return await work(client)

    return asyncio.run(run())


def _sample_body(settings: Any, token: str, path: str) -> dict[str, Any]:
    """The real endpoint's answer to the first query, in process (the bare app's bytes)."""

    async def work(client):  # type: ignore[no-untyped-def]
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        return {"body": response.content, "rows": len(response.json()["items"])}

    return _in_process(settings, work)


def sections(settings: Any, token: str, urls: list[str], repeat: int) -> dict[str, float]:
    """Mean ms of each step of a request, in this process: authentication, the search, the
    encoding, and the whole request through the ASGI app (httpx over ASGITransport)."""
    from urllib.parse import parse_qs, urlsplit

    import msgspec

    from api.routes.orders import OrderPage
    from core.accounts import auth
    from core.desk import search
    from core.startup import open_app

    app = open_app(settings)
    actor = auth.authenticate(app, token)
    queries = [parse_qs(urlsplit(u).query)["q"][0] for u in urls]
    out: dict[str, float] = {}

    def timed(name: str, call) -> None:  # type: ignore[no-untyped-def]
        call(0)
        started = time.perf_counter()
        for i in range(repeat):
            call(i)
        out[name] = round((time.perf_counter() - started) / repeat * 1000, 3)

    pages = [search.search_orders(app, actor, q, limit=100) for q in queries[:20]]
    timed("authenticate", lambda i: auth.authenticate(app, token))
    timed("search_orders", lambda i: search.search_orders(app, actor, queries[i % len(queries)]))
    timed(
        "encode_page",
        lambda i: msgspec.json.encode(
            OrderPage(list(pages[i % 20].rows), pages[i % 20].next_cursor, pages[i % 20].query)
        ),
    )
    app.close()
    headers = {"Authorization": f"Bearer {token}"}

    async def whole(client):  # type: ignore[no-untyped-def]
        await client.get(urls[0], headers=headers)
        started = time.perf_counter()
        for i in range(repeat):
            await client.get(urls[i % len(urls)], headers=headers)
        return round((time.perf_counter() - started) / repeat * 1000, 3)

    out["whole_request"] = _in_process(settings, whole)
    return out


def report(results: list[dict[str, Any]], args: argparse.Namespace, loop_line: str) -> None:
    for r in results:
        api, bare = r["api"], r.get("bare")
        verdict = "PASS" if api["rps"] >= TARGET_RPS and api["p99_ms"] <= TARGET_P99_MS else "FAIL"
        print(
            f"{r['backend']:<9} GET /v1/orders?q=… ({r['page_rows']} rows, {r['page_bytes']:,} B): "
            f"{api['rps']:7.1f} req/s ({api['rps'] / TARGET_RPS:.2f}× of {TARGET_RPS})  "
            f"p50 {api['p50_ms']} ms  p95 {api['p95_ms']} ms  p99 {api['p99_ms']} ms "
            f"({api['p99_ms'] / TARGET_P99_MS:.2f}× of {TARGET_P99_MS})  {verdict}"
        )
        for name, f in (("api", api), ("bare", bare)):
            if f is None:
                continue
            print(
                f"{'':<9} {name:<5} {f['requests']:>6} requests in {f['wall_s']} s"
                f"{'  NON-200: ' + str(f['non_200']) if f['non_200'] else ''}; CPU: server "
                f"{f['server_cpu_s']} s ({f['server_processes']} processes"
                + (f", PostgreSQL {f['database_cpu_s']} s" if f["database_cpu_s"] else "")
                + f"), load generator "
                f"{f['loadgen_cpu_s']} s ({f['loadgen_share']:.0%} of the CPU used); per "
                f"request {f['server_cpu_ms']} + {f['loadgen_cpu_ms']} ms → at most "
                f"{f['cpu_bound_rps']:.0f} req/s on {os.cpu_count()} idle CPUs"
            )
        if "sections" in r:
            parts = ", ".join(f"{k} {v} ms" for k, v in r["sections"].items())
            print(f"{'':<9} in process, mean per call: {parts}")
        if bare is None:
            continue
        print(
            f"{'':<9} bare Starlette, same bytes, same uvicorn settings: {bare['rps']:.1f} req/s, "
            f"p99 {bare['p99_ms']} ms → the API does {r['ratio_to_bare']:.1%} of the ceiling"
        )
    print(
        f"setup: --workers {args.workers}, {args.concurrency} requests in flight from one "
        f"{args.client} client process, {args.warmup} s warm-up + {args.seconds} s measured; "
        f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(loop_line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="`orderhub serve --workers`")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured")
    parser.add_argument("--warmup", type=float, default=3.0, help="before measuring")
    parser.add_argument("--limit", type=int, default=100, help="page size")
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="load generator: asyncio streams (raw, cheap) or httpx's AsyncClient",
    )
    parser.add_argument("--query", help="one fixed query instead of the typical variants")
    parser.add_argument(
        "--variants",
        type=int,
        default=500,
        help="seeded variants of the typical filter, sent in turn (500; past 512, each "
        "request builds its filter's statement: core.desk.search keeps 512)",
    )
    parser.add_argument("--cache", type=Path, default=CACHE, help="the desk bench's cache")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Starlette run")
    parser.add_argument("--sections", type=int, default=0, help="in-process timing, N calls")
    parser.add_argument("--json", action="store_true", help="figures as JSON on stdout")
    args = parser.parse_args(argv)
    if args.loadgen:
        return loadgen_main(args.loadgen)
    import calibration

    before = calibration.loop_seconds()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    results = [bench_backend(b, args) for b in backends]
    time.sleep(2)  # the servers' exit, out of the loop's way
    loop_line = (
        f"calibration: a plain 20,000,000-step loop takes {before:.2f} s here before the "
        f"runs, {calibration.loop_seconds():.2f} s after"
    )
    if args.json:
        print(json.dumps({"calibration": loop_line, "results": results}, ensure_ascii=False))
    else:
        report(results, args, loop_line)
    return (
        0
        if all(
            r["api"]["rps"] >= TARGET_RPS and r["api"]["p99_ms"] <= TARGET_P99_MS for r in results
        )
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
