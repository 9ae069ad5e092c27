"""`orderhub status`: is this installation ready, what is it connected to, which workers
run against it and what they hold?

Workers: every `orderhub worker` seen within three heartbeats (`[worker]
heartbeat_seconds`), with its host, pid, uptime and passes, and the leases held right now
— shops being synced, print jobs being printed, ship-back outbox rows being confirmed —
with their owners and expiry (an `expired` lease belongs to a worker that died; the next
worker takes the work over). `--json` gives the same as data.

Exit code 1 when the schema is not at head or a problem was found, so scripts and
health checks can rely on it.
"""

from __future__ import annotations

import argparse

from cli.common import EXIT_ERROR, EXIT_OK, add_json_option, emit, settings_from
from core import clock
from core.installation import StatusReport, status_report
from core.workers.overview import WorkersOverview


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "status",
        help="database, keys, schema revision, counts and plugins",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_json_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    report = status_report(settings_from(args))
    if getattr(args, "json", False):
        emit(args, report.as_dict())
    else:
        _print_report(report)
    return EXIT_OK if report.schema_up_to_date and not report.problems else EXIT_ERROR


def _print_report(report: StatusReport) -> None:
    print(f"backend:   {report.backend}")
    print(f"database:  {report.database_url}")
    print(f"data dir:  {report.data_dir}")
    if report.key_file is None:
        print("keys:      from ORDERHUB_SECRET_KEY")
    elif report.key_file_exists:
        print(f"key file:  {report.key_file} (mode {report.key_file_mode})")
    else:
        print(f"key file:  {report.key_file} (missing)")
    print(f"schema:    {report.revision or '-'} (head {report.head}): {report.schema}")
    if report.orgs is not None:
        print(f"orgs:      {report.orgs}")
        print(f"users:     {report.users}")
    if report.alerts is not None:
        shown = ", ".join(f"{n} {severity}" for severity, n in reversed(report.alerts.items()))
        print(
            f"alerts:    {shown} open"
            + (" (orderhub alerts list)" if any(report.alerts.values()) else "")
        )
    failed = sum(1 for p in report.plugins if p["kind"] == "(failed)")
    loaded = len(report.plugins) - failed
    print(f"plugins:   {loaded} loaded" + (f", {failed} failed" if failed else ""))
    for plugin in report.plugins:
        print("  " + _plugin_line(plugin))
    if report.workers is not None:
        _print_workers(report.workers)
    for problem in report.problems:
        print(f"problem:   {problem}")
    for warning in report.warnings:
        print(f"warning:   {warning}")


def _print_workers(overview: WorkersOverview) -> None:
    running, gone = overview.running, len(overview.workers) - len(overview.running)
    print(
        f"workers:   {len(running)} running" + (f", {gone} gone (not seen lately)" if gone else "")
    )
    now = clock.now()
    for w in running:
        seen = int((now - w.last_seen_at).total_seconds())
        up = clock.local_text(w.started_at)
        print(
            f"  {w.id}  pid {w.pid} on {w.host}, v{w.version}, since {up}, seen {seen} s ago: "
            + ", ".join(w.passes)
            + (f" (printers: {', '.join(w.printers)})" if w.printers else "")
        )
    counts = overview.counts
    print(
        f"leases:    {counts.get('shop', 0)} shop(s), {counts.get('print_job', 0)} print "
        f"job(s), {counts.get('outbox', 0)} outbox row(s)"
    )
    for lease in overview.leases:
        state = "expired" if lease.expired else "until"
        held_by = lease.owner + (
            f" (worker {lease.worker})" if lease.worker not in (None, lease.owner) else ""
        )
        print(f"  {lease.target}: {held_by}, {state} {clock.local_text(lease.expires_at)}")


def _plugin_line(plugin: dict) -> str:
    """kind, name, where it comes from; failures are repeated under problems."""
    origin = f"{plugin['distribution']} {plugin['version']}".strip()
    return f"{plugin['kind']:<15} {plugin['name']:<16} {origin}"
