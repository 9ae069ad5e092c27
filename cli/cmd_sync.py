"""`orderhub sync [--shop ID|NAME] [--since TIME --until TIME]` — sync orders once, now.

Without `--since/--until` each shop is brought up to date from its cursor, as a scheduled
pass would (the cursor moves). With both, the range is backfilled: windows over exactly
`[since, until)`, which never move the cursor backwards. Times are ISO 8601; without a
zone they are Beijing time (`2026-11-20 08:00`, or a date for its midnight).

Without `--shop`, every active shop with sync switched on is synced (of `--org`, or of
every org). A progress bar on stderr follows each shop's windows (plain lines when stderr
is not a terminal, nothing with `--json`), and a line per shop sums its pass up;
`--windows` also prints a table row per committed window. The exit code is 1 when a shop
failed. Ctrl-C finishes the window in hand and stops.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from cli.common import EXIT_ERROR, EXIT_OK, add_json_option, add_org_option, open_cli_app
from cli.progress import duration_text, progress_for
from core import clock
from core.actor import Actor
from core.errors import ValidationError
from core.sync.engine import WindowReport
from core.sync.scheduler import Control, PassReport, sync_shop
from core.sync.selection import ShopRef, shops_to_sync
from core.sync.worker import stop_on_signals

HEADERS = ("SHOP", "WINDOW (Beijing time)", "PAGES", "SEEN", "NEW", "UPDATED", "MS")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sync",
        help="sync orders now (one pass), or backfill a time range",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--shop", help="shop id or name (default: every active shop)")
    parser.add_argument("--since", help="backfill from this time (ISO; Beijing time if no zone)")
    parser.add_argument("--until", help="backfill up to this time (exclusive)")
    parser.add_argument("--worker-id", help="lease owner name shown in the sync log")
    parser.add_argument(
        "--windows", action="store_true", help="also print a table row per committed window"
    )
    add_org_option(parser)
    add_json_option(parser)
    parser.set_defaults(handler=run)


def parse_time(text: str, option: str) -> datetime:
    """ISO 8601 → aware UTC; no zone means Beijing time (what merchants read)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(
            f"{option} {text!r} is not an ISO time like 2026-11-20T08:00 or 2026-11-20",
            field=option.lstrip("-"),
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.SHANGHAI)
    return clock.as_utc(value)


def run(args: argparse.Namespace) -> int:
    if bool(args.since) != bool(args.until):
        print("orderhub: error: --since and --until go together", file=sys.stderr)
        return 2
    since = parse_time(args.since, "--since") if args.since else None
    until = parse_time(args.until, "--until") if args.until else None
    app = open_cli_app(args, bulk_writes=True)
    targets = shops_to_sync(app, args.shop, args.org)
    as_json = getattr(args, "json", False)
    rows = args.windows and not as_json
    reports: list[PassReport] = []
    with progress_for(args) as progress:
        control = Control(on_window=_printer(targets) if rows else None, progress=progress)
        if rows:
            _row(HEADERS)
        with stop_on_signals(control):
            for target in targets:
                if control.stopping():
                    break
                actor = Actor.system(target.org_id, label="cli:sync")
                began = time.monotonic()
                report = sync_shop(
                    app,
                    actor,
                    target.id,
                    since=since,
                    until=until,
                    worker_id=args.worker_id,
                    control=control,
                )
                reports.append(report)
                if not as_json:
                    _pass_line(report, time.monotonic() - began)
    if as_json:
        import json

        print(json.dumps([_pass_data(r) for r in reports], ensure_ascii=False, indent=2))
    elif len(reports) > 1:
        _total_line(reports)
    return EXIT_ERROR if any(r.status in ("failed", "lost") for r in reports) else EXIT_OK


def _printer(targets: list[ShopRef]):  # type: ignore[no-untyped-def]
    names = {target.id: target.name for target in targets}

    def show(window: WindowReport) -> None:
        _row(
            (
                f"{window.shop_id} {names.get(window.shop_id, '')}",
                _window_text(window),
                window.pages,
                window.seen,
                window.new,
                window.updated,
                window.duration_ms,
            )
        )
        sys.stdout.flush()

    return show


def _window_text(window: WindowReport) -> str:
    start = window.window.start.astimezone(clock.SHANGHAI).strftime("%m-%d %H:%M:%S")
    end = window.window.end.astimezone(clock.SHANGHAI).strftime("%H:%M:%S")
    return f"{start} – {end}"


def _pass_line(report: PassReport, seconds: float) -> None:
    status = report.status if not report.error else f"{report.status}: {report.error}"
    more = " (more to do: the next pass continues at once)" if report.more else ""
    print(
        f"shop {report.shop_id} ({report.shop_name}): {status}; {len(report.windows)} window(s), "
        f"{report.seen} seen, {report.new} new, {report.updated} updated "
        f"in {duration_text(seconds)}{more}"
    )


def _total_line(reports: list[PassReport]) -> None:
    failed = sum(r.status in ("failed", "lost") for r in reports)
    print(
        f"{len(reports)} shops: {sum(r.seen for r in reports)} seen, "
        f"{sum(r.new for r in reports)} new, {sum(r.updated for r in reports)} updated"
        + (f"; {failed} failed" if failed else "")
    )


def _pass_data(report: PassReport) -> dict[str, object]:
    return {
        "shop_id": report.shop_id,
        "shop": report.shop_name,
        "kind": report.kind,
        "status": report.status,
        "error": report.error,
        "more": report.more,
        "windows": [
            {
                "start": w.window.start.isoformat(),
                "end": w.window.end.isoformat(),
                "pages": w.pages,
                "seen": w.seen,
                "new": w.new,
                "updated": w.updated,
                "duration_ms": w.duration_ms,
                "run_id": w.run_id,
            }
            for w in report.windows
        ],
    }


def _row(cells: tuple[object, ...]) -> None:
    widths = (18, 27, 5, 6, 6, 7, 6)
    print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
