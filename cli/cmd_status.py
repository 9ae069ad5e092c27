"""`orderhub status`: is this installation ready, and what is it connected to?

Exit code 1 when the schema is not at head or a problem was found, so scripts and
health checks can rely on it.
"""

from __future__ import annotations

import argparse

from cli.common import EXIT_ERROR, EXIT_OK, add_json_option, emit, settings_from
from core.installation import StatusReport, status_report


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
    for problem in report.problems:
        print(f"problem:   {problem}")
    for warning in report.warnings:
        print(f"warning:   {warning}")


def _plugin_line(plugin: dict) -> str:
    """kind, name, where it comes from; failures are repeated under problems."""
    origin = f"{plugin['distribution']} {plugin['version']}".strip()
    return f"{plugin['kind']:<15} {plugin['name']:<16} {origin}"
