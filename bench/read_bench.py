"""The sync's reader side, per order: parse a page, map its orders, fetch pages over HTTP.

    .venv/bin/python bench/read_bench.py                 # 5,000 orders, 5 rounds
    .venv/bin/python bench/read_bench.py --orders 20000 --rounds 3
    .venv/bin/python bench/read_bench.py --no-fetch      # parse and map only (no sandbox)

The reader processes of a parallel sync do, for every page of 100 orders: sign the call,
POST it (httpx over loopback), parse the JSON answer and map each order to a
`PlatformOrder`. Each step is timed alone, in µs per order, as CPU time of this process
(`time.process_time`, what a busy shared machine disturbs least) and wall time:

- `parse`: `transport.parse_json` of the sandbox's own page bytes (100 orders a page);
- `map`: `mapping.order_from_payload` of every parsed order (first round: its memo
  caches cold; best round: warm, as in a long sync);
- `call`: `GatewayTransport.call` of every page of every window against a sandbox child
  process (signing, HTTP, parsing; no mapping); its CPU figure is the client's only;
- `fetch_orders`: the same pages through `PinduoduoPlatform.fetch_orders` (call + map),
  each page asked right after its `call`, so the two see the same machine.

Orders come from the sandbox's own generator (one shop, 100,000 orders a day as in
`bench/sync_bench.py`, so pages are full; the usual mix of statuses: ciphertext while 待发货,
empty receiver fields after shipping). Rounds repeat the
whole measurement; the best (lowest CPU) round is printed, and the first for `map`.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.calibration import line as calibration_line  # noqa: E402
from core.contracts import OrderWindow  # noqa: E402
from plugins.platforms.pinduoduo import mapping  # noqa: E402
from plugins.platforms.pinduoduo.platform import INCREMENT, PinduoduoPlatform  # noqa: E402
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxProcess  # noqa: E402
from plugins.platforms.pinduoduo.sandbox.ciphers import Cipher  # noqa: E402
from plugins.platforms.pinduoduo.sandbox.generator import OrderFactory, make_shops  # noqa: E402
from plugins.platforms.pinduoduo.transport import parse_json  # noqa: E402

SEED, PAGE = 42, 100
#: Orders per day of history: bench/sync_bench.py's 100,000 in a day, so windows hold
#: thousands of orders and pages are full, as in the sync the figures are for.
DENSITY = 100_000


def history_days(orders: int) -> float:
    return max(orders / DENSITY, 0.01)


class NoLimit:
    """The client's rate limiter off, as in `bench/sync_bench.py` (the sandbox's too)."""

    def acquire(self, api: str, shop: str | None) -> float:
        return 0.0


def timed(work: Callable[[], Any]) -> tuple[float, float, Any]:
    """(CPU s, wall s, result) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def offline_pages(count: int) -> list[bytes]:
    """`count` generated orders as increment pages of 100, exactly as the sandbox renders
    them (its `order_sn_increment_get_response` envelope around the orders' wire JSON)."""
    cipher = Cipher(str(SEED))
    factory = OrderFactory(SEED, make_shops(SEED, 1), cipher)
    orders = factory.seed_orders(count, int(time.time()), history_days(count))
    wire = [o.render(cipher) for o in orders]
    pages = []
    for start in range(0, len(wire), PAGE):
        chunk = wire[start : start + PAGE]
        pages.append(
            b'{"order_sn_increment_get_response":{"total_count":%d,"has_next":false,'
            b'"order_sn_list":[%s]}}' % (len(chunk), b",".join(chunk))
        )
    return pages


def bench_offline(orders: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Page by page, as a reader works: parse one page, map its orders, drop them (the
    pipeline passes them on), so the figures include what a page's worth of garbage
    costs, not what a heap of every order ever read would."""
    pages = offline_pages(orders)
    key = "order_sn_increment_get_response"
    parse: list[tuple[float, float]] = []
    maps: list[tuple[float, float]] = []
    for _ in range(rounds):
        totals = [0.0, 0.0, 0.0, 0.0]
        for page in pages:
            cpu, wall, body = timed(lambda p=page: parse_json(p))
            totals[0] += cpu
            totals[1] += wall
            payloads = body[key]["order_sn_list"]
            cpu, wall, _ = timed(lambda p=payloads: [mapping.order_from_payload(o) for o in p])
            totals[2] += cpu
            totals[3] += wall
        parse.append((totals[0], totals[1]))
        maps.append((totals[2], totals[3]))
    per = 1e6 / orders
    return {
        "parse": _scaled(min(parse), per),
        "map (first round)": _scaled(maps[0], per),
        "map": _scaled(min(maps), per),
    }


def bench_fetch(orders: int, rounds: int) -> dict[str, tuple[float, float]]:
    """Every page of every window, each asked twice in a row: once through the transport
    alone, once through `fetch_orders`. Interleaving page by page lets both see the same
    machine (the load of a shared VM drifts between whole passes)."""
    days = history_days(orders)
    config = SandboxConfig(seed=SEED, shops=1, orders=orders, history_days=days, rate_limits=False)
    with SandboxProcess(config, prerender=True) as sandbox:
        grant = httpx.post(f"{sandbox.control_url}/grants", json={}, timeout=30).json()
        token = grant["access_token"]
        settings = {**sandbox.client_settings(), "rate_limit_enabled": False, "read_timeout": 60}
        with PinduoduoPlatform(settings, limiter=NoLimit()) as platform:
            now = platform.server_time()
            pages = _pages(platform, token, now - timedelta(days=days, hours=1), now)
            calls: list[tuple[float, float]] = []
            fetches: list[tuple[float, float]] = []
            for _ in range(rounds):
                totals = [0.0, 0.0, 0.0, 0.0]
                fetched = 0
                for window, page in pages:
                    cpu, wall, body = timed(lambda w=window, p=page: _call(platform, token, w, p))
                    totals[0] += cpu
                    totals[1] += wall
                    cpu, wall, result = timed(
                        lambda w=window, p=page: platform.fetch_orders(token, w, p)
                    )
                    totals[2] += cpu
                    totals[3] += wall
                    if len(result.orders) != len(body["order_sn_list"]):
                        raise SystemExit(f"page {page} of {window} changed between two reads")
                    fetched += len(result.orders)
                calls.append((totals[0], totals[1]))
                fetches.append((totals[2], totals[3]))
    if fetched < orders:
        raise SystemExit(f"fetched {fetched} orders, expected {orders}")
    # Adjacent windows share their boundary second, so a few orders come twice: per
    # order means per order fetched.
    per = 1e6 / fetched
    return {"call": _scaled(min(calls), per), "fetch_orders": _scaled(min(fetches), per)}


def _pages(
    platform: PinduoduoPlatform, token: str, start: datetime, end: datetime
) -> list[tuple[OrderWindow, int]]:
    """(window, page) of every page of every 30-minute window in [start, end)."""
    whole = OrderWindow(start.astimezone(UTC), end.astimezone(UTC))
    pages = []
    for window in whole.split(PinduoduoPlatform.MAX_WINDOW):
        total = platform.fetch_orders(token, window, 1).total or 0
        pages += [(window, page) for page in range(1, platform.page_count(total) + 1)]
    return pages


def _call(platform: PinduoduoPlatform, token: str, window: OrderWindow, page: int) -> Any:
    """The transport's part of `fetch_orders`: the same call, its answer not mapped."""
    start = math.floor(window.start.timestamp())
    end = max(math.floor(window.end.timestamp()), start + 1)
    params = {
        "start_updated_at": start,
        "end_updated_at": end,
        "order_status": 5,
        "refund_status": 5,
        "is_lucky_flag": 0,
        "page": page,
        "page_size": PAGE,
        "use_has_next": page != 1,
    }
    return platform.transport.call(INCREMENT, params, access_token=token)


def _scaled(figures: tuple[float, float], per: float) -> tuple[float, float]:
    return figures[0] * per, figures[1] * per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-fetch", action="store_true", help="skip the sandbox steps")
    args = parser.parse_args(argv)
    figures = bench_offline(args.orders, args.rounds)
    if not args.no_fetch:
        figures.update(bench_fetch(args.orders, args.rounds))
    print(f"reader side, {args.orders:,} orders, best of {args.rounds} rounds (µs per order):")
    print(f"  {'step':<20} {'CPU':>8} {'wall':>8}")
    for name, (cpu, wall) in figures.items():
        print(f"  {name:<20} {cpu:8.1f} {wall:8.1f}")
    print(f"machine: {os.cpu_count()} CPUs, load average {[round(x, 2) for x in os.getloadavg()]}")
    print(calibration_line())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
