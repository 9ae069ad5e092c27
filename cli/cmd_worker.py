"""`orderhub worker [--once] [--worker-id ID] [--poll SECONDS] [--printer NAME … | --no-print]`
— run the schedule.

Syncs every shop when it is due (each shop's interval, 1–60 minutes, default 5), approves
orders whose 审单 wait has ended, raises and forwards alerts, drains the ship-back outbox
(confirms shipments on the platforms), pushes changed stock quantities to the platforms of
orgs that turned that on (`orderhub stock push-settings`, every minute), prints queued
print jobs (created through the HTTP API or `orderhub print --no-run`), forgets the HTTP
API's idempotency keys after a day, and sleeps in between.

Printing: a worker serves every printer reachable from any machine (network, spooler,
file) but not USB printers or the Pinduoduo print component, which live on one PC; name
the printers it serves with `--printer` (repeatable; `*` for all) or `[worker] printers`,
and turn printing off with `--no-print` or `[worker] print_jobs = false`.

Several workers may run against one PostgreSQL database, on one or several machines:
each shop is leased to one worker at a time, each outbox row claimed by one, each print
job leased to one; a worker that dies loses its leases after a timeout and another picks
the work up. `orderhub status` lists the running workers and their leases. On SQLite run
one worker (the embedded database takes one writer at a time; more would only take
turns). docs/deploy.md shows how to run several.

SIGTERM or Ctrl-C finishes the window in hand (and the labels in flight: the print job
goes back to the queue), releases the leases and exits; a second one exits at once.
`--once` runs one round (due shops, one print job) and exits (cron-style).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from cli.common import EXIT_ERROR, EXIT_OK, open_cli_app
from core import clock
from core.idempotency.passes import PurgePass
from core.printing.spool import PrintPass
from core.shipback.rounds import ShipbackPass
from core.stockpush.passes import StockPushPass
from core.sync.worker import Worker, stop_on_signals


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "worker",
        help="run the sync schedule (one process per machine; several on PostgreSQL)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--once", action="store_true", help="one round of due shops, then exit")
    parser.add_argument(
        "--worker-id",
        help="name in leases and the sync log; must be unique among running workers "
        "(default host:pid)",
    )
    parser.add_argument(
        "--poll",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often to look for due shops when idle (default 5)",
    )
    printing = parser.add_mutually_exclusive_group()
    printing.add_argument(
        "--printer",
        action="append",
        default=None,
        metavar="NAME",
        help="print to this printer (repeatable; * for all; default: [worker] printers, "
        "else every printer but USB and the print component)",
    )
    printing.add_argument("--no-print", action="store_true", help="print no jobs")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    app = open_cli_app(args, bulk_writes=True)
    worker = Worker(app, args.worker_id, poll_seconds=args.poll)
    passes: list[Callable[[], object]] = [
        ShipbackPass(app, worker.worker_id, worker.control.stopping),
        StockPushPass(app),
        PurgePass(app),
    ]
    if app.settings.worker.print_jobs and not args.no_print:
        passes.append(
            PrintPass(app, worker.worker_id, worker.control.stopping, printers=args.printer)
        )
    worker.passes = tuple(passes)
    with _log_to_stderr(app.settings.log_level), stop_on_signals(worker.control):
        totals = worker.run(once=args.once)
    return EXIT_ERROR if args.once and totals.failed else EXIT_OK


@contextmanager
def _log_to_stderr(level: str) -> Iterator[None]:
    """Progress lines for people and service managers (journald, docker logs), while the
    worker runs; the logger is left as it was afterwards."""
    logger = logging.getLogger("orderhub")
    handler = logging.StreamHandler()
    handler.setFormatter(_ShanghaiTimes("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = (logger.level, logger.propagate)
    logger.setLevel(getattr(logging, str(level).upper(), logging.INFO))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


class _ShanghaiTimes(logging.Formatter):
    """Log times as operators read every other time: Beijing time, with the offset written
    out so a line copied elsewhere (a ticket, another server's log) stays unambiguous —
    whatever zone the machine itself is set to."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        when = datetime.fromtimestamp(record.created, clock.SHANGHAI)
        return when.isoformat(sep=" ", timespec="milliseconds")
