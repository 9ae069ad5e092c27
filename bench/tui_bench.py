"""The terminal UI's order desk at scale: key press to redrawn table, start-up, memory.

    .venv/bin/python bench/tui_bench.py                         # 100,000 orders, SQLite
    .venv/bin/python bench/tui_bench.py --presses 60            # more presses per figure
    .venv/bin/python bench/tui_bench.py --orders 2000 --json    # what the smoke test runs

Issue 13's targets, with every order matching (the desk's 全部 tab, no filter): key press
to redrawn table when scrolling a page (PageDown), jumping to the end (End; Home back to
the start is timed too) and changing the filter (Enter in the filter bar) — median ≤ 50 ms,
p95 ≤ 100 ms; app start to the first paint of the order desk ≤ 1 s; memory while
scrolling through all the orders flat. Each figure is printed with its ratio to the
target and to the simplest way of doing the same work without a UI: the keyset page read
alone (`core.desk.search.search_orders`, as the desk's worker calls it). The machine's
speed (`bench.calibration`) and its load are printed first.

How "redrawn" is detected. The app runs in Textual's headless driver at 120×36
(`App.run_test`, driven by its pilot), which renders every frame like a terminal would
(the compositor's update) but writes no bytes. `App._display` — where each frame goes —
is wrapped to stamp the time of every frame. A press is timed from just before
`pilot.press(key)` until the first frame painted after the desk reached its new state:
the cursor's place in the whole list changed (PageDown), or is the last order (End) or
the first (Home), or the filter is the new one with its first page shown (Enter); and
no page read is in flight (the desk reads pages in a thread when the cursor comes near
the window's edge: a press that triggers one is timed until its rows are shown). Between
presses the app's workers are left to finish (the tab counts too), untimed, so each press
starts from a quiet desk. The frame comes from the screen's own refresh timer, so a
figure includes the up-to-one-frame wait a person sees.

Start-up is timed from `make_app` (the core opened from settings, as `orderhub tui`
does) to the first frame showing the desk's rows; the first run in the process also
imports the screens (cold), the others are warm. Memory is the process's resident set
(VmRSS) sampled while PageDown walks the whole list, top to bottom.

The database is desk_bench's (`bench/desk_bench_data.py`, written in bulk and cached
under `--cache`, shared with `bench/desk_bench.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import desk_bench  # noqa: E402 - a sibling module: bench/ is the script's dir
import desk_bench_data as data  # noqa: E402
from calibration import line as calibration_line  # noqa: E402

from core.accounts.actors import user_actor  # noqa: E402
from core.desk import search  # noqa: E402
from core.models import Org  # noqa: E402
from core.startup import open_app  # noqa: E402
from tui.app import OrderhubApp, make_app  # noqa: E402
from tui.screens.desk import DeskScreen  # noqa: E402
from tui.widgets.desk.order_table import OrderTable  # noqa: E402

TARGETS = {"press_p50": 50.0, "press_p95": 100.0, "start": 1000.0}
SIZE = (120, 36)
FILTERS = ("province:广东省", "tag:紧急", "flag:red", "province:浙江省 memo:yes", "保温杯", "")
#: A goods word no order has: the title search reads every order line to find nothing.
NO_MATCH = "赠品"
TIMEOUT = 60.0  # seconds one press may take before the bench gives up


def NOW() -> Any:  # the desk's clock: the data's fixed "now"
    return data.NOW


class Frames:
    """Stamps the first frame the app paints (its `_display`, wrapped) while a condition
    set by `watch` holds: the frame that shows the state the condition describes."""

    def __init__(self, app: OrderhubApp) -> None:
        self.condition: Callable[[], bool] | None = None
        self.hit: float | None = None
        real = app._display

        def display(screen: Any, renderable: Any) -> None:
            real(screen, renderable)
            watching = self.hit is None and self.condition is not None
            if renderable is not None and watching and self.condition():  # type: ignore[misc]
                self.hit = time.perf_counter()

        app._display = display  # type: ignore[method-assign]

    def watch(self, condition: Callable[[], bool]) -> None:
        self.condition, self.hit = condition, None

    async def painted(self, what: str) -> float:
        await until(lambda: self.hit is not None, what)
        assert self.hit is not None
        return self.hit


async def until(ready: Callable[[], bool], what: str) -> float:
    """Yield to the app until `ready()`; the time it first held."""
    deadline = time.perf_counter() + TIMEOUT
    while not ready():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"waited {TIMEOUT:.0f} s for {what}")
        await asyncio.sleep(0.0005)
    return time.perf_counter()


def quiet(desk: DeskScreen) -> bool:
    """No page read in flight and the table showing the window it holds."""
    return not desk.paging and not any(
        w.group == "desk.page" and not w.is_finished for w in desk.app.workers
    )


def position(desk: DeskScreen) -> int | None:
    table = desk.query_one(OrderTable)
    offset = table.window.offset
    return None if offset is None or not table.row_count else offset + table.cursor_row


async def timed_press(pilot: Any, frames: Frames, key: str, done: Callable[[], bool]) -> float:
    """Milliseconds from pressing `key` to the first frame painted once `done()` holds;
    then, untimed, the desk's reads and counts finish so the next press starts quiet."""
    desk = pilot.app.screen
    frames.watch(done)
    started = time.perf_counter()
    await pilot.press(key)
    elapsed = (await frames.painted(f"{key} to show") - started) * 1000
    frames.watch(lambda: False)
    await until(lambda: quiet(desk), "the page reads")
    await pilot.app.workers.wait_for_complete()
    return elapsed


def rss_mib() -> float:
    for text in Path("/proc/self/status").read_text().splitlines():
        if text.startswith("VmRSS:"):
            return int(text.split()[1]) / 1024
    return 0.0


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50": round(desk_bench.percentile(times, 0.5), 2),
        "p95": round(desk_bench.percentile(times, 0.95), 2),
        "n": len(times),
    }


async def start_up(settings: Any, actor: Any, frames_out: list[float]) -> None:
    """One start: make_app to the first frame showing the desk's rows."""
    started = time.perf_counter()
    tui = make_app(settings, actor, cursor_blink=False, clock=NOW)
    frames = Frames(tui)
    frames.watch(
        lambda: (
            isinstance(tui.screen, DeskScreen) and tui.screen.query_one(OrderTable).row_count > 0
        )
    )
    async with tui.run_test(size=SIZE) as pilot:
        frames_out.append((await frames.painted("the desk's rows") - started) * 1000)
        await pilot.press("ctrl+q")


async def desk_session(settings: Any, actor: Any, presses: int, sweep: bool) -> dict[str, Any]:
    tui = make_app(settings, actor, cursor_blink=False, clock=NOW)
    frames = Frames(tui)
    figures: dict[str, Any] = {}
    async with tui.run_test(size=SIZE) as pilot:
        desk = await _desk(pilot)
        await pilot.press("0")  # 全部: every order matches
        await until(lambda: desk.tab == "all" and quiet(desk) and position(desk) == 0, "全部")
        await pilot.app.workers.wait_for_complete()
        total = desk.total or 0
        figures["matching"] = total

        pagedown = []
        for _ in range(presses):
            before = position(desk)
            pagedown.append(
                await timed_press(pilot, frames, "pagedown", lambda b=before: position(desk) != b)
            )
        figures["pagedown"] = summary(pagedown)

        ends, homes = [], []
        for _ in range(presses):
            ends.append(
                await timed_press(pilot, frames, "end", lambda: position(desk) == total - 1)
            )
            homes.append(await timed_press(pilot, frames, "home", lambda: position(desk) == 0))
        figures["end"], figures["home"] = summary(ends), summary(homes)

        filters = []
        for n in range(presses):
            text = FILTERS[n % len(FILTERS)]
            await pilot.press("slash")
            desk.query_one("#filter").value = ""
            await pilot.press(*text)  # typed, untimed: the figure is Enter to the new table
            window = desk.query_one(OrderTable).window
            filters.append(
                await timed_press(
                    pilot,
                    frames,
                    "enter",
                    lambda t=text, w=window: (
                        desk.filter_text == t and desk.query_one(OrderTable).window is not w
                    ),
                )
            )
        figures["filter"] = summary(filters)

        await pilot.press("slash")
        desk.query_one("#filter").value = ""
        await pilot.press("enter")
        await until(lambda: desk.filter_text == "" and quiet(desk), "no filter")
        await pilot.app.workers.wait_for_complete()
        if sweep:
            figures.update(await _sweep(pilot, frames, desk, total))
        await pilot.press("ctrl+q")
    return figures


async def _desk(pilot: Any) -> DeskScreen:
    await until(lambda: isinstance(pilot.app.screen, DeskScreen), "the desk")
    desk = pilot.app.screen
    assert isinstance(desk, DeskScreen)
    await until(lambda: desk.counts is not None and quiet(desk), "the desk's first page")
    return desk


async def _sweep(pilot: Any, frames: Frames, desk: DeskScreen, total: int) -> dict[str, Any]:
    """PageDown from the first order to the last, the resident set sampled on the way."""
    samples = [(0, round(rss_mib(), 1))]
    step = max(1, total // 10)
    times, mark = [], step
    started = time.perf_counter()
    while (position(desk) or 0) < total - 1:
        before = position(desk)
        times.append(
            await timed_press(pilot, frames, "pagedown", lambda b=before: position(desk) != b)
        )
        if (position(desk) or 0) >= mark:
            samples.append((position(desk) or 0, round(rss_mib(), 1)))
            mark += step
    samples.append((total, round(rss_mib(), 1)))
    return {
        "sweep_presses": len(times),
        "sweep_s": round(time.perf_counter() - started, 1),
        "sweep": summary(times),
        "rss_mib": samples,
    }


def plain_reads(core: Any, actor: Any, presses: int) -> dict[str, Any]:
    """The same work without a UI: the keyset page the desk reads, through the service."""
    page = search.search_orders(core, actor, "", limit=100)
    nexts, lasts, firsts, filters = [], [], [], []
    for n in range(presses):
        started = time.perf_counter()
        page = search.search_orders(core, actor, "", after=page.next_cursor, limit=100)
        nexts.append((time.perf_counter() - started) * 1000)
        lasts.append(_ms(lambda: search.search_orders(core, actor, "", last=True, limit=100)))
        firsts.append(_ms(lambda: search.search_orders(core, actor, "", limit=100)))
        text = FILTERS[n % len(FILTERS)]
        filters.append(_ms(lambda t=text: search.search_orders(core, actor, t, limit=100)))
    no_match = [
        _ms(lambda: search.search_orders(core, actor, NO_MATCH, limit=100)) for _ in range(5)
    ]
    return {
        "no_match_page": summary(no_match),
        "next_page": summary(nexts),
        "last_page": summary(lasts),
        "first_page": summary(firsts),
        "filter_page": summary(filters),
    }


def _ms(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def report(figures: dict[str, Any]) -> None:
    plain = figures["plain"]
    print(f"{figures['matching']:,} matching orders, {SIZE[0]}×{SIZE[1]}, SQLite")
    print(f"{'figure':<28}{'median':>9}{'p95':>9}  {'vs target':<22}{'vs plain read':>14}")
    rows = (
        ("PageDown → redrawn", "pagedown", "next_page"),
        ("End → redrawn", "end", "last_page"),
        ("Home → redrawn", "home", "first_page"),
        ("filter Enter → redrawn", "filter", "filter_page"),
        ("PageDown, whole sweep", "sweep", "next_page"),
    )
    for label, key, base in rows:
        if key not in figures:
            continue
        f, b = figures[key], plain[base]
        verdict = f["p50"] <= TARGETS["press_p50"] and f["p95"] <= TARGETS["press_p95"]
        ratio = f"{f['p50'] / TARGETS['press_p50']:.2f}×/{f['p95'] / TARGETS['press_p95']:.2f}×"
        print(
            f"{label:<28}{f['p50']:>7.1f}ms{f['p95']:>7.1f}ms  {ratio:<14}"
            f"{'PASS' if verdict else 'FAIL':<8}{f['p50'] / b['p50']:>8.1f}× "
            f"({b['p50']:.1f} ms)"
        )
    no_match = plain["no_match_page"]
    print(
        f"(a goods word no order has, {NO_MATCH!r}: its first page takes "
        f"{no_match['p50']:.0f} ms to read, the whole list scanned; not in the figures)"
    )
    cold, warm = figures["start_cold"], figures["start_warm"]
    verdict = "PASS" if warm["p50"] <= TARGETS["start"] else "FAIL"
    print(
        f"{'start → first desk paint':<28}{warm['p50']:>7.0f}ms{warm['p95']:>7.0f}ms  "
        f"{warm['p50'] / TARGETS['start']:.2f}×{'':<9}{verdict}   (first in process: "
        f"{cold:.0f} ms)"
    )
    if "rss_mib" not in figures:
        print("RSS while scrolling: not measured (--no-sweep)")
        return
    rss = figures["rss_mib"]
    spread = max(r for _, r in rss) - min(r for _, r in rss[1:])
    print(
        f"RSS while PageDown walks all {figures['matching']:,} "
        f"({figures['sweep_presses']:,} presses, {figures['sweep_s']} s): "
        + ", ".join(f"{p:,}: {r:.0f}" for p, r in rss)
        + f" MiB (spread after the first page {spread:.1f} MiB)"
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    url, key, _samples = desk_bench.prepared_database(
        "sqlite", args.orders, Path(args.cache), args.rebuild
    )
    settings = desk_bench._settings(url, key, Path(args.cache))
    core = open_app(settings)
    desk_bench.align_indexes(core.engine)
    with core.tx() as session:
        org_id = session.query(Org.id).filter_by(name="bench").scalar()
    actor = user_actor(core, org_id, "boss")
    starts: list[float] = []
    for _ in range(args.starts):
        await start_up(settings, actor, starts)
    figures = await desk_session(settings, actor, args.presses, not args.no_sweep)
    figures["start_cold"] = round(starts[0], 1)
    figures["start_warm"] = summary(starts[1:] or starts)
    figures["plain"] = plain_reads(core, actor, args.presses)
    core.close()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--presses", type=int, default=30, help="presses per figure (≥ 30)")
    parser.add_argument("--starts", type=int, default=6, help="app starts timed (first cold)")
    parser.add_argument("--cache", default="/tmp/orderhub-desk-bench")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument(
        "--no-sweep", action="store_true", help="skip the memory walk through every order"
    )
    parser.add_argument("--json", action="store_true", help="the figures as JSON on stdout")
    args = parser.parse_args()
    header = f"{calibration_line()}; load average {os.getloadavg()[0]:.2f}"
    print(header, file=sys.stderr if args.json else sys.stdout, flush=True)
    figures = asyncio.run(run(args))
    figures["load_after"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        report(figures)
        print(f"load average at the end {figures['load_after']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
